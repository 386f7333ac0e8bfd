// gdlab - concurrency patterns for neural-network training, side by side.
//
// Exit status: 0 success, 1 a failure while running (e.g. a worker's error),
// 2 bad input (arguments, files): one line on stderr says what and how to fix it;
// 130 interrupted by Ctrl-C (stopped cleanly, no half-written file).
#include <fmt/format.h>

#include <cstdio>

#include "commands.hpp"
#include "train/error.hpp"
#include "train/memory.hpp"

int main(int argc, char** argv) {
  gd::keep_freed_memory();  // steady step times (shared/train/memory.hpp)
  gd::cli::set_program_args(argc, argv);
  CLI::App app{
      "gdlab: one MLP trainer run by many concurrency patterns, measured side by side.\n"
      "Run 'gdlab SUBCOMMAND --help' for the options of each subcommand."};
  app.name("gdlab");
  app.require_subcommand(1);
  gd::cli::add_train(app);
  gd::cli::add_patterns(app);
  gd::cli::add_matrix(app);
  gd::cli::add_report(app);
  gd::cli::add_soak(app);
  try {
    if (argc > 1 && argv[1][0] != '-') {
      std::string known;
      bool found = false;
      for (const auto* sub : app.get_subcommands({})) {
        known += (known.empty() ? "" : ", ") + sub->get_name();
        found = found || sub->get_name() == argv[1];
      }
      if (!found) throw gd::UsageError(fmt::format("unknown subcommand '{}' (known: {})", argv[1], known));
    }
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    fmt::print(stderr, "gdlab: error: {}\nRun 'gdlab --help' or 'gdlab SUBCOMMAND --help' for usage.\n", e.what());
    return 2;
  } catch (const gd::Interrupted&) {
    return 130;  // the shell's convention for "ended by SIGINT"
  } catch (const gd::UsageError& e) {
    fmt::print(stderr, "gdlab: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "gdlab: failed: {}\n", e.what());
    return 1;
  }
  return 0;
}
