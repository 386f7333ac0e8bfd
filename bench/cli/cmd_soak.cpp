// gdlab soak: run patterns for a long while and catch what a short test can miss: a step
// that never finishes (a lost wake-up, a race in a scheduler's own bookkeeping), an
// error, or weights that drift from sequential's.
//
// Each run steps one pattern at one thread count back to back for --seconds, on tiny
// steps (the stress test's workload: XOR, 2-8-2, batch 32 in 16 shards of 2 samples), so
// a step is almost all synchronisation and a rare interleaving gets millions of chances.
// A watchdog thread ends the process if no step finishes for --stall seconds, after
// printing which run stalled and, when gdb is installed, every thread's stack: a stuck
// thread cannot be stopped from outside, and its stack is what says where it waits.
#include <fmt/format.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "commands.hpp"
#include "progress.hpp"
#include "registry.hpp"
#include "train/cpus.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "train/trainer.hpp"

namespace gd::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct SoakOptions {
  std::string patterns = "all";
  std::string threads;  // empty: the CPUs available, and one more
  double seconds = 10;
  int stall = 10;
  int delay_ms = 0;
};

constexpr long kDelayedStep = 100;  // --delay-ms slows this step (counted from 0: the 101st) of every run

// The tiny steps: the same workload as tests/test_stress.cpp.
struct Workload {
  DataSplit data = make_xor(9);
  Model fresh() const {
    Model m({{2, 8, 2}, Activation::tanh});
    m.init(5);
    return m;
  }
  TrainConfig config() const {
    TrainConfig c;
    c.batch = 32;
    c.shards = 16;
    c.hyper = {0.05f, 0.9f, 0.0f};
    return c;
  }
};

// Every thread's stack, from gdb attached to this process, on stderr.
void print_stacks() {
  if (std::system("command -v gdb >/dev/null 2>&1") != 0) {
    std::fprintf(stderr, "(install gdb to see every thread's stack here: apt-get install gdb)\n");
    return;
  }
  // Where the kernel lets only a parent trace its children (Yama), allow gdb to attach.
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  std::fprintf(stderr, "every thread's stack (gdb):\n");
  std::fflush(stderr);
  const std::string cmd =
      fmt::format("timeout 60 gdb -p {} -batch -nx -ex 'thread apply all bt' </dev/null >&2 2>/dev/null", ::getpid());
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "(gdb could not attach: %s)\n", cmd.c_str());
}

// The heartbeat of the run in progress: beat() after every step. If no beat comes for
// `limit` while a run is watched, the watchdog reports the run and ends the process with
// status 1. Between runs (printing a result) nothing is watched, and a pause of the whole
// process (Ctrl-Z, a suspended machine), seen as a late wake-up of the watchdog itself,
// restarts the clock instead of counting as a stall.
class StallWatch {
 public:
  explicit StallWatch(std::chrono::seconds limit) : limit_(limit), thread_([this] { loop(); }) {}
  ~StallWatch() {
    {
      std::lock_guard lock(m_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void watch(std::string run) {  // a run starts (or moves on to a new part): its name, and the clock restarts
    std::lock_guard lock(m_);
    run_ = std::move(run);
    run_start_ = beats_.load();
    restarted_ = watching_ = true;
  }
  void rest() {  // the run is over: nothing to watch until the next watch()
    std::lock_guard lock(m_);
    watching_ = false;
  }
  void beat() { beats_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void loop() {
    constexpr auto tick = std::chrono::milliseconds(100);
    std::unique_lock lock(m_);
    long seen = beats_.load();
    Clock::time_point since = Clock::now(), woke = since;
    while (!cv_.wait_for(lock, tick, [this] { return done_; })) {
      const Clock::time_point now = Clock::now();
      const bool paused = now - woke > 10 * tick;  // this thread, too, was not running
      woke = now;
      const long beats = beats_.load(std::memory_order_relaxed);
      if (beats != seen || restarted_ || paused || !watching_) {
        seen = beats;
        since = now;
        restarted_ = false;
      } else if (now - since >= limit_) {
        std::fprintf(stderr, "\ngdlab soak: STALL: %s: no step finished for %lld s (after %ld steps of this run)\n",
                     run_.c_str(), static_cast<long long>(limit_.count()), beats - run_start_);
        print_stacks();
        std::fflush(stderr);
        std::_Exit(1);  // the stuck threads cannot be joined; nothing was written
      }
    }
  }

  const std::chrono::seconds limit_;
  std::atomic<long> beats_{0};
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false, restarted_ = false, watching_ = false;
  std::string run_;
  long run_start_ = 0;
  std::thread thread_;  // last: it starts once the members above exist
};

// The weights of `steps` sequential steps on the workload.
std::uint64_t sequential_checksum(const Workload& w, long steps, StallWatch& watch) {
  Model m = w.fresh();
  Trainer t(m, w.data.train, w.config());
  auto sequential = find_pattern(kSequential).make(1);
  long done = 0;
  while (done < steps && !CtrlC::pressed())
    t.epoch(
        *sequential, [&](long, long) { ++done, watch.beat(); }, [&] { return done >= steps || CtrlC::pressed(); });
  if (CtrlC::pressed()) throw Interrupted();
  return m.checksum();
}

struct Run {
  long steps = 0;
  double seconds = 0, slowest = 0;
  std::string problem;  // empty: none
};

Run soak_one(const Workload& w, const PatternInfo& info, int p, const SoakOptions& o, StallWatch& watch) {
  Run r;
  Model model = w.fresh();
  Trainer trainer(model, w.data.train, w.config());
  if (o.delay_ms > 0)
    trainer.step().fault = {Fault::Kind::slow, 0, kDelayedStep, std::chrono::milliseconds(o.delay_ms)};
  const std::string name = fmt::format("{} at {} thread{}", info.name, p, p == 1 ? "" : "s");
  watch.watch(name);
  auto pattern = info.make(p);
  const long tenths = long(std::ceil(o.seconds * 10));
  Progress bar(name, tenths);
  const Clock::time_point start = Clock::now();
  const Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  Clock::time_point last = start;
  bool over = false;
  try {
    while (!over)
      trainer.epoch(
          *pattern,
          [&](long, long) {
            const Clock::time_point now = Clock::now();
            r.slowest = std::max(r.slowest, std::chrono::duration<double>(now - last).count());
            last = now;
            ++r.steps;
            watch.beat();
            over = now >= end || CtrlC::pressed();
            // Below the total until the end, where the bar would stop limiting its redraws.
            bar.update(std::min(tenths - 1, long(std::chrono::duration<double>(now - start).count() * 10)));
          },
          [&] { return over; });
  } catch (const std::exception& e) {
    r.problem = fmt::format("ERROR after {} steps: {}", r.steps, e.what());
  }
  bar.finish();
  r.seconds = std::chrono::duration<double>(last - start).count();
  // The pattern's threads end here: a hang on shutdown is a stall too.
  watch.watch(name + ", shutting down" + (r.problem.empty() ? "" : " after " + r.problem));
  pattern.reset();
  if (CtrlC::pressed()) throw Interrupted();
  if (r.problem.empty() && info.deterministic) {
    watch.watch(name + ", replaying its steps with sequential");
    if (sequential_checksum(w, r.steps, watch) != model.checksum())
      r.problem = fmt::format("WEIGHTS DIFFER from sequential's after {} steps", r.steps);
  }
  watch.rest();
  return r;
}

void run(const SoakOptions& o) {
  if (!(o.seconds >= 0.1 && o.seconds <= 86400)) throw UsageError("--seconds must be between 0.1 and 86400 (per run)");
  if (o.stall < 1 || o.stall > 3600) throw UsageError("--stall must be between 1 and 3600 seconds");
  if (o.delay_ms < 0 || o.delay_ms > 3'600'000) throw UsageError("--delay-ms must be between 0 and 3600000");
  std::vector<const PatternInfo*> patterns;
  if (o.patterns == "all") {
    for (const PatternInfo& p : all_patterns())
      if (p.name != kSequential) patterns.push_back(&p);  // it has no threads to soak
  } else {
    for (const std::string& name : split(o.patterns)) {
      if (name == kIndependent)
        throw UsageError("'independent' is the matrix's measure of the machine, not a pattern: leave it out");
      const PatternInfo* p = &find_pattern(name);
      if (std::find(patterns.begin(), patterns.end(), p) == patterns.end()) patterns.push_back(p);
    }
    if (patterns.empty()) throw UsageError("--patterns is empty");
  }
  const int cpus = available_cpus();
  const std::vector<int> threads =
      o.threads.empty() ? std::vector<int>{cpus, cpus + 1} : int_list(o.threads, "--threads", 1, 256);

  std::vector<std::pair<const PatternInfo*, int>> runs;
  for (const PatternInfo* p : patterns)
    for (int t : threads)
      if (p->name != kSequential || t == threads.front()) runs.emplace_back(p, p->name == kSequential ? 1 : t);
  CtrlC ctrl_c("\ngdlab soak: stopping after the current step (Ctrl-C again to abort)\n");
  fmt::print(
      "soak: {} run{} of {:g} s on tiny steps (XOR, 2-8-2, batch 32 in 16 shards of 2 samples), {} CPUs; "
      "a run fails if no step finishes for {} s\n",
      runs.size(), runs.size() == 1 ? "" : "s", o.seconds, cpus, o.stall);
  std::fflush(stdout);

  const Workload w;
  StallWatch watch{std::chrono::seconds(o.stall)};
  int failed = 0;
  for (const auto& [info, p] : runs) {
    if (CtrlC::pressed()) throw Interrupted();
    const Run r = soak_one(w, *info, p, o, watch);
    const std::string weights = !r.problem.empty()    ? r.problem
                                : info->deterministic ? "weights = sequential's"
                                                      : "weights not compared (not deterministic)";
    fmt::print("{:<17} {:>3} thread{}  {:>10} steps in {:5.1f} s  {:8.1f} us/step  slowest {:8.2f} ms  {}\n",
               info->name, p, p == 1 ? " " : "s", r.steps, r.seconds, r.steps ? 1e6 * r.seconds / double(r.steps) : 0.0,
               1e3 * r.slowest, weights);
    std::fflush(stdout);
    failed += !r.problem.empty();
  }
  if (failed > 0) throw std::runtime_error(fmt::format("soak: {} of {} runs failed (see above)", failed, runs.size()));
  fmt::print("soak: no stall, no error; every deterministic pattern kept sequential's weights\n");
}

}  // namespace

void add_soak(CLI::App& app) {
  auto o = std::make_shared<SoakOptions>();
  auto* cmd = app.add_subcommand(
      "soak",
      "Run patterns for a long while on tiny steps; fail on a stall (with every thread's stack), an error, "
      "or weights that differ from sequential's");
  cmd->add_option("--patterns,-m", o->patterns, "Comma-separated patterns, or all (every pattern but sequential)")
      ->capture_default_str();
  cmd->add_option("--threads,-t", o->threads,
                  "Comma-separated thread counts (default: the CPUs available, and one more)");
  cmd->add_option("--seconds", o->seconds, "How long each pattern runs at each thread count")->capture_default_str();
  cmd->add_option("--stall", o->stall, "A run has stalled when no step finishes for this many seconds")
      ->capture_default_str();
  cmd->add_option("--delay-ms", o->delay_ms,
                  "Make one shard of every run's 101st step sleep this long: above --stall, it shows a stall report")
      ->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace gd::cli
