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

std::string comparison_csv_header() {
  return "base_run,other_run,pattern,threads,batch,shards,base_step_seconds_median,other_step_seconds_median,"
         "ratio_other_over_base,base_speedup,other_speedup,verdict\n";
}

void comparison_section(Doc& doc, const std::vector<RunView>& views, std::string& csv) {
  doc.h2("Runs compared", "compare");
  doc.para(environment_verdict(views));
  const RunView& base = views[0];
  for (std::size_t k = 1; k < views.size(); ++k) {
    const RunView& other = views[k];
    doc.h3(fmt::format("{} against {}", other.run.label, base.run.label), fmt::format("compare-{}", k));
    Table t{
        {"pattern", "p", "batch", "shards", "ms " + base.run.label, "ms " + other.run.label,
         "ratio " + other.run.label + "/" + base.run.label, "S " + base.run.label, "S " + other.run.label, "verdict"},
        {}};
    int faster = 0, slower = 0, same = 0, common = 0, only_base = 0;
    double log_sum = 0;
    std::vector<std::pair<double, std::string>> ratios;
    for (const auto& pattern : base.patterns)
      for (auto [batch, shards] : base.workloads)
        for (const Cell* a : base.series(pattern, batch, shards)) {
          const Cell* b = other.find(a->pattern, a->threads, a->batch, a->shards);
          if (!b) {
            ++only_base;
            continue;
          }
          ++common;
          const double ratio = b->step_seconds.median / a->step_seconds.median;
          log_sum += std::log(ratio);
          std::string verdict = "within noise";
          if (faster_beyond_noise(*b, *a))
            verdict = "faster", ++faster;
          else if (faster_beyond_noise(*a, *b))
            verdict = "slower", ++slower;
          else
            ++same;
          ratios.push_back({ratio, cell_name(*a) + fmt::format(" at batch {}", a->batch)});
          t.rows.push_back({{a->pattern, std::to_string(a->threads), std::to_string(a->batch),
                             std::to_string(a->shards), ms(a->step_seconds.median), ms(b->step_seconds.median),
                             fmt::format("{:.2f}", ratio), fixed2(a->speedup), fixed2(b->speedup), verdict},
                            flagged(*a) || flagged(*b) ? "flag" : ""});
          csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(base.run.label),
                             csv_field(other.run.label), csv_field(a->pattern), a->threads, a->batch, a->shards,
                             csv_num(a->step_seconds.median), csv_num(b->step_seconds.median), csv_num(ratio),
                             csv_num(a->speedup), csv_num(b->speedup), verdict);
        }
    int only_other = -common;  // the ceiling's cells are no pattern's: counted apart below
    for (const Cell& c : other.r.cells) only_other += c.pattern != kIndependent;
    std::vector<std::string> text;
    if (common == 0) {
      text.push_back("The two runs have no cell in common (pattern, threads, batch and shards all equal).");
    } else {
      std::sort(ratios.begin(), ratios.end());
      text.push_back(fmt::format(
          "Of {} cells in both runs, {} is faster beyond noise in {}, slower in {} and within noise in {} "
          "(the 95% CIs of the medians overlap). Geometric mean of the time ratios: {:.2f} ({} means {} is faster).",
          common, other.run.label, faster, slower, same, std::exp(log_sum / common), "below 1", other.run.label));
      text.push_back(fmt::format("Time ratios run from {:.2f} ({}) to {:.2f} ({}).", ratios.front().first,
                                 ratios.front().second, ratios.back().first, ratios.back().second));
    }
    if (only_base || only_other)
      text.push_back(
          fmt::format("Cells only in {}: {}; only in {}: {}.", base.run.label, only_base, other.run.label, only_other));
    // The machines themselves: the ceiling of each run at its largest p within the CPUs.
    const int batch = base.headline_batch();
    const Cell* ca =
        base.primary.count(batch) ? base.find(kIndependent, base.pc, batch, base.primary.at(batch)) : nullptr;
    const Cell* cb = ca ? other.find(kIndependent, ca->threads, ca->batch, ca->shards) : nullptr;
    if (ca && cb && ca->efficiency && cb->efficiency && ca->threads > 1)
      text.push_back(fmt::format(
          "The machine's ceiling (independent copies) at p = {}, batch {}: E = {} in {}, {} in {}.", ca->threads,
          ca->batch, fixed2(ca->efficiency), base.run.label, fixed2(cb->efficiency), other.run.label));
    doc.para(join(text, " "));
    if (!t.rows.empty()) doc.table(std::move(t));
  }
}

}  // namespace gd::report
