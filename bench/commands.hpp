// The gdlab command-line tool: one function per subcommand, each adding itself to the app.
#pragma once
#include <CLI/CLI.hpp>

namespace gd::cli {

void add_train(CLI::App& app);
void add_patterns(CLI::App& app);
void add_matrix(CLI::App& app);
void add_report(CLI::App& app);

}  // namespace gd::cli
