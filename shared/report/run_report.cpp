#include "report/run_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "report/text.hpp"

namespace gd::report {

Figure RunReport::chart(const std::string& stem, const std::string& title, const report::LineChart& c,
                        std::string text) {
  const std::string name = prefix_ + stem;
  std::string svg = stoppable([&] { return report::render_svg(c, scratch_, name, opt_.gnuplot); });
  svgs_.push_back({name + ".svg", svg});
  return {name + ".svg", title, std::move(svg), std::move(text)};
}
Figure RunReport::chart(const std::string& stem, const std::string& title, const report::BarChart& c,
                        std::string text) {
  const std::string name = prefix_ + stem;
  std::string svg = stoppable([&] { return report::render_svg(c, scratch_, name, opt_.gnuplot); });
  svgs_.push_back({name + ".svg", svg});
  return {name + ".svg", title, std::move(svg), std::move(text)};
}

void RunReport::write(Doc& doc, std::vector<std::pair<std::string, std::string>>& svg_files, std::vector<Fit>& fits) {
  summary(doc);
  std::vector<Fit> run_fits;
  speedup_charts(doc, run_fits);
  efficiency_threads(doc);
  efficiency_batch(doc);
  axes(doc);
  processes(doc);
  time_to_accuracy(doc);
  overhead(doc);
  throughput(doc);
  fits_table(doc, run_fits);
  pattern_tables(doc);
  extras(doc);
  for (auto& s : svgs_) svg_files.push_back(std::move(s));
  for (auto& f : run_fits) fits.push_back(std::move(f));
}

report::LineChart RunReport::threads_chart(std::string title, std::string ylabel, std::string ideal_label,
                                           double ideal_at_pmax) const {
  const int pmax = v_.threads.empty() ? 1 : v_.threads.back();
  report::LineChart c;
  c.title = std::move(title);
  c.xlabel = "threads p";
  c.ylabel = std::move(ylabel);
  c.log2_x = pmax >= 8;
  for (int p : v_.threads) c.xtics.push_back(p);
  if (pmax > v_.cpus) c.vline = v_.cpus, c.vline_label = "CPUs available";
  c.series.push_back({std::move(ideal_label),
                      "#aaaaaa",
                      report::Series::Style::DashedLine,
                      0,
                      {{1.0, 1.0}, {double(pmax), ideal_at_pmax}}});
  return c;
}

report::LineChart RunReport::batch_chart(std::string title, std::string ylabel) const {
  report::LineChart c;
  c.title = std::move(title);
  c.xlabel = "batch size (samples per step)";
  c.ylabel = std::move(ylabel);
  c.log2_x = true;
  for (int b : v_.batches) c.xtics.push_back(b);
  return c;
}

void RunReport::summary(Doc& doc) {
  const int batch = v_.headline_batch();
  const int shards = v_.primary.at(batch);
  doc.h3(fmt::format("Summary: {}", workload_name(batch, shards)), anchor_ + "-summary");
  int n_flagged = 0;
  for (const auto& c : v_.r.cells) n_flagged += flagged(c);
  doc.para(fmt::format(
      "{} cells: {} patterns{} × thread counts {} × batch sizes {}, on {} CPU{} available. "
      "{} cell{} carry a flag (⚠, shaded here and circled in red in the charts): oversubscribed (p above the CPUs "
      "available), low parallelism (A well below p), noisy (wide spread across repetitions) or incomplete. "
      "Times are medians of {} repetitions; brackets give the 95% confidence interval of the median.",
      v_.r.cells.size(), v_.patterns.size(),
      v_.patterns_and_ceiling().size() > v_.patterns.size() ? " and the machine's ceiling" : "",
      join(
          [&] {
            std::vector<std::string> s;
            for (int p : v_.threads) s.push_back(std::to_string(p));
            return s;
          }(),
          ", "),
      join(
          [&] {
            std::vector<std::string> s;
            for (int b : v_.batches) s.push_back(std::to_string(b));
            return s;
          }(),
          ", "),
      v_.cpus, v_.cpus == 1 ? "" : "s", n_flagged, n_flagged == 1 ? "" : "s", v_.r.config.reps));
  // A sequential run keeps one CPU busy all the time (A = 1). Well below that, something else was
  // taking the CPU: every time in this run is then inflated and noisy.
  int noisy = 0, seq_n = 0;
  double seq_a = 0;
  for (const auto& c : v_.r.cells) {
    noisy += c.has(Flag::noisy);
    if (c.pattern == kSequential) seq_a += c.parallelism, ++seq_n;
  }
  if (seq_n > 0 && seq_a / seq_n < 0.9)
    doc.para(
        fmt::format("⚠ A busy machine: the sequential cells kept only {} of a CPU busy on average (A; 1.00 on a "
                    "quiet machine), and {} of {} cells are flagged noisy. Other programs were taking the CPUs, "
                    "so read differences smaller than the confidence intervals as noise, and rerun on a quiet "
                    "machine before drawing conclusions.",
                    fixed2(seq_a / seq_n), noisy, v_.r.cells.size()));
  Table t{{"pattern", "p", "time/step ms [95% CI]", "S", "E", "A", "samples/s", "weights", "flags"}, {}};
  for (const auto& pattern : v_.patterns_and_ceiling())
    for (const Cell* c : v_.series(pattern, batch, shards))
      t.rows.push_back(
          {{c->pattern == kIndependent ? "independent (the machine's ceiling)" : c->pattern, std::to_string(c->threads),
            fmt::format("{} [{}–{}]", ms(c->step_seconds.median), ms(c->step_seconds.ci95_low),
                        ms(c->step_seconds.ci95_high)),
            fixed2(c->speedup), fixed2(c->efficiency), fixed2(c->parallelism), grouped(c->samples_per_second),
            weights_text(*c), flags_text(*c)},
           flagged(*c) ? "flag" : ""});
  doc.table(std::move(t));
}

}  // namespace gd::report
