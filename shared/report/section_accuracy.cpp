// Time to accuracy (measure/accuracy.hpp): how long each pattern took to train the model to
// the target test accuracy, evaluation included, by MLPerf's rule (5 runs, the fastest and
// the slowest dropped, the mean of the rest), and which pattern got there first at each
// thread count. Step time says how fast a pattern computes; this says how fast it learns.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "measure/summary.hpp"
#include "report/run_report.hpp"
#include "report/text.hpp"

namespace gd::report {

namespace {
std::string seconds_text(double s) { return s >= 1 ? sig(s, 3) + " s" : ms(s) + " ms"; }
}  // namespace

void RunReport::time_to_accuracy(Doc& doc) {
  const Results& r = v_.r;
  std::vector<const Cell*> cells;
  for (const Cell& c : r.cells)
    if (c.time_to_accuracy && !c.time_to_accuracy->runs.empty()) cells.push_back(&c);
  if (cells.empty()) return;
  const double target = r.config.target_accuracy;
  const std::string percent = fmt::format("{:g}%", 100 * target), goal = percent + " test accuracy";
  doc.h3("Time to accuracy: " + goal, anchor_ + "-accuracy");
  doc.para(fmt::format(
      "Each cell trained a fresh model until its accuracy on the test set first reached {}, evaluated every {} steps, "
      "or gave up after {} epochs. The clock runs over everything training needs: the shuffles, the batches, the "
      "steps and the evaluations; the set-up (the model, the pattern's threads) is outside it. Run i starts from "
      "seed {} + i for every pattern, so a deterministic pattern follows sequential's path step for step and only "
      "its speed differs, while an asynchronous one (hogwild) may need more steps. As MLPerf Training scores it: {} "
      "runs, the fastest and the slowest dropped, the mean of the rest; a run that never reached the target counts "
      "as the slowest, and a cell that keeps one such run is \"not reached\", never a time.",
      percent, r.config.eval_every, r.config.epochs, r.config.seed, kAccuracyRuns));

  Table t{{"batch", "pattern", "p", "shards × blocks", "reached", "time to accuracy", "runs: fastest–slowest",
           "steps (median run)", "flags"},
          {}};
  for (const Cell* c : cells) {
    const TimeToAccuracy& a = *c->time_to_accuracy;
    double lo = 1e300, hi = 0;
    std::vector<long> steps;
    for (const AccuracyRun& run : a.runs)
      lo = std::min(lo, run.seconds), hi = std::max(hi, run.seconds), steps.push_back(run.steps);
    std::nth_element(steps.begin(), steps.begin() + long(steps.size() / 2), steps.end());
    const bool over = c->workers() > v_.cpus;
    t.rows.push_back({{std::to_string(c->batch), c->pattern, std::to_string(c->workers()),
                       fmt::format("{} × {}", c->shards, c->blocks), fmt::format("{}/{}", a.reached(), a.runs.size()),
                       a.seconds ? seconds_text(*a.seconds) : "not reached",
                       fmt::format("{}–{}", seconds_text(lo), seconds_text(hi)),
                       std::to_string(steps[steps.size() / 2]), over ? "oversubscribed" : ""},
                      over ? "flag" : ""});
  }
  doc.table(std::move(t));

  std::set<int> batches, threads;
  for (const Cell* c : cells) batches.insert(c->batch), threads.insert(c->threads);
  std::vector<std::string> first;
  for (int b : batches)
    for (int p : threads) {
      const Cell* f = first_to_accuracy(r, b, p);
      first.push_back(f ? fmt::format("batch {}, p = {}: {} first, in {}", b, p, f->pattern,
                                      seconds_text(*f->time_to_accuracy->seconds))
                        : fmt::format("batch {}, p = {}: no pattern reached {}", b, p, goal));
    }
  doc.bullets(std::move(first));

  // The chart: time to accuracy against p at the largest batch measured, a line per pattern,
  // on the workload the other charts show (its shard count, the fewest neuron blocks, one
  // process; the table has the rank counts).
  const int batch = *batches.rbegin();
  const int shards = v_.primary.count(batch) ? v_.primary.at(batch) : cells.front()->shards;
  report::LineChart ch;
  ch.title = fmt::format("Time to {}, {}", goal, workload_name(batch, shards));
  ch.xlabel = "threads p";
  ch.ylabel = "seconds (lower is better)";
  for (int p : threads) ch.xtics.push_back(p);
  if (*threads.rbegin() > v_.cpus) ch.vline = v_.cpus, ch.vline_label = "CPUs available";
  std::vector<std::string> patterns;
  for (const Cell* c : cells)
    if (c->batch == batch && std::find(patterns.begin(), patterns.end(), c->pattern) == patterns.end())
      patterns.push_back(c->pattern);
  for (const std::string& pattern : patterns) {
    report::Series s{
        pattern, colours_.colour(pattern), report::Series::Style::LinesPoints, colours_.point(pattern), {}};
    for (const Cell* c : cells) {
      if (c->batch != batch || c->shards != shards || c->blocks != v_.blocks || c->ranks != 1 ||
          c->pattern != pattern || !c->time_to_accuracy->seconds)
        continue;
      s.points.push_back({double(c->threads), *c->time_to_accuracy->seconds});
      if (c->workers() > v_.cpus) ch.flagged.push_back(s.points.back());
    }
    std::sort(s.points.begin(), s.points.end());
    if (!s.points.empty()) ch.series.push_back(std::move(s));
  }
  if (ch.series.empty()) return;
  doc.figure(chart("time-to-accuracy", ch.title, ch,
                   fmt::format("Each point is a cell's score (the mean of its middle runs); a pattern that never "
                               "reached {} at some p has no point there.",
                               goal)));
}

}  // namespace gd::report
