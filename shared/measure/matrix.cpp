#include "measure/matrix.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <thread>

#include "measure/environment.hpp"
#include "measure/metrics.hpp"
#include "measure/thread_census.hpp"
#include "measure/trainee.hpp"
#include "train/error.hpp"
#include "train/model.hpp"
#include "train/trainer.hpp"

namespace gd {

long auto_steps(int batch, long rep_samples) { return std::max(10L, (rep_samples + batch - 1) / std::max(1, batch)); }

std::vector<Cell> plan_cells(const MatrixConfig& c, const std::vector<PatternRef>& patterns) {
  std::vector<Cell> cells;
  std::vector<int> block_counts;  // "auto" resolved, each once
  for (int b : c.blocks) {
    const int real = b == 0 ? default_blocks(parse_layers(c.layers)) : b;
    if (std::find(block_counts.begin(), block_counts.end(), real) == block_counts.end()) block_counts.push_back(real);
  }
  auto add = [&](const PatternRef& p, int threads, int batch, int shards, int blocks, int ranks = 1) {
    for (const Cell& x : cells)
      if (x.key() == CellKey{p.name, threads, batch, shards, blocks, ranks}) return;
    Cell x;
    x.pattern = p.name;
    x.threads = threads;
    x.batch = batch;
    x.shards = shards;
    x.blocks = blocks;
    x.ranks = ranks;
    x.steps = c.steps > 0 ? c.steps : auto_steps(batch, c.rep_samples);
    x.deterministic = p.deterministic;
    // Time to accuracy: not for the ceiling, which is no pattern.
    if (c.target_accuracy > 0 && p.name != kIndependent) x.time_to_accuracy.emplace().target = c.target_accuracy;
    cells.push_back(std::move(x));
  };
  const PatternRef* seq = nullptr;
  for (const PatternRef& p : patterns)
    if (p.name == kSequential) seq = &p;
  for (int batch : c.batches) {
    std::vector<int> shard_counts;
    for (int s : c.shards) {
      const int real = s == 0 ? default_shards(batch) : s;
      if (real <= batch && std::find(shard_counts.begin(), shard_counts.end(), real) == shard_counts.end())
        shard_counts.push_back(real);
    }
    if (seq) add(*seq, 1, batch, 1, 1);  // the fastest sequential configuration: speedup_best
    for (int blocks : block_counts)
      for (int shards : shard_counts)
        for (const std::string& name : c.patterns)
          for (const PatternRef& p : patterns)
            if (p.name == name) {
              if (p.name == kSequential)
                add(p, 1, batch, shards, blocks);
              else if (p.ranks)
                for (int ranks : c.ranks)
                  for (int t : c.threads) add(p, t, batch, shards, blocks, ranks);
              else
                for (int t : c.threads) add(p, t, batch, shards, blocks);
            }
  }
  return cells;
}

RepOutcome one_copys_share(RepOutcome all, int copies) {
  all.seconds /= copies;
  all.cpu_seconds /= copies;
  for (double& b : all.busy_seconds) b /= copies;
  return all;
}

PatternRef independent_ref(const PatternRef& sequential) {
  return {kIndependent, true, [make = sequential.make](int) { return make(1); }};
}

namespace {
// One trainer of a repetition: a Trainee and the pattern that steps it, built before any
// clock runs, and the loss summed over its timed steps.
struct Run {
  Trainee trainee;
  std::unique_ptr<Pattern> pattern;
  double loss = 0;
  Run(const PatternRef& p, int threads, const ModelSpec& spec, std::uint64_t seed, const Dataset& train,
      const std::vector<int>& order, int batch, int shards, Hyper hyper, int blocks)
      : trainee(spec, seed, train, order, batch, shards, hyper, blocks), pattern(p.make(threads)) {}
  void warm_up(long warmup) {
    for (long k = 0; k < warmup; ++k) trainee.run_step(*pattern);
    trainee.step.busy.reset();
  }
  void timed_steps(long steps, const std::atomic<bool>* stop = nullptr) {
    for (long k = 0; k < steps && !(stop && *stop); ++k) loss += trainee.run_step(*pattern);
  }
  RepOutcome outcome(double seconds, double cpu_seconds, long steps) const {
    return {seconds,
            cpu_seconds,
            loss / double(steps * trainee.batch),
            checksum_hex(trainee.model.checksum()),
            trainee.step.busy.seconds(),
            0,
            std::nullopt,
            std::nullopt};
  }
};

RepOutcome run_independent(const PatternRef& pattern, int copies, const ModelSpec& spec, const Dataset& train,
                           const std::vector<int>& order, int batch, int shards, long warmup, long steps,
                           std::uint64_t seed, Hyper hyper, int blocks) {
  // p copies need p times one step's memory: refuse (a skipped cell) rather than be killed.
  const double bytes = double(copies) * double(step_floats(spec.layers, batch, shards)) * sizeof(float);
  if (bytes > double(kMaxStepBytes))
    throw UsageError(fmt::format("{} independent copies need about {:.1f} GiB, over the {} GiB limit", copies,
                                 bytes / double(1 << 30), kMaxStepBytes >> 30));
  // Set-up: not timed. Copy i runs on thread i; the caller runs copy 0.
  struct Copy : Run {
    using Run::Run;
    std::exception_ptr error;
  };
  std::vector<std::unique_ptr<Copy>> c;
  for (int i = 0; i < copies; ++i)
    c.push_back(std::make_unique<Copy>(pattern, 1, spec, seed, train, order, batch, shards, hyper, blocks));

  // The clocks are read by the barriers' completion steps: after the last copy has arrived
  // and before any copy goes on, so the timed span is exactly "all copies stepping".
  // The thread census is taken there too, outside the clocks, while every copy waits.
  std::chrono::steady_clock::time_point t0, t1;
  double cpu0 = 0, cpu1 = 0;
  ThreadTimes census0, census1;
  std::barrier start(copies, [&]() noexcept {
    census0 = thread_cpu_times();
    cpu0 = process_cpu_seconds(), t0 = std::chrono::steady_clock::now();
  });
  std::barrier done(copies, [&]() noexcept {
    t1 = std::chrono::steady_clock::now(), cpu1 = process_cpu_seconds();
    census1 = thread_cpu_times();
  });
  std::atomic<bool> failed = false;  // one copy failed: the others stop early
  auto run = [&](Copy& x) {
    try {
      if (!x.error) x.warm_up(warmup);
    } catch (...) {
      x.error = std::current_exception();
      failed = true;
    }
    start.arrive_and_wait();
    try {
      if (!x.error) x.timed_steps(steps, &failed);
    } catch (...) {
      x.error = std::current_exception();
      failed = true;
    }
    done.arrive_and_wait();
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < copies; ++i) {
    try {
      threads.emplace_back([&, i] { run(*c[std::size_t(i)]); });
    } catch (...) {  // no thread for copies i ..: they leave both barriers, copy 0 does no steps
      c[0]->error = std::current_exception();
      for (int j = i; j < copies; ++j) start.arrive_and_drop(), done.arrive_and_drop();
      break;
    }
  }
  run(*c[0]);
  for (auto& t : threads) t.join();
  for (const auto& x : c)
    if (x->error) std::rethrow_exception(x->error);
  for (const auto& x : c)  // the same seed, data and order: different weights would mean a race
    if (x->trainee.model.checksum() != c[0]->trainee.model.checksum())
      throw std::runtime_error("independent copies trained different weights from the same data");

  RepOutcome all = c[0]->outcome(std::chrono::duration<double>(t1 - t0).count(), cpu1 - cpu0, steps);
  all.threads_at_work = threads_at_work(census0, census1, kAtWork * all.seconds);
  all.busy_seconds.clear();  // one busy time per copy: each copy is one thread
  for (const auto& x : c) {
    double busy = 0;
    for (double b : x->trainee.step.busy.seconds()) busy += b;
    all.busy_seconds.push_back(busy);
  }
  return one_copys_share(all, copies);
}
}  // namespace

RepOutcome run_repetition(const PatternRef& pattern, int threads, const ModelSpec& spec, const Dataset& train,
                          const std::vector<int>& order, int batch, int shards, long warmup, long steps,
                          std::uint64_t seed, Hyper hyper, int blocks) {
  const long runs = long(order.size()) / batch;  // full batches in one pass over the data
  if (runs < 1) throw UsageError(fmt::format("--batch {} is larger than the {} training samples", batch, order.size()));
  if (pattern.name == kIndependent)
    return run_independent(pattern, threads, spec, train, order, batch, shards, warmup, steps, seed, hyper, blocks);
  Run t(pattern, threads, spec, seed, train, order, batch, shards, hyper, blocks);  // set-up: not timed
  t.warm_up(warmup);

  // The timed loop: two clock readings on each side, nothing per step but the step
  // and the loss (the same bookkeeping the trainer does). The thread census is read
  // outside them.
  const ThreadTimes census0 = thread_cpu_times();
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  t.timed_steps(steps);
  const auto t1 = std::chrono::steady_clock::now();
  const double cpu1 = process_cpu_seconds();
  RepOutcome o = t.outcome(std::chrono::duration<double>(t1 - t0).count(), cpu1 - cpu0, steps);
  o.threads_at_work = threads_at_work(census0, thread_cpu_times(), kAtWork * o.seconds);
  return o;
}

namespace {
long missing_accuracy_runs(const Cell& c) {
  return c.time_to_accuracy ? std::max(0L, long(kAccuracyRuns) - long(c.time_to_accuracy->runs.size())) : 0;
}
}  // namespace

long missing_repetitions(const Results& r, const std::function<bool(const Cell&)>& only) {
  long n = 0;
  for (const Cell& c : r.cells)
    if (!only || only(c))
      n += std::max(0L, long(r.config.reps) - long(c.rep_seconds.size())) + missing_accuracy_runs(c);
  return n;
}

bool run_matrix(Results& r, const std::vector<PatternRef>& patterns, const Dataset& train, const MatrixHooks& hooks,
                const Dataset* test) {
  const ModelSpec spec{parse_layers(r.config.layers)};
  std::vector<int> order(train.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  shuffle_indices(order, std::uint64_t(r.config.seed));
  auto warn = [&](const std::string& s) {
    if (hooks.warn) hooks.warn(s);
  };

  const PatternRef* sequential = nullptr;  // for hooks.reference
  for (const PatternRef& p : patterns)
    if (p.name == kSequential) sequential = &p;
  const long total = missing_repetitions(r, hooks.runs_here);
  long done = 0;
  compute_metrics(r);
  // Step times first (config.reps rounds), then time to accuracy (kAccuracyRuns rounds).
  const int accuracy_rounds = r.config.target_accuracy > 0 ? kAccuracyRuns : 0;
  for (int round = 0; round < r.config.reps + accuracy_rounds; ++round) {
    const bool timing = round < r.config.reps;
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      const Cell& planned = r.cells[i];
      if (timing ? int(planned.rep_seconds.size()) > round  // measured before a resume
                 : !planned.time_to_accuracy || int(planned.time_to_accuracy->runs.size()) > round - r.config.reps)
        continue;
      if (hooks.runs_here && !hooks.runs_here(r.cells[i])) continue;
      if (hooks.stop && hooks.stop()) return false;
      Cell& c = r.cells[i];
      if (hooks.progress) hooks.progress(done, total, c);
      const PatternRef* ref = nullptr;
      for (const PatternRef& p : patterns)
        if (p.name == c.pattern) ref = &p;
      try {
        if (!ref) throw UsageError("unknown pattern '" + c.pattern + "'");
        if (!timing) {
          if (!test || test->size() == 0) throw UsageError("time to accuracy needs a test set, and the data has none");
          const int run = round - r.config.reps;
          const AccuracyPlan plan{.spec = spec,
                                  .batch = c.batch,
                                  .shards = c.shards,
                                  .blocks = c.blocks,
                                  .hyper = {},  // the matrix trains with the default hyperparameters
                                  .target = r.config.target_accuracy,
                                  .eval_every = r.config.eval_every,
                                  .epochs = r.config.epochs};
          auto pattern = ref->make(c.threads);  // set-up: before the run's clock
          const std::optional<AccuracyRun> got = run_to_accuracy(
              *pattern, plan, train, *test, std::uint64_t(r.config.seed) + std::uint64_t(run), hooks.stop);
          if (!got) return false;  // stopped in the middle of the run: it is run again on --resume
          c.time_to_accuracy->runs.push_back(*got);
          c.time_to_accuracy->seconds = accuracy_score(c.time_to_accuracy->runs);
          ++done;
          if (hooks.checkpoint) hooks.checkpoint(r);
          continue;
        }
        std::optional<double> reference;
        if (hooks.reference)
          reference = hooks.reference(c, [&] {
            if (!sequential) throw UsageError("no sequential pattern to measure a baseline with");
            return run_repetition(*sequential, 1, spec, train, order, c.batch, c.shards, r.config.warmup, c.steps,
                                  std::uint64_t(r.config.seed), {}, c.blocks)
                .seconds;
          });
        RepOutcome o = run_repetition(*ref, c.threads, spec, train, order, c.batch, c.shards, r.config.warmup, c.steps,
                                      std::uint64_t(r.config.seed), {}, c.blocks);
        if (hooks.combine) hooks.combine(o);
        if (c.rep_seconds.empty()) {
          c.checksum = o.checksum;
          c.final_loss = o.loss;
        } else if (o.checksum != c.checksum && !c.has(Flag::reps_differ)) {
          c.flags.push_back(Flag::reps_differ);
        }
        c.threads_at_work = std::max(c.threads_at_work, o.threads_at_work);
        c.rep_seconds.push_back(o.seconds);
        c.rep_cpu_seconds.push_back(o.cpu_seconds);
        if (o.comm_seconds) c.rep_comm_seconds.push_back(*o.comm_seconds);
        if (o.wait_seconds) c.rep_wait_seconds.push_back(*o.wait_seconds);
        if (reference) c.rep_reference_seconds.push_back(*reference);
        if (!o.busy_seconds.empty() && o.seconds > 0) {
          double sum = 0, max = 0;
          for (double b : o.busy_seconds) sum += b, max = std::max(max, b);
          c.rep_useful_parallelism.push_back(sum / o.seconds);
          // Imbalance compares p workers; a pattern that starts fresh threads every step
          // (more threads than p worked) has no fixed workers to compare.
          const double mean = sum / double(c.workers());  // a worker that never worked counts as 0
          if (o.busy_seconds.size() <= std::size_t(c.workers())) c.rep_imbalance.push_back(mean > 0 ? max / mean : 1.0);
        }
      } catch (const std::exception& e) {
        // The pattern refused this configuration or failed: record why, move on.
        Skipped s{c.pattern, c.threads, c.batch, c.shards, e.what(), c.blocks, c.ranks};
        warn(fmt::format("skipped {} p={} batch={} shards={} blocks={}: {}", s.pattern, s.threads, s.batch, s.shards,
                         s.blocks, s.reason));
        done += std::max(0L, long(r.config.reps) - long(c.rep_seconds.size())) + missing_accuracy_runs(c);
        r.skipped.push_back(std::move(s));
        r.cells.erase(r.cells.begin() + long(i));
        --i;
        compute_metrics(r);
        if (hooks.checkpoint) hooks.checkpoint(r);
        continue;
      }
      ++done;
      compute_metrics(r);
      if (hooks.checkpoint) hooks.checkpoint(r);
      // Let pools that spin after their work (OpenMP, TBB) fall asleep before the
      // next cell, so their spinning is not counted against it.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (hooks.progress && !r.cells.empty()) hooks.progress(done, total, r.cells.back());
  return true;
}

void adopt_previous(Results& fresh, const Results& previous, const std::string& source) {
  if (!(fresh.config == previous.config))
    throw UsageError(source + ": its configuration differs from this run's (with --resume the file's own is used)");
  for (Cell& c : fresh.cells) {
    for (const Cell& old : previous.cells)
      if (old.key() == c.key()) {
        if (old.steps != c.steps)
          throw UsageError(fmt::format("{}: cell {} p={} batch={} ran {} steps, the plan says {}", source, c.pattern,
                                       c.threads, c.batch, old.steps, c.steps));
        c = old;
        c.rep_seconds.resize(std::min<std::size_t>(c.rep_seconds.size(), std::size_t(fresh.config.reps)));
        c.rep_cpu_seconds.resize(c.rep_seconds.size());
        if (c.rep_useful_parallelism.size() > c.rep_seconds.size())
          c.rep_useful_parallelism.resize(c.rep_seconds.size());
        if (c.rep_imbalance.size() > c.rep_seconds.size()) c.rep_imbalance.resize(c.rep_seconds.size());
        if (c.rep_comm_seconds.size() > c.rep_seconds.size()) c.rep_comm_seconds.resize(c.rep_seconds.size());
        if (c.rep_wait_seconds.size() > c.rep_seconds.size()) c.rep_wait_seconds.resize(c.rep_seconds.size());
        if (c.rep_reference_seconds.size() > c.rep_seconds.size()) c.rep_reference_seconds.resize(c.rep_seconds.size());
      }
  }
  // Cells that were skipped before stay skipped: they failed for a reason.
  for (const Skipped& s : previous.skipped) {
    fresh.cells.erase(
        std::remove_if(fresh.cells.begin(), fresh.cells.end(), [&](const Cell& c) { return c.key() == s.key(); }),
        fresh.cells.end());
    fresh.skipped.push_back(s);
  }
  fresh.primitives = previous.primitives;
  compute_metrics(fresh);
}

}  // namespace gd
