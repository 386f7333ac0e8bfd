// bench_primitives, second file: what the library patterns' building blocks cost (OpenMP,
// oneTBB, the pools, Asio) and what rewriting shared cache lines costs. The first file,
// bench_primitives.cpp, says how the rows are measured and read.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <barrier>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <latch>
#include <thread>
#include <vector>

#include "measure/primitive_names.hpp"
#include "primitive_args.hpp"
#include "train/cpus.hpp"
#include "train/spin_wait.hpp"
#include "train/thread_pool.hpp"

namespace {

namespace primitive = gd::primitive;
using gd::bench::thread_args;
using gd::bench::threads_of;

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
        pool, [&]() -> boost::asio::awaitable<void> { co_await boost::asio::post(pool, boost::asio::use_awaitable); },
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
