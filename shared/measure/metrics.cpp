#include "measure/metrics.hpp"

#include <algorithm>

#include "measure/statistics.hpp"
#include "train/cpus.hpp"

namespace gd {

double speedup(double t_seq, double t_p) { return t_p > 0 ? t_seq / t_p : 0; }
double efficiency(double s, int p) { return p > 0 ? s / p : 0; }
std::optional<double> karp_flatt(double s, int p) {
  if (p <= 1 || s <= 0) return std::nullopt;
  return (1 / s - 1.0 / p) / (1 - 1.0 / p);
}
double overhead_per_step(double T_p, double T_seq, int p, long steps) {
  return (p * T_p - T_seq) / (double(p) * double(steps));
}

namespace {

const Cell* find_cell(const Results& r, const CellKey& key) {
  for (const Cell& c : r.cells)
    if (c.key() == key && !c.rep_seconds.empty()) return &c;
  return nullptr;
}

}  // namespace

// The baseline: sequential measured beside this cell's repetitions where it was (a rank
// cell, in its MPI job), else the sequential cell, interleaved with every cell here.
std::optional<double> baseline_step_seconds(const Results& r, const Cell& c) {
  if (!c.rep_reference_seconds.empty() && c.steps > 0) return median_of(c.rep_reference_seconds) / double(c.steps);
  if (const Cell* seq = find_cell(r, {kSequential, 1, c.batch, c.shards, c.blocks})) return seq->step_seconds.median;
  return std::nullopt;
}

void compute_metrics(Results& r) {
  const int cpus = r.environment.cpus_available > 0 ? r.environment.cpus_available : available_cpus();
  // Pass 1: each cell on its own.
  for (Cell& c : r.cells) {
    const bool reps_differ = c.has(Flag::reps_differ);  // observed while running, kept
    c.flags.clear();
    c.complete = int(c.rep_seconds.size()) >= r.config.reps;
    c.speedup = c.speedup_best = c.speedup_relative = c.efficiency = c.karp_flatt = c.overhead_per_step_seconds =
        std::nullopt;
    c.matches_sequential = std::nullopt;
    if (c.rep_seconds.empty()) {
      c.step_seconds = {};
      c.cpu_seconds_median = c.parallelism = c.samples_per_second = 0;
      c.flags.push_back(Flag::incomplete);
      continue;
    }
    std::vector<double> per_step, ratio;
    for (std::size_t i = 0; i < c.rep_seconds.size(); ++i) {
      per_step.push_back(c.rep_seconds[i] / double(c.steps));
      ratio.push_back(c.rep_seconds[i] > 0 ? c.rep_cpu_seconds[i] / c.rep_seconds[i] : 0);
    }
    c.step_seconds = summarize(per_step);
    c.cpu_seconds_median = median_of(c.rep_cpu_seconds);
    c.parallelism = median_of(ratio);
    c.useful_parallelism = c.imbalance = c.comm_seconds_per_step = c.wait_seconds_per_step = std::nullopt;
    if (!c.rep_comm_seconds.empty()) c.comm_seconds_per_step = median_of(c.rep_comm_seconds) / double(c.steps);
    if (!c.rep_wait_seconds.empty()) c.wait_seconds_per_step = median_of(c.rep_wait_seconds) / double(c.steps);
    if (!c.rep_useful_parallelism.empty()) c.useful_parallelism = median_of(c.rep_useful_parallelism);
    if (!c.rep_imbalance.empty()) c.imbalance = median_of(c.rep_imbalance);
    c.samples_per_second = c.step_seconds.median > 0 ? c.batch / c.step_seconds.median : 0;
    if (c.workers() > cpus) c.flags.push_back(Flag::oversubscribed);
    if (c.workers() > 1 && c.parallelism < kLowParallelism * std::min(c.workers(), cpus))
      c.flags.push_back(Flag::low_parallelism);
    if (c.step_seconds.median > 0 && (c.step_seconds.max - c.step_seconds.min) / c.step_seconds.median > kNoisySpread)
      c.flags.push_back(Flag::noisy);
    if (!c.complete) c.flags.push_back(Flag::incomplete);
    if (reps_differ) c.flags.push_back(Flag::reps_differ);
    if (c.threads_at_work > c.workers()) c.flags.push_back(Flag::hidden_threads);
  }
  // Pass 2: against the sequential and the 1-thread cells.
  for (Cell& c : r.cells) {
    if (c.rep_seconds.empty()) continue;
    const double t_p = c.step_seconds.median;
    const Cell* seq = find_cell(r, {kSequential, 1, c.batch, c.shards, c.blocks});
    const std::optional<double> t_seq = baseline_step_seconds(r, c);
    if (t_seq) {
      c.speedup = speedup(*t_seq, t_p);
      c.efficiency = efficiency(*c.speedup, c.workers());
      c.karp_flatt = karp_flatt(*c.speedup, c.workers());
      // In per-step times: (p T_p - T_seq) / (p steps) = (p t_p - t_seq) / p.
      c.overhead_per_step_seconds = overhead_per_step(t_p, *t_seq, c.workers(), 1);
    }
    if (seq && c.pattern != kSequential && seq->steps == c.steps && !seq->checksum.empty()) {
      c.matches_sequential = c.checksum == seq->checksum;
      if (c.deterministic && !*c.matches_sequential) c.flags.push_back(Flag::checksum_differs);
    }
    double best = 0;
    for (const Cell& s : r.cells)
      if (s.pattern == kSequential && s.threads == 1 && s.batch == c.batch && !s.rep_seconds.empty() &&
          (best == 0 || s.step_seconds.median < best))
        best = s.step_seconds.median;
    // A cell with its own baseline scales the fastest time to it by the sequential cells'
    // ratio (the price of sharding), so S_best / S is that price for every cell.
    if (best > 0 && !c.rep_reference_seconds.empty() && seq) best *= *t_seq / seq->step_seconds.median;
    if (best > 0) c.speedup_best = speedup(best, t_p);
    if (const Cell* one = find_cell(r, {c.pattern, 1, c.batch, c.shards, c.blocks, c.ranks}))
      c.speedup_relative = speedup(one->step_seconds.median, t_p);
  }
}

}  // namespace gd
