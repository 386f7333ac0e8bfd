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
#include <omp.h>
#include <sys/resource.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/thread/barrier.hpp>
#include <boost/thread/thread.hpp>
#include <condition_variable>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

#include "measure/harness.hpp"
#include "train/cpus.hpp"
#include "measure/primitive_names.hpp"
#include "train/spin_wait.hpp"
#include "train/thread_pool.hpp"

namespace {

namespace primitive = gd::primitive;

int threads_of(const benchmark::State& s) { return int(s.range(0)); }

// p = 1, 2, 4, ... up to the available CPUs (at least 2).
void thread_args(benchmark::internal::Benchmark* b) {
  b->ArgName("threads")->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);
  for (int p = 1; p <= std::max(2, gd::available_cpus()); p *= 2) b->Arg(p);
}

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

// ---- OpenMP ---------------------------------------------------------------------------

void omp_parallel_region(benchmark::State& state) {
  const int p = threads_of(state);
  for (auto _ : state) {
#pragma omp parallel num_threads(p)
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::string(primitive::kOmpRegion));
}
BENCHMARK(omp_parallel_region)->Apply(thread_args);

void omp_barrier(benchmark::State& state) {
  const int p = threads_of(state);
  const auto n = state.max_iterations;
#pragma omp parallel num_threads(p)
  {
    if (omp_get_thread_num() == 0) {
      for (auto _ : state) {
#pragma omp barrier
      }
    } else {
      for (benchmark::IterationCount k = 0; k < n; ++k) {
#pragma omp barrier
      }
    }
  }
  state.SetLabel(std::string(primitive::kOmpBarrier));
}
BENCHMARK(omp_barrier)->Apply(thread_args);

// ---- oneTBB -----------------------------------------------------------------------

// Left alone, TBB runs tiny tasks on the calling thread before a worker wakes up, which
// measures no fork at all. Here the p tasks meet: each waits (at most 1 ms) until all p
// have started, so they really run on p threads at once. "forked" is the fraction of
// iterations where they met in time.
void tbb_fork_join(benchmark::State& state) {
  const int p = threads_of(state);
  tbb::task_arena arena(p);
  long met = 0;
  for (auto _ : state)
    arena.execute([&] {
      std::atomic<int> started{0};
      std::atomic<bool> all{true};
      tbb::parallel_for(
          0, p,
          [&](int) {
            started.fetch_add(1);
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
            while (started.load() < p)
              if (std::chrono::steady_clock::now() > give_up) {
                all.store(false);
                break;
              }
          },
          tbb::simple_partitioner{});
      met += all.load();
    });
  state.counters["forked"] = double(met) / double(std::max<benchmark::IterationCount>(1, state.iterations()));
  state.SetLabel(std::string(primitive::kTbbForkJoin));
}
BENCHMARK(tbb_fork_join)->Apply(thread_args);

// ---- pools: dispatch p tasks and wait for them ---------------------------------------

void thread_pool_dispatch(benchmark::State& state) {
  const int p = threads_of(state);
  gd::ThreadPool pool(p);
  std::vector<std::future<void>> f(p);
  for (auto _ : state) {
    for (auto& x : f) x = pool.submit([] {});
    for (auto& x : f) x.get();
  }
  state.SetLabel(std::string(primitive::kPoolDispatch));
}
BENCHMARK(thread_pool_dispatch)->Apply(thread_args);

// One phase of thread_pool: p-1 tasks to a pool of p-1 threads while the caller runs its
// own share (here: nothing), then the futures. When every thread has a CPU of its own
// the pool threads and the caller poll before they sleep, as the pattern's do.
void thread_pool_phase(benchmark::State& state) {
  const int p = threads_of(state);
  const bool spin = gd::spin_pays(p);
  gd::ThreadPool pool(p - 1, spin);
  std::vector<std::future<void>> f(std::size_t(p - 1));
  auto ready = [&] {
    return std::all_of(f.begin(), f.end(),
                       [](auto& x) { return x.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  };
  for (auto _ : state) {
    for (auto& x : f) x = pool.submit([] {});
    if (spin) gd::spin_until(ready);
    for (auto& x : f) x.get();
  }
  state.SetLabel(std::string(primitive::kPoolPhase));
}
BENCHMARK(thread_pool_phase)->Apply(thread_args);

void asio_post(benchmark::State& state) {
  const int p = threads_of(state);
  boost::asio::thread_pool pool{std::size_t(p)};
  for (auto _ : state) {
    std::latch done(p);
    for (int i = 0; i < p; ++i) boost::asio::post(pool, [&] { done.count_down(); });
    done.wait();
  }
  pool.join();
  state.SetLabel(std::string(primitive::kAsioPost));
}
BENCHMARK(asio_post)->Apply(thread_args);

// One phase of asio_pool: p-1 handlers posted to a pool of p-1 threads while the caller
// runs its own share (here: nothing), then the latch, polled first when every thread has
// a CPU of its own. The pool threads sleep in Asio's queue between phases.
void asio_pool_phase(benchmark::State& state) {
  const int p = threads_of(state);
  const bool spin = gd::spin_pays(p);
  boost::asio::thread_pool pool{std::size_t(p - 1)};
  for (auto _ : state) {
    std::latch done(p - 1);
    for (int i = 1; i < p; ++i) boost::asio::post(pool, [&] { done.count_down(); });
    if (spin) gd::spin_until([&] { return done.try_wait(); });
    done.wait();
  }
  pool.join();
  state.SetLabel(std::string(primitive::kAsioPhase));
}
BENCHMARK(asio_pool_phase)->Apply(thread_args);

// A coroutine on the pool that suspends and is resumed by the pool: co_await post.
void asio_co_await_resume(benchmark::State& state) {
  const int p = threads_of(state);
  boost::asio::thread_pool pool{std::size_t(p)};
  for (auto _ : state) {
    auto f = boost::asio::co_spawn(
        pool,
        [&]() -> boost::asio::awaitable<void> { co_await boost::asio::post(pool, boost::asio::use_awaitable); },
        boost::asio::use_future);
    f.get();
  }
  pool.join();
  state.SetLabel(std::string(primitive::kAsioCoAwait));
}
BENCHMARK(asio_co_await_resume)->Apply(thread_args);

// ---- memory: rewriting cache lines that other cores hold -----------------------------

// Step::update_slice rewrites weights that every thread has just read in its forward
// pass. One round here does the same to 1 MiB: every thread reads all of it, then each
// rewrites its own contiguous 1/p. Timed (by the caller): the rewrite, from the barrier
// after the reads to the barrier after the writes. At p = 1 no other core holds the
// lines; at p >= 2 every store must first have the other cores' copies invalidated.
// With WritePrefetch the next 16 lines are requested in write mode while the current
// 16 are written, as update_slice does, so those invalidations overlap.
template <bool WritePrefetch>
void rewrite_shared_lines(benchmark::State& state) {
  const int p = threads_of(state);
  constexpr std::size_t kFloats = 256 * 1024, kBlock = 256, kLine = 16;  // 1 MiB; 16 lines; 1 line
  struct alignas(64) Line {
    float f[kLine];
  };
  const auto lines = std::make_unique<Line[]>(kFloats / kLine);  // starts on a cache line, as Step's arrays do
  float* const w = lines[0].f;
  std::fill_n(w, kFloats, 1.0f);
  std::atomic<int> arrived = 0;
  std::atomic<long> generation = 0;
  auto barrier = [&] {  // every thread has a CPU of its own (p <= available CPUs): spin
    const long g = generation;
    if (arrived.fetch_add(1) + 1 == p) {
      arrived = 0;
      ++generation;
    } else {
      while (generation == g) gd::cpu_relax();
    }
  };
  auto read_all = [&] {
    float sum = 0;
    for (std::size_t i = 0; i < kFloats; i += kLine) sum += w[i];  // one load brings a whole line
    benchmark::DoNotOptimize(sum);
  };
  auto rewrite_share = [&](int t) {
    const std::size_t b = kFloats * t / p, e = kFloats * (t + 1) / p;
    if (WritePrefetch)
      for (std::size_t i = b; i < std::min(e, b + kBlock); i += kLine) __builtin_prefetch(&w[i], 1);
    for (std::size_t block = b; block < e; block += kBlock) {
      if (WritePrefetch)
        for (std::size_t i = block + kBlock; i < std::min(e, block + 2 * kBlock); i += kLine)
          __builtin_prefetch(&w[i], 1);
      for (std::size_t i = block, end = std::min(e, block + kBlock); i < end; ++i) w[i] = 0.5f * w[i] + 0.5f;
    }
  };
  const auto n = state.max_iterations;
  std::vector<std::thread> t;
  for (int i = 1; i < p; ++i)
    t.emplace_back([&, i] {
      for (benchmark::IterationCount k = 0; k < n; ++k) {
        read_all();
        barrier();
        rewrite_share(i);
        barrier();
      }
    });
  for (auto _ : state) {
    read_all();
    barrier();
    const auto start = std::chrono::steady_clock::now();
    rewrite_share(0);
    barrier();
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  for (auto& th : t) th.join();
  state.SetLabel(std::string(WritePrefetch ? primitive::kRewritePrefetch : primitive::kRewritePlain));
}
void memory_args(benchmark::internal::Benchmark* b) {
  b->ArgName("threads")->UseManualTime()->Unit(benchmark::kMicrosecond);
  for (int p = 1; p <= gd::available_cpus(); p *= 2) b->Arg(p);  // the barrier spins: no p above the CPUs
}
BENCHMARK_TEMPLATE(rewrite_shared_lines, false)->Apply(memory_args);
BENCHMARK_TEMPLATE(rewrite_shared_lines, true)->Apply(memory_args);

}  // namespace

BENCHMARK_MAIN();
