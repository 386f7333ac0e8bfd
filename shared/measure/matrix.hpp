// The matrix runner: how gdlab measures a pattern.
//
// Method, per cell (pattern, p threads, batch, shards), per repetition:
//   1. set-up, NOT timed: a fresh model from the seed, a Step, the pattern (make(p):
//      its threads, pool or arena are created here);
//   2. warm-up steps, not timed (first touches, caches, pools waking up);
//   3. the timed loop: `steps` steps; the wall clock (steady_clock) and the process CPU
//      clock are read once before and once after the loop, never per step;
//   4. the final weights' checksum, compared with sequential's.
// Repetitions are interleaved: round 1 of every cell, then round 2, ..., so slow drift
// of the machine (another job, thermal limits) hits every pattern alike.
//
// The pattern factories come from the caller (bench/ reads patterns/registry): the
// harness lives on the bottom floor and knows no pattern by name.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "measure/accuracy.hpp"
#include "measure/results.hpp"
#include "train/data.hpp"
#include "train/model.hpp"
#include "train/pattern.hpp"
#include "train/step.hpp"

namespace gd {

// A pattern as the harness sees it: a name, the registry's determinism claim, a factory.
struct PatternRef {
  std::string name;
  bool deterministic = true;
  std::function<std::unique_ptr<Pattern>(int threads)> make;
  // Its workers are MPI ranks: its cells (one per config.ranks count) run in an MPI job of
  // that many processes (gdlab matrix starts one per count), not in this process.
  bool ranks = false;
};

// Timed steps per repetition when config.steps is 0: enough steps to train on about
// `rep_samples` samples (config.rep_samples), and at least 10, so a repetition lasts tens of milliseconds.
long auto_steps(int batch, long rep_samples);

// The cells of a configuration, in run order: for each batch, each shard count, each
// pattern, each thread count. `sequential` runs only with 1 thread, and also with 1
// shard at every batch (the fastest sequential configuration, for speedup_best). A rank
// pattern gets a cell per rank count too.
// Shard counts larger than the batch are left out. Every cell gets its steps.
std::vector<Cell> plan_cells(const MatrixConfig& c, const std::vector<PatternRef>& patterns);

// What one repetition measured.
// A thread "works" in a repetition when its CPU time is more than this share of the wall
// time: a helper team doing real work passes it, a pool left spinning for a moment after
// the previous cell does not.
inline constexpr double kAtWork = 0.25;

struct RepOutcome {
  double seconds = 0;                  // wall time of the timed steps
  double cpu_seconds = 0;              // process CPU time over the same steps
  double loss = 0;                     // mean training loss per sample over the timed steps
  std::string checksum;                // of the final weights
  std::vector<double> busy_seconds;    // per thread that worked: Step::busy (shared/train/step.hpp)
  int threads_at_work = 0;             // threads that used more than kAtWork of the wall time (thread_census.hpp)
  std::optional<double> comm_seconds;  // a rank cell: the time on the wire, mean over ranks (ranks.hpp)
  std::optional<double> wait_seconds;  // the part of it spent waiting for a slower rank (ranks.hpp)
};

// One repetition of one cell (the method above). `order` is the sample order: step k
// trains on the (k mod floor(N/batch))-th run of `batch` indices. Throws what the
// pattern throws (UsageError for a thread count it refuses, ShardError, ...).
RepOutcome run_repetition(const PatternRef& pattern, int threads, const ModelSpec& spec, const Dataset& train,
                          const std::vector<int>& order, int batch, int shards, long warmup, long steps,
                          std::uint64_t seed, Hyper hyper = {}, int blocks = 1);

// The machine's own ceiling (kIndependent, results.hpp) runs here as if it were a pattern:
// p copies of the sequential step at once, each on its own model, over the same read-only
// data, so nothing written is shared. What they lose against one copy alone (caches,
// memory bandwidth, clock speed with every core busy, the hypervisor) a pattern mostly
// loses too, before any synchronisation or data exchange; it is a reference, not a strict
// bound, since p models fill the caches more than one shared model does. Each copy runs
// the pattern `sequential` makes. A repetition reports one copy's share: wall and CPU
// time / p, so time per step = wall / (p copies x steps) and E = T_seq / (p T_p) is the
// fraction of p sequential steps' throughput the machine gave at that moment.
PatternRef independent_ref(const PatternRef& sequential);
// What p copies measured together (wall, CPU, each copy's busy time), as one copy's share:
// every time divided by p. A, U and the imbalance, all ratios, are unchanged by it.
RepOutcome one_copys_share(RepOutcome all, int copies);

struct MatrixHooks {
  std::function<bool()> stop;                                             // asked before each repetition
  std::function<void(long done, long total, const Cell& next)> progress;  // before each repetition
  std::function<void(const Results&)> checkpoint;                         // after each repetition
  std::function<void(const std::string&)> warn;                           // a cell was skipped, ...
  // Set: only the cells it accepts run here; the others are left as they are (another
  // run measures them: the rank patterns' cells, in their MPI job).
  std::function<bool(const Cell&)> runs_here;
  // Set: called on each repetition's outcome before it is recorded. In an MPI job it sums
  // the CPU times and threads of every rank and gathers their busy times, so A and U count
  // every process.
  std::function<void(RepOutcome&)> combine;
  // Set: called before each timed repetition of a cell, with a function that times
  // sequential on the cell's batch, shards, blocks and steps (set-up and warm-up untimed)
  // and returns its wall seconds. A result is kept as the repetition's baseline
  // (Cell::rep_reference_seconds); nullopt: the cell has none. An MPI job runs it on rank 0
  // alone, so its rank cells are measured side by side with sequential.
  std::function<std::optional<double>(const Cell&, const std::function<double()>& time_sequential)> reference;
};

// Runs every missing repetition of the cells in r (those with fewer than config.reps),
// round by round. A cell whose pattern fails (refuses the thread count, throws in a
// step) moves to r.skipped with the reason. Returns false when hooks.stop asked to
// stop, true when every cell is complete. r is consistent (metrics computed) after
// each repetition, so the checkpoint may write it.
// With config.target_accuracy set, the cells that measure time to accuracy then run
// kAccuracyRuns rounds of runs to the target (measure/accuracy.hpp), evaluated on `test`.
bool run_matrix(Results& r, const std::vector<PatternRef>& patterns, const Dataset& train, const MatrixHooks& hooks,
                const Dataset* test = nullptr);

// Repetitions still to run (of the cells `only` accepts, when it is given).
long missing_repetitions(const Results& r, const std::function<bool(const Cell&)>& only = {});

// Merges a resumed file's cells into a fresh plan: the plan must be the file's own
// (same config), cells keep their repetitions. Throws UsageError if they disagree.
void adopt_previous(Results& fresh, const Results& previous, const std::string& source);

}  // namespace gd
