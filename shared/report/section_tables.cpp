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

void RunReport::throughput(Doc& doc) {
  doc.h3("Throughput", anchor_ + "-throughput");
  report::LineChart c =
      batch_chart(fmt::format("Throughput at p = {} (sequential: p = 1)", v_.pc), "samples per second");
  const Cell* best = nullptr;
  for (const auto& pattern : v_.patterns) {
    const int p = pattern == kSequential ? 1 : v_.pc;
    std::vector<std::pair<double, double>> pts;
    for (int batch : v_.batches)
      if (const Cell* x = v_.find(pattern, p, batch, v_.primary.at(batch))) {
        pts.push_back({double(batch), x->samples_per_second});
        if (flagged(*x)) c.flagged.push_back({double(batch), x->samples_per_second});
      }
    if (!pts.empty())
      c.series.push_back(
          {pattern, colours_.colour(pattern), report::Series::Style::LinesPoints, colours_.point(pattern), pts});
  }
  for (const auto& x : v_.r.cells)
    if (x.pattern != kIndependent && (!best || x.samples_per_second > best->samples_per_second)) best = &x;
  std::vector<std::string> text;
  if (best) {
    text.push_back(fmt::format("Highest throughput: {} at {}: {} samples/s.", cell_name(*best),
                               workload_name(best->batch, best->shards), grouped(best->samples_per_second)));
    const int small = v_.batches.front();
    const Cell* sbest = nullptr;
    for (const auto& x : v_.r.cells)
      if (x.pattern != kIndependent && x.batch == small && (!sbest || x.samples_per_second > sbest->samples_per_second))
        sbest = &x;
    if (sbest && small != best->batch)
      text.push_back(
          fmt::format("At batch {} the best is {} with {} samples/s, {} × less: a small batch pays the "
                      "fixed costs of a step (hand-offs, the combine over every parameter, the update) "
                      "on fewer samples.",
                      small, cell_name(*sbest), grouped(sbest->samples_per_second),
                      sig(best->samples_per_second / sbest->samples_per_second, 2)));
  }
  if (!c.flagged.empty())
    text.push_back(
        fmt::format("{} flagged point{} circled in red.", c.flagged.size(), c.flagged.size() == 1 ? "" : "s"));
  if (!c.series.empty()) doc.figure(chart("throughput", c.title, c, join(text, " ")));
}

void RunReport::fits_table(Doc& doc, const std::vector<Fit>& fits) {
  if (fits.empty()) return;
  doc.h3("Amdahl fits", anchor_ + "-fits");
  doc.para(
      fmt::format("T(p) = a + b/p fitted by least squares to the median step times with p ≤ {} (the CPUs "
                  "available). a is the part no thread count shortens; the speedup limit is T_seq / a.",
                  v_.cpus));
  Table t{{"pattern", "batch", "shards", "points", "a µs", "b µs", "serial fraction a/(a+b)", "S limit"}, {}};
  for (const auto& f : fits) {
    if (f.pattern == kSequential) continue;
    const Cell* seq = v_.sequential(f.batch, f.shards);
    t.rows.push_back({{f.pattern, std::to_string(f.batch), std::to_string(f.shards), std::to_string(f.points),
                       sig(f.a * 1e6), sig(f.b * 1e6),
                       // Both parts positive: the law's picture. Otherwise the fraction means nothing.
                       f.a > 0 && f.b > 0 ? fixed2(f.a / (f.a + f.b)) : std::string("–"),
                       f.b <= 0         ? std::string("none (b ≤ 0)")
                       : f.a > 0 && seq ? sig(seq->step_seconds.median / f.a)
                                        : std::string("unbounded")},
                      ""});
  }
  if (!t.rows.empty()) doc.table(std::move(t));
}

void RunReport::pattern_tables(Doc& doc) {
  doc.h3("Per pattern", anchor_ + "-patterns");
  doc.para(
      "Every cell. S = T_seq/T_p against sequential on the same batch and shards; S_best against the fastest "
      "sequential configuration of that batch (the price of sharding shows as S_best < S); S_rel = T_1/T_p; "
      "E = S/p; A = process CPU time / wall time; e = Karp–Flatt serial fraction; overhead = (p·T_p − T_seq)/p "
      "per step.");
  // Results with the threads' busy times (Step::busy; files from before it have none) also give
  // the useful parallelism (busy time / wall time: A without the spinning and waiting) and the
  // load imbalance (max/mean busy time per worker).
  const bool busy =
      std::any_of(v_.r.cells.begin(), v_.r.cells.end(), [](const Cell& c) { return c.useful_parallelism.has_value(); });
  if (busy)
    doc.para(
        "A useful = the threads' time in step work (map, combine, update) / wall time: A without the spinning "
        "and waiting. Imbalance = the busiest thread's step work / the mean over the p threads (1 = an even split; – "
        "where more than p threads worked, as in the patterns that start threads every step). "
        "Above the CPUs available, a scheduler that hands out work as threads ask (tbb's work stealing) gives "
        "more to the threads the system happens to run, so its imbalance there shows the time slicing, not a "
        "poor split.");
  for (const auto& pattern : v_.patterns_and_ceiling()) {
    Table t{{"batch", "shards", "p", "time/step ms [95% CI]", "S", "S_best", "S_rel", "E", "A", "e", "overhead µs",
             "samples/s", "weights", "flags"},
            {}};
    if (busy) t.header.insert(t.header.begin() + 9, {"A useful", "imbalance"});
    bool bug = false;
    for (auto [batch, shards] : v_.workloads)
      for (const Cell* c : v_.series(pattern, batch, shards)) {
        Row row{{std::to_string(c->batch), std::to_string(c->shards), std::to_string(c->threads),
                 fmt::format("{} [{}–{}]", ms(c->step_seconds.median), ms(c->step_seconds.ci95_low),
                             ms(c->step_seconds.ci95_high)),
                 fixed2(c->speedup), fixed2(c->speedup_best), fixed2(c->speedup_relative), fixed2(c->efficiency),
                 fixed2(c->parallelism), fixed2(c->karp_flatt), us(c->overhead_per_step_seconds),
                 grouped(c->samples_per_second), weights_text(*c), flags_text(*c)},
                flagged(*c) ? "flag" : ""};
        if (busy) row.cells.insert(row.cells.begin() + 9, {fixed2(c->useful_parallelism), fixed2(c->imbalance)});
        bug = bug || (c->deterministic && c->matches_sequential == false);
        t.rows.push_back(std::move(row));
      }
    if (t.rows.empty()) continue;
    const bool det = !bug;
    doc.h3(pattern, anchor_ + "-pattern-" + pattern);
    const Cell* any = nullptr;
    for (const auto& c : v_.r.cells)
      if (c.pattern == pattern) any = &c;
    if (pattern == kIndependent)
      doc.para(
          "Not a pattern: the machine's own ceiling. p copies of the sequential step run at once, each on its "
          "own model, sharing nothing written; time/step is wall time / (p × steps), so E is the share of p "
          "sequential steps' throughput the machine gave. Each copy trains the same weights as sequential.");
    else if (any && any->deterministic)
      doc.para(det ? "Deterministic: combines shards in a fixed order, so its weights must equal sequential's bit for "
                     "bit."
                   : "Deterministic by design, yet some weights differ from sequential's: a bug (see the weights "
                     "column).");
    else
      doc.para(
          "Not deterministic by design: the order in which it adds the shard gradients changes from run to "
          "run, so its weights differ from sequential's in the last bits.");
    doc.table(std::move(t));
  }
}

void RunReport::extras(Doc& doc) {
  if (!v_.r.skipped.empty()) {
    doc.h3("Cells that could not run", anchor_ + "-skipped");
    Table t{{"pattern", "p", "batch", "shards", "reason"}, {}};
    for (const auto& s : v_.r.skipped)
      t.rows.push_back(
          {{s.pattern, std::to_string(s.threads), std::to_string(s.batch), std::to_string(s.shards), s.reason}, ""});
    doc.table(std::move(t));
  }
  if (!v_.r.primitives.empty()) {
    doc.h3("Primitive costs", anchor_ + "-primitives");
    Table t{{"primitive", "threads", "µs"}, {}};
    for (const auto& p : v_.r.primitives)
      t.rows.push_back({{p.name, std::to_string(p.threads), sig(p.microseconds)}, ""});
    doc.table(std::move(t));
  }
}

}  // namespace gd::report
