// gdlab patterns: the registry table, one line per pattern.
#include <fmt/format.h>

#include "commands.hpp"
#include "registry.hpp"

namespace gd::cli {

void add_patterns(CLI::App& app) {
  auto* cmd = app.add_subcommand("patterns", "List the concurrency patterns: name, determinism, library, mechanism");
  auto names_only = std::make_shared<bool>(false);
  cmd->add_flag("--names", *names_only, "Print only the names, one per line");
  cmd->callback([names_only] {
    if (*names_only) {
      for (const auto& p : all_patterns()) fmt::print("{}\n", p.name);
      return;
    }
    fmt::print("{:<18} {:<16} {:<24} {}\n", "pattern", "deterministic", "library", "mechanism");
    for (const auto& p : all_patterns())
      fmt::print("{:<18} {:<16} {:<24} {}\n", p.name, p.deterministic ? "yes" : "NO (by design)", p.library,
                 p.mechanism);
  });
}

}  // namespace gd::cli
