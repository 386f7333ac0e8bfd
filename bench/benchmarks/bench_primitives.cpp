// What the patterns' building blocks cost, on p threads, under Google Benchmark.
//
//   build/release/bench/bench_primitives --benchmark_repetitions=5
//         --benchmark_out=primitives.json --benchmark_out_format=json
//   gdlab matrix --quick --primitives primitives.json     # puts them in the results file
//
// One iteration is one use of the primitive by p threads (the calling thread counts as
// one of them where it takes part): spawn and join p threads, wake p-1 workers and wait
// for all of them, one barrier phase, ... patterns/registry.cpp says which rows each
// pattern pays per step and how often; the report prices a pattern's overhead with them
// (what they leave out is the step's own cost, which these empty tasks do not have).
//
// The thread count is a benchmark ARGUMENT ("threads:2"): the body creates its own
// threads. Google Benchmark's Threads() would run p copies of the body instead.
// UseRealTime + MeasureProcessCPUTime: wall time per use, and CPU of every thread, so a
// spinning primitive shows CPU > Time. Use an odd --benchmark_repetitions: the median of
// an even count is wrong in Google Benchmark 1.7.1.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <boost/thread/barrier.hpp>
#include <boost/thread/thread.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

#include "measure/harness.hpp"
#include "measure/primitive_names.hpp"
#include "primitive_args.hpp"
#include "train/cpus.hpp"
#include "train/spin_wait.hpp"
#include "train/thread_pool.hpp"

namespace {

namespace primitive = gd::primitive;

using gd::bench::thread_args;
using gd::bench::threads_of;

// ---- threads ------------------------------------------------------------------------

// The "faults" counter of the rows below: page faults of one use, all threads together.
//
// A new thread pays again for every page of stack its task touches: glibc reuses the
// stacks of finished threads, but hands their pages below the top few back to the
// kernel when a thread ends, so the next thread's first touch of each page is a page
// fault (lesson 08). An empty task touches none; the step's matrix products pack their
// operands into stack buffers (Eigen, up to 128 KiB), so a spawned thread that runs
// shards pays the <touch_stack> rows. A thread touching 112 KiB takes 24 faults, as
// many as one thread running shards of the 784-256-128-10 step took on the VM
// reports/2core-full was measured on (perf stat; 18 on an earlier one, lesson 08).
constexpr std::size_t kStackBytes = 112 * 1024, kPage = 4096;

void touch_stack() {
  char frame[kStackBytes];
  for (std::size_t i = 0; i < kStackBytes; i += kPage) frame[i] = 1;
  benchmark::DoNotOptimize(frame);  // the frame escapes, so the stores must happen
  benchmark::ClobberMemory();
}

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

void count_faults(benchmark::State& state, long before) {
  state.counters["faults"] = benchmark::Counter(double(minor_faults() - before), benchmark::Counter::kAvgIterations);
}

void empty_task() {}

// Spawn-per-step patterns (thread_mutex) pay this every step: <empty_task> prices the
// start alone, <touch_stack> the stack faults of a thread that runs shards as well.
template <void (*Task)()>
void thread_create_join(benchmark::State& state) {
  const int p = threads_of(state);
  std::vector<std::thread> t(p);
  const long before = minor_faults();
  for (auto _ : state) {
    for (auto& th : t) th = std::thread(Task);
    for (auto& th : t) th.join();
  }
  count_faults(state, before);
  state.SetLabel(std::string(Task == touch_stack ? primitive::kThreadCreateJoinStack : primitive::kThreadCreateJoin));
}
BENCHMARK_TEMPLATE(thread_create_join, empty_task)->Apply(thread_args);
BENCHMARK_TEMPLATE(thread_create_join, touch_stack)->Apply(thread_args);

// async_futures pays this every step: <touch_stack> for its map, <empty_task> for its
// combine and update, which touch little stack.
template <void (*Task)()>
void async_round_trip(benchmark::State& state) {
  const int p = threads_of(state);
  std::vector<std::future<void>> f(p);
  const long before = minor_faults();
  for (auto _ : state) {
    for (auto& x : f) x = std::async(std::launch::async, Task);
    for (auto& x : f) x.get();
  }
  count_faults(state, before);
  state.SetLabel(std::string(Task == touch_stack ? primitive::kAsyncGetStack : primitive::kAsyncGet));
}
BENCHMARK_TEMPLATE(async_round_trip, empty_task)->Apply(thread_args);
BENCHMARK_TEMPLATE(async_round_trip, touch_stack)->Apply(thread_args);

// ---- hand-offs to persistent workers ------------------------------------------------
// The main thread wakes p-1 waiting workers and waits until all have answered: one
// "phase" of thread_condvar / thread_semaphore. With p = 1 there is nobody to wake.

// With Spin, each side first polls for up to gd::kSpinBudget, without the lock, as
// thread_condvar's barrier does (shared/train/spin_wait.hpp).
template <bool Spin>
void mutex_condvar_handoff(benchmark::State& state) {
  const int helpers = threads_of(state) - 1;
  std::mutex m;
  std::condition_variable go, done;
  std::atomic<long> generation = 0;  // written under m; polled without it
  std::atomic<int> answered = 0;
  bool stop = false;
  std::vector<std::thread> t;
  for (int i = 0; i < helpers; ++i)
    t.emplace_back([&] {
      long seen = 0;
      std::unique_lock lock(m);
      for (;;) {
        if (Spin) {
          lock.unlock();
          gd::spin_until([&] { return generation != seen; });
          lock.lock();
        }
        go.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
        if (++answered == helpers) done.notify_one();
      }
    });
  for (auto _ : state) {
    std::unique_lock lock(m);
    answered = 0;
    ++generation;
    go.notify_all();
    if (Spin) {
      lock.unlock();
      gd::spin_until([&] { return answered == helpers; });
      lock.lock();
    }
    done.wait(lock, [&] { return answered == helpers; });
  }
  {
    std::lock_guard lock(m);
    stop = true;
  }
  go.notify_all();
  for (auto& th : t) th.join();
  state.SetLabel(std::string(Spin ? primitive::kSpinCondvarHandoff : primitive::kCondvarHandoff));
}
BENCHMARK_TEMPLATE(mutex_condvar_handoff, false)->Apply(thread_args);
BENCHMARK_TEMPLATE(mutex_condvar_handoff, true)->Apply(thread_args);

// With Spin, both sides poll try_acquire() for up to gd::kSpinBudget first when every
// thread has a CPU of its own, as thread_semaphore does.
template <bool Spin>
void semaphore_handoff(benchmark::State& state) {
  const int helpers = threads_of(state) - 1;
  std::counting_semaphore<> start(0), done(0);
  std::atomic<bool> stop{false};
  const bool spin = Spin && gd::spin_pays(helpers + 1);
  auto acquire = [spin](std::counting_semaphore<>& s) {
    if (spin && gd::spin_until([&] { return s.try_acquire(); })) return;
    s.acquire();
  };
  std::vector<std::thread> t;
  for (int i = 0; i < helpers; ++i)
    t.emplace_back([&] {
      for (;;) {
        acquire(start);
        if (stop.load()) return;
        done.release();
      }
    });
  for (auto _ : state) {
    start.release(helpers);
    for (int i = 0; i < helpers; ++i) acquire(done);
  }
  stop.store(true);
  start.release(helpers);
  for (auto& th : t) th.join();
  state.SetLabel(std::string(Spin ? primitive::kSpinSemaphoreHandoff : primitive::kSemaphoreHandoff));
}
BENCHMARK_TEMPLATE(semaphore_handoff, false)->Apply(thread_args);
BENCHMARK_TEMPLATE(semaphore_handoff, true)->Apply(thread_args);

// ---- barriers: every thread loops exactly max_iterations phases ---------------------

void std_barrier(benchmark::State& state) {
  const int p = threads_of(state);
  std::barrier<> bar(p);
  const auto n = state.max_iterations;
  std::vector<std::thread> t;
  for (int i = 1; i < p; ++i)
    t.emplace_back([&] {
      for (benchmark::IterationCount k = 0; k < n; ++k) bar.arrive_and_wait();
    });
  for (auto _ : state) bar.arrive_and_wait();
  for (auto& th : t) th.join();
  state.SetLabel(std::string(primitive::kStdBarrier));
}
BENCHMARK(std_barrier)->Apply(thread_args);

void boost_barrier(benchmark::State& state) {
  const int p = threads_of(state);
  boost::barrier bar{unsigned(p)};
  const auto n = state.max_iterations;
  boost::thread_group group;
  for (int i = 1; i < p; ++i)
    group.create_thread([&] {
      for (benchmark::IterationCount k = 0; k < n; ++k) bar.wait();
    });
  for (auto _ : state) bar.wait();
  group.join_all();
  state.SetLabel(std::string(primitive::kBoostBarrier));
}
BENCHMARK(boost_barrier)->Apply(thread_args);

}  // namespace

BENCHMARK_MAIN();
