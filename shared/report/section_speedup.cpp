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

void RunReport::speedup_charts(Doc& doc, std::vector<Fit>& fits) {
  doc.h3("Speedup", anchor_ + "-speedup");
  const int pmax = v_.threads.empty() ? 1 : v_.threads.back();
  for (int batch : v_.batches) {
    const int shards = v_.primary.at(batch);
    report::LineChart c = threads_chart(fmt::format("Speedup S = T_seq / T_p, {}", workload_name(batch, shards)),
                                        "speedup S", "ideal S = p", double(pmax));
    const Cell* seq = v_.sequential(batch, shards);
    for (const auto& pattern : v_.patterns) {
      std::vector<std::pair<double, double>> pts;
      for (const Cell* x : v_.series(pattern, batch, shards)) {
        if (!x->speedup) continue;
        pts.push_back({double(x->threads), *x->speedup});
        if (flagged(*x)) c.flagged.push_back({double(x->threads), *x->speedup});
      }
      if (pts.empty()) continue;
      c.series.push_back(
          {pattern, colours_.colour(pattern), report::Series::Style::LinesPoints, colours_.point(pattern), pts});
      // The curve is S against the baseline the pattern's points were measured against.
      const std::optional<double> t_seq = series_baseline(v_, pattern, batch, shards);
      if (auto f = amdahl_fit(v_, pattern, batch, shards); f && seq && t_seq) {
        fits.push_back(*f);
        std::vector<std::pair<double, double>> curve;
        for (int i = 0; i <= 32; ++i) {
          const double p = c.log2_x ? std::pow(double(pmax), i / 32.0) : 1.0 + (pmax - 1.0) * i / 32.0;
          const double t = f->a + f->b / p;
          if (t > 0) curve.push_back({p, *t_seq / t});
        }
        if (pattern != kSequential && !curve.empty())
          c.series.push_back({"", colours_.colour(pattern), report::Series::Style::DashedLine, 0, curve});
      }
    }

    // The paragraph: fastest cell, who is within noise of it, who never beats sequential,
    // and what the Amdahl fit of the fastest pattern predicts.
    std::vector<std::string> text;
    const Cell* best = nullptr;
    for (const auto& pattern : v_.patterns)
      for (const Cell* x : v_.series(pattern, batch, shards))
        if (!best || x->step_seconds.median < best->step_seconds.median) best = x;
    if (best) {
      text.push_back(fmt::format(
          "Fastest: {} at {} ms a step{}.", cell_name(*best), ms(best->step_seconds.median),
          best->speedup ? fmt::format(", S = {}, E = {}", fixed2(best->speedup), fixed2(best->efficiency)) : ""));
      std::vector<std::string> near;
      for (const auto& pattern : v_.patterns)
        for (const Cell* x : v_.series(pattern, batch, shards))
          if (x != best && overlap(*x, *best)) near.push_back(cell_name(*x));
      int others = -1;
      for (const auto& pattern : v_.patterns) others += int(v_.series(pattern, batch, shards).size());
      if (near.empty())
        text.push_back("No other cell is within noise of it (the 95% CIs of the medians do not overlap).");
      else if (near.size() <= 8)
        text.push_back(fmt::format("Within noise of it (the 95% CIs of the medians overlap): {}.", and_list(near)));
      else
        text.push_back(
            fmt::format("{} of the {} other cells are within noise of it (their 95% CIs overlap), so at "
                        "this noise level the ranking says little.",
                        near.size(), others));
    }
    if (seq) {
      std::vector<std::string> never;
      for (const auto& pattern : v_.patterns) {
        if (pattern == kSequential) continue;
        bool any = false, pays = false;
        for (const Cell* x : v_.series(pattern, batch, shards))
          if (x->threads > 1) any = true, pays = pays || faster_beyond_noise(*x, *seq);
        if (any && !pays) never.push_back(pattern);
      }
      if (!never.empty())
        text.push_back(fmt::format("Not faster than sequential beyond noise at any p > 1: {}.", and_list(never)));
      if (best && best->pattern != kSequential)
        if (auto f = amdahl_fit(v_, best->pattern, batch, shards)) {
          if (f->b <= 0)
            text.push_back(
                fmt::format("The Amdahl fit of {} finds no parallelisable part (b = {} µs ≤ 0): more "
                            "threads made its step slower, not faster.",
                            best->pattern, sig(f->b * 1e6)));
          else if (f->a > 0)
            text.push_back(fmt::format(
                "The Amdahl fit of {} (dashed, its colour) gives a = {} µs serial and b = {} µs parallelisable per "
                "step: a serial fraction of {}, so no thread count can take it beyond S = {}.",
                best->pattern, sig(f->a * 1e6), sig(f->b * 1e6), fixed2(f->a / (f->a + f->b)),
                sig(series_baseline(v_, best->pattern, batch, shards).value_or(seq->step_seconds.median) / f->a)));
          else
            text.push_back(
                fmt::format("The Amdahl fit of {} finds no serial part (a = {} µs ≤ 0): within these "
                            "thread counts it scales as far as the CPUs allow.",
                            best->pattern, sig(f->a * 1e6)));
        }
    } else {
      text.push_back("This workload has no sequential cell, so speedups are not defined.");
    }
    int nflag = int(c.flagged.size());
    if (nflag > 0)
      text.push_back(
          fmt::format("{} point{} circled in red: flagged, read with care.", nflag, nflag == 1 ? " is" : "s are"));
    if (c.series.size() > 1) doc.figure(chart(fmt::format("speedup-b{}", batch), c.title, c, join(text, " ")));
  }
}

}  // namespace gd::report
