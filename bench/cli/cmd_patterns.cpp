// gdlab patterns: the registry table, one line per pattern; --markdown: the README's table.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "commands.hpp"
#include "registry.hpp"

namespace gd::cli {

void add_patterns(CLI::App& app) {
  auto* cmd = app.add_subcommand("patterns", "List the concurrency patterns: name, determinism, library, mechanism");
  auto names_only = std::make_shared<bool>(false);
  auto markdown = std::make_shared<bool>(false);
  auto* names_flag = cmd->add_flag("--names", *names_only, "Print only the names, one per line");
  cmd->add_flag("--markdown", *markdown,
                "Print the table of patterns in README.md (pattern, file, mechanism, deterministic, what it pays "
                "per step), as the registry has it")
      ->excludes(names_flag);
  cmd->callback([names_only, markdown] {
    if (*names_only) {
      for (const auto& p : all_patterns()) fmt::print("{}\n", p.name);
      return;
    }
    if (*markdown) {
      fmt::print("{}", patterns_markdown());
      return;
    }
    std::vector<std::string> libraries;
    std::size_t width = std::string_view("library").size();
    for (const auto& p : all_patterns()) {
      libraries.push_back(library_of_build(p));
      width = std::max(width, libraries.back().size());
    }
    fmt::print("{:<18} {:<16} {:<{}} {}\n", "pattern", "deterministic", "library", width, "mechanism");
    std::size_t i = 0;
    for (const auto& p : all_patterns())
      fmt::print("{:<18} {:<16} {:<{}} {}\n", p.name, p.deterministic ? "yes" : "NO (by design)", libraries[i++], width,
                 plain_text(p.mechanism));
  });
}

}  // namespace gd::cli
