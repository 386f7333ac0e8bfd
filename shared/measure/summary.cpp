#include "measure/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "measure/matrix.hpp"
#include "measure/metrics.hpp"

namespace gd {

namespace {
std::string opt2(const std::optional<double>& v, const char* fmtstr = "{:.2f}") {
  return v ? fmt::format(fmt::runtime(fmtstr), *v) : "-";
}
std::string time_str(double s) {
  if (s <= 0) return "-";
  if (s < 1e-3) return fmt::format("{:.1f} us", s * 1e6);
  if (s < 1) return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.3f} s", s);
}
}  // namespace

// p as the table shows it: the thread count, or ranks x threads for a job of processes.
static std::string workers_text(const Cell& c) {
  return c.ranks > 1 ? fmt::format("{}x{}", c.ranks, c.threads) : std::to_string(c.threads);
}

static std::vector<int> batches_of(const Results& r) {
  std::vector<int> batches;
  for (const Cell& c : r.cells)
    if (std::find(batches.begin(), batches.end(), c.batch) == batches.end()) batches.push_back(c.batch);
  return batches;
}

std::string summary_table(const Results& r) {
  std::string out;
  for (int batch : batches_of(r)) {
    out += fmt::format("\nbatch {}\n", batch);
    out += fmt::format("{:<18} {:>4} {:>6} {:>6} {:>11} {:>23} {:>6} {:>6} {:>5} {:>5} {:>5} {:>6} {:>10} {:>6}  {}\n",
                       "pattern", "p", "shards", "blocks", "time/step", "95% CI of median", "S", "S_best", "E", "A",
                       "U", "e(KF)", "overhead", "match", "flags");
    for (const Cell& c : r.cells) {
      if (c.batch != batch) continue;
      const std::string flags = flag_list(c.flags, ",");
      const std::string match =
          c.matches_sequential ? (*c.matches_sequential ? "yes" : (c.deterministic ? "NO" : "no")) : "-";
      out += fmt::format(
          "{:<18} {:>4} {:>6} {:>6} {:>11} {:>23} {:>6} {:>6} {:>5} {:>5.2f} {:>5} {:>6} {:>10} {:>6}  {}\n", c.pattern,
          workers_text(c), c.shards, c.blocks, time_str(c.step_seconds.median),
          c.rep_seconds.empty() ? std::string("-")
                                : time_str(c.step_seconds.ci95_low) + " - " + time_str(c.step_seconds.ci95_high),
          opt2(c.speedup), opt2(c.speedup_best), opt2(c.efficiency), c.parallelism, opt2(c.useful_parallelism),
          opt2(c.karp_flatt, "{:.3f}"),
          c.overhead_per_step_seconds
              ? time_str(std::abs(*c.overhead_per_step_seconds)).insert(0, *c.overhead_per_step_seconds < 0 ? "-" : "")
              : "-",
          match, flags);
    }
  }
  return out;
}

std::vector<std::string> flag_warnings(const Results& r) {
  // One line per flag: what it means, then the cells that carry it.
  struct Kind {
    Flag flag;
    std::string meaning;
  };
  const std::vector<Kind> kinds{
      {Flag::oversubscribed, fmt::format("more threads than the {} available CPUs", r.environment.cpus_available)},
      {Flag::low_parallelism,
       fmt::format("A < {:.0f}% of min(p, CPUs): threads wait instead of computing", 100 * kLowParallelism)},
      {Flag::noisy, fmt::format("repetitions spread more than {:.0f}% around the median", 100 * kNoisySpread)},
      {Flag::checksum_differs, "weights differ from sequential although the pattern claims determinism (a bug)"},
      {Flag::reps_differ, "repetitions ended with different weights"},
      {Flag::hidden_threads,
       fmt::format("more threads worked than the pattern's p (each over {:.0f}% of the wall time): "
                   "a library started threads of its own",
                   100 * kAtWork)},
      {Flag::incomplete, fmt::format("fewer than {} repetitions", r.config.reps)}};
  std::vector<std::string> out;
  for (const Kind& k : kinds) {
    std::vector<std::string> who;
    for (const Cell& c : r.cells)
      if (c.has(k.flag))
        who.push_back(fmt::format("{} p={} b={} s={}{}{}", c.pattern, workers_text(c), c.batch, c.shards,
                                  c.blocks > 1 ? fmt::format(" k={}", c.blocks) : "",
                                  k.flag == Flag::low_parallelism ? fmt::format(" (A={:.2f})", c.parallelism) : ""));
    if (who.empty()) continue;
    std::string list;
    const std::size_t shown = std::min<std::size_t>(who.size(), 6);
    for (std::size_t i = 0; i < shown; ++i) list += (i ? ", " : "") + who[i];
    if (who.size() > shown) list += fmt::format(", and {} more", who.size() - shown);
    out.push_back(fmt::format("{} ({}): {} cell{}: {}", flag_name(k.flag), k.meaning, who.size(),
                              who.size() == 1 ? "" : "s", list));
  }
  const std::vector<double>& trip = r.environment.core_round_trip_ns;
  if (trip.size() == 2 && std::abs(trip[1] - trip[0]) > kRoundTripDrift * std::min(trip[0], trip[1]))
    out.push_back(fmt::format(
        "the core-to-core round trip went from {:.0f} to {:.0f} ns during the matrix: the cores were nearer or "
        "farther apart at the end than at the start (on a virtual machine, the host moved its vCPUs), so patterns "
        "whose threads exchange data or meet at barriers were measured on two different machines; repeat the matrix",
        trip[0], trip[1]));
  return out;
}

std::string round_trip_line(const Environment& e) {
  const std::vector<double>& t = e.core_round_trip_ns;
  if (t.empty()) return "";
  return t.size() == 1
             ? fmt::format("core-to-core round trip: {:.0f} ns at the start", t[0])
             : fmt::format("core-to-core round trip: {:.0f} ns at the start, {:.0f} ns at the end", t[0], t[1]);
}

const Cell* first_to_accuracy(const Results& r, int batch, int threads) {
  const Cell* best = nullptr;
  for (const Cell& c : r.cells)
    if (c.batch == batch && c.threads == threads && c.ranks == 1 && c.time_to_accuracy && c.time_to_accuracy->seconds &&
        (!best || *c.time_to_accuracy->seconds < *best->time_to_accuracy->seconds))
      best = &c;
  return best;
}

std::string accuracy_table(const Results& r) {
  std::string out = fmt::format(
      "time to {:.1f}% test accuracy: evaluated every {} steps (counted), at most {} epochs a run; {} runs, the mean "
      "without the fastest and the slowest\n",
      100 * r.config.target_accuracy, r.config.eval_every, r.config.epochs, kAccuracyRuns);
  for (int batch : batches_of(r)) {
    out += fmt::format("\nbatch {}\n{:<18} {:>4} {:>6} {:>6} {:>8} {:>12}  {}\n", batch, "pattern", "p", "shards",
                       "blocks", "reached", "time", "runs (s; * not reached)");
    std::vector<int> threads;
    for (const Cell& c : r.cells) {
      if (c.batch != batch || !c.time_to_accuracy) continue;
      if (std::find(threads.begin(), threads.end(), c.threads) == threads.end()) threads.push_back(c.threads);
      const TimeToAccuracy& t = *c.time_to_accuracy;
      std::string runs;
      for (const AccuracyRun& a : t.runs)
        runs += fmt::format("{}{:.3g}{}", runs.empty() ? "" : " ", a.seconds, a.reached ? "" : "*");
      const std::string time = t.seconds                                    ? time_str(*t.seconds)
                               : t.runs.size() < std::size_t(kAccuracyRuns) ? "incomplete"
                                                                            : "not reached";
      out += fmt::format("{:<18} {:>4} {:>6} {:>6} {:>8} {:>12}  {}\n", c.pattern, workers_text(c), c.shards, c.blocks,
                         fmt::format("{}/{}", t.reached(), t.runs.size()), time, runs);
    }
    for (int p : threads) {
      const Cell* first = first_to_accuracy(r, batch, p);
      out += first ? fmt::format("first to {:.1f}% at p = {}: {} ({})\n", 100 * r.config.target_accuracy, p,
                                 first->pattern, time_str(*first->time_to_accuracy->seconds))
                   : fmt::format("first to {:.1f}% at p = {}: none reached it\n", 100 * r.config.target_accuracy, p);
    }
  }
  return out;
}

}  // namespace gd
