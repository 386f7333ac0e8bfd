// gdlab report: results files of `gdlab matrix` -> a comparison report (shared/report/report.hpp).
#include <fmt/format.h>

#include <filesystem>

#include "commands.hpp"
#include "registry.hpp"
#include "report/report.hpp"
#include "train/error.hpp"

namespace gd::cli {

void add_report(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report",
      "Turn results files of 'gdlab matrix' into a report: index.html (self-contained), report.md, SVG charts, CSV");
  struct Options {
    std::vector<std::string> inputs;
    std::string out, title;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("results", o->inputs,
                  "Results files (results/NAME.json); several are compared side by side, the first is the base")
      ->required();
  cmd->add_option("--out", o->out, "The report's folder, e.g. reports/NAME/ (replaced if it holds an older report)")
      ->required();
  cmd->add_option("--title", o->title, "Title of the report (default: 'gdlab report: ' and the folder's name)");
  cmd->callback([o] {
    ReportOptions options;
    options.title = o->title;
    options.stop = [] { return CtrlC::pressed(); };
    options.pays = [](const std::string& pattern) { return what_it_pays(pattern); };
    options.axis = [](const std::string& pattern) { return axis_of(pattern); };
    // Ctrl-C abandons the report at the next chart: the temporary folder is removed and
    // an older report at --out stays as it was. The handler stays until the process ends,
    // so a Ctrl-C just after the report is in place changes nothing; a second one kills.
    CtrlC ctrl_c(nullptr, /*restore=*/false);
    try {
      write_report(o->inputs, o->out, options);
    } catch (const Interrupted&) {
      fmt::print(stderr, "gdlab report: interrupted; no report written, {} left as it was\n", o->out);
      throw;
    }
    fmt::print("{}\n", (std::filesystem::path(o->out) / "index.html").lexically_normal().string());
  });
}

}  // namespace gd::cli
