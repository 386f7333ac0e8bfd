// The report's sections. RunReport writes the sections of one run, one file each
// (section_*.cpp); the machine and comparison sections look at every run together.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "report/chart.hpp"
#include "report/document.hpp"
#include "report/report.hpp"
#include "report/run_view.hpp"
#include "train/error.hpp"

namespace gd::report {

// The report of one run.

class RunReport {
 public:
  RunReport(const RunView& v, const ColourMap& colours, const ReportOptions& opt, std::string scratch,
            std::string prefix, std::string anchor)
      : v_(v),
        colours_(colours),
        opt_(opt),
        scratch_(std::move(scratch)),
        prefix_(std::move(prefix)),
        anchor_(std::move(anchor)) {}

  void write(Doc& doc, std::vector<std::pair<std::string, std::string>>& svg_files, std::vector<Fit>& fits);

 private:
  Figure chart(const std::string& stem, const std::string& title, const report::LineChart& c, std::string text);
  Figure chart(const std::string& stem, const std::string& title, const report::BarChart& c, std::string text);
  // A chart over the measured thread counts (log2 from p = 8, the CPUs marked when p goes
  // past them) with the ideal as a dashed line from (1, 1) to (pmax, ideal_at_pmax); and
  // one over the measured batch sizes.
  report::LineChart threads_chart(std::string title, std::string ylabel, std::string ideal_label,
                                  double ideal_at_pmax) const;
  report::LineChart batch_chart(std::string title, std::string ylabel) const;
  void summary(Doc& doc);
  void speedup_charts(Doc& doc, std::vector<Fit>& fits);
  void efficiency_threads(Doc& doc);
  void efficiency_batch(Doc& doc);
  void axes(Doc& doc);              // section_axes.cpp
  void processes(Doc& doc);         // section_ranks.cpp
  void time_to_accuracy(Doc& doc);  // section_accuracy.cpp
  void overhead(Doc& doc);
  void throughput(Doc& doc);
  void pattern_tables(Doc& doc);
  void fits_table(Doc& doc, const std::vector<Fit>& fits);
  void extras(Doc& doc);

  // Runs a chart unless a stop was asked for. Ctrl-C on a terminal also reaches gnuplot,
  // so a chart that fails while a stop is pending is an interruption, not an error.
  template <class Render>
  std::string stoppable(Render render) const {
    if (opt_.stop && opt_.stop()) throw Interrupted();
    try {
      return render();
    } catch (const std::exception&) {
      if (opt_.stop && opt_.stop()) throw Interrupted();
      throw;
    }
  }

  const RunView& v_;
  const ColourMap& colours_;
  const ReportOptions& opt_;
  std::string scratch_, prefix_, anchor_;
  std::vector<std::pair<std::string, std::string>> svgs_;
};

// The machine and build of every run side by side, and whether they differ.
void machine_section(Doc& doc, const std::vector<RunView>& views);
// With several runs: one sentence saying whether their environments match.
std::string environment_verdict(const std::vector<RunView>& views);
// The runs against the first, cell by cell; `csv` gets one line per compared cell.
std::string comparison_csv_header();
void comparison_section(Doc& doc, const std::vector<RunView>& views, std::string& csv);

}  // namespace gd::report
