// The gdlab command-line tool: one function per subcommand, each adding itself to the app.
#pragma once
#include <CLI/CLI.hpp>

namespace gd::cli {

// For an option whose empty value would otherwise quietly mean "not given" (a file name,
// layer sizes): `--save ''` is a mistake to report, not a request to skip saving.
inline const CLI::Validator kNotEmpty(
    [](std::string& v) { return v.empty() ? std::string("must not be empty") : std::string(); }, "");

void add_train(CLI::App& app);
void add_patterns(CLI::App& app);
void add_matrix(CLI::App& app);
void add_report(CLI::App& app);

}  // namespace gd::cli
