// One training step per pattern x threads x batch, under Google Benchmark.
//
//   build/release/bench/bench_step --benchmark_filter='step/openmp/'
//   build/release/bench/bench_step --benchmark_filter='step/(sequential|independent)/batch:256'
//   build/release/bench/bench_step --benchmark_filter='step/phases/.*batch:256'
//
// Each pattern benchmark is registered from the pattern table (patterns/registry.cpp) with two
// arguments: threads (p) and batch. The set-up (model, step, the pattern's threads or
// pool) happens before the timed loop; one iteration is one whole step. The thread count
// is a benchmark ARGUMENT and the pattern creates its own p workers: Google Benchmark's
// Threads() runs p copies of the body instead, which only step/independent wants.
// UseRealTime: wall time is the figure (CPU time of the main thread would hide the
// workers); MeasureProcessCPUTime: the "CPU" column then counts every thread, so
// CPU / Time is the measured parallelism A of shared/measure/harness.hpp.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <barrier>
#include <chrono>
#include <thread>

#include "measure/harness.hpp"
#include "measure/trainee.hpp"
#include "registry.hpp"
#include "train/cpus.hpp"
#include "train/data.hpp"
#include "train/memory.hpp"
#include "train/step.hpp"
#include "train/trainer.hpp"

namespace {

const gd::DataSplit& data() {
  static const gd::DataSplit d = gd::make_synthetic(1);
  return d;
}

// A fresh 784-256-128-10 model and step on `train` with the default shard count.
std::unique_ptr<gd::Trainee> trainee(const gd::Dataset& train, int batch) {
  return std::make_unique<gd::Trainee>(gd::ModelSpec{{784, 256, 128, 10}}, 1, train,
                                       gd::shuffled_order(train.size(), 1), batch, gd::default_shards(batch));
}

// Trains with `pattern`: three untimed warm-up steps, then one step per benchmark iteration.
void time_steps(benchmark::State& state, const gd::Dataset& train, gd::Pattern& pattern, int batch) {
  const auto t = trainee(train, batch);
  for (int w = 0; w < 3; ++w) t->run_step(pattern);     // warm-up, not timed
  for (auto _ : state) t->run_step(pattern);            // with Threads(p), the copies start this loop together
  state.SetItemsProcessed(state.iterations() * batch);  // items/s = samples/s
  state.counters["shards"] =
      benchmark::Counter(t->step.shards(), benchmark::Counter::kAvgThreads);  // not summed over copies
}

void step_benchmark(benchmark::State& state, const gd::PatternInfo* info) {
  const int threads = int(state.range(0)), batch = int(state.range(1));
  std::unique_ptr<gd::Pattern> pattern = info->make(threads);
  // The thread census (measure/thread_census.hpp) around the run: a kernel library's own
  // team would show as more threads at work than the pattern's p, and the row says so.
  const auto w0 = std::chrono::steady_clock::now();
  const gd::ThreadTimes c0 = gd::thread_cpu_times();
  time_steps(state, data().train, *pattern, batch);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const int at_work = gd::threads_at_work(c0, gd::thread_cpu_times(), gd::kAtWork * wall);
  state.counters["at_work"] = at_work;
  if (at_work > threads)
    state.SetLabel("hidden threads: " + std::to_string(at_work) + " at work, p = " + std::to_string(threads));
}

// The machine's own ceiling: each of Google Benchmark's Threads(p) copies runs its own
// model and its own sequential step on its own data, sharing nothing. Their time per
// step against one copy alone is the reference for any pattern at p threads on this
// machine: what independent copies lose (shared caches, memory bandwidth, clock speed
// with every core busy, the hypervisor) a pattern mostly loses too, before any
// synchronisation. Not a strict bound: p copies hold p models where a pattern shares one
// (the matrix measures the same as its row "independent", shared/measure/matrix.hpp). Google Benchmark divides the wall
// time by the iterations of all copies together, so read samples/s:
//   E_ceiling(p) = items_per_second(threads:p) / (p * items_per_second(threads:1))
void independent_benchmark(benchmark::State& state) {
  const gd::DataSplit d = gd::make_synthetic(std::uint64_t(1 + state.thread_index()));
  std::unique_ptr<gd::Pattern> sequential = gd::find_pattern("sequential").make(1);
  time_steps(state, d.train, *sequential, int(state.range(0)));
}

// Where a parallel step's time goes. p threads run the step's three phases on a fixed
// split (worker t maps shard_block(t, p), then combines and updates slices
// [K t / p, K (t + 1) / p)), with a std::barrier after the map and one at the end of the
// step, and time each phase on each thread. The counters are the slowest thread's time per phase and step, in us,
// since the barrier waits for it. Against threads:1, map_us shows how forward and
// backward scale (compute on data each core mostly owns), and combine_us and update_us
// what moving the gradient and the weights between the cores costs (lesson 13):
// at p threads each phase would ideally take its threads:1 time divided by p.
// rest_us is the remainder of the step's wall time: the barriers, the waits for the
// slowest thread, and preparing the next batch.
void phases_benchmark(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  const int p = int(state.range(0));
  const auto t = trainee(data().train, int(state.range(1)));
  gd::Step& step = t->step;
  std::vector<std::array<Clock::duration, 3>> took(static_cast<std::size_t>(p));  // this step's phases, per thread
  std::barrier sync(p);

  auto run_phases = [&](int t) {
    const auto [first, last] = step.shard_block(t, p);
    const int k0 = step.slices() * t / p, k1 = step.slices() * (t + 1) / p;
    const auto t0 = Clock::now();
    step.run_shards(first, last);
    const auto t1 = Clock::now();
    sync.arrive_and_wait();  // every shard mapped
    const auto t2 = Clock::now();
    for (int k = k0; k < k1; ++k) step.combine_slice(k);
    const auto t3 = Clock::now();
    for (int k = k0; k < k1; ++k) step.update_slice(k);
    took[std::size_t(t)] = {t1 - t0, t3 - t2, Clock::now() - t3};
  };
  bool stop = false;  // written before a barrier, read after it
  std::vector<std::jthread> workers;
  for (int t = 1; t < p; ++t)
    workers.emplace_back([&, t] {
      for (;;) {
        sync.arrive_and_wait();  // the step is prepared
        if (stop) return;
        run_phases(t);
        sync.arrive_and_wait();  // the step is done
      }
    });
  auto one_step = [&] {
    t->prepare_next();
    sync.arrive_and_wait();
    run_phases(0);
    sync.arrive_and_wait();
  };

  for (int w = 0; w < 3; ++w) one_step();  // warm-up, not timed
  std::array<double, 3> slowest{};         // seconds, summed over the steps
  const auto start = Clock::now();
  for (auto _ : state) {
    one_step();
    for (std::size_t phase = 0; phase < 3; ++phase) {
      Clock::duration most{};
      for (const auto& t : took) most = std::max(most, t[phase]);
      slowest[phase] += std::chrono::duration<double>(most).count();
    }
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  sync.arrive_and_wait();  // release the workers, which return; the jthreads join them

  const double steps = double(state.iterations());
  const char* names[3] = {"map_us", "combine_us", "update_us"};
  for (std::size_t phase = 0; phase < 3; ++phase) state.counters[names[phase]] = slowest[phase] / steps * 1e6;
  state.counters["rest_us"] = (wall - slowest[0] - slowest[1] - slowest[2]) / steps * 1e6;
  state.SetItemsProcessed(state.iterations() * t->batch);
}

void register_all() {
  std::vector<int> threads{1};
  for (int p = 2; p <= std::max(2, gd::available_cpus()); p *= 2) threads.push_back(p);
  for (const gd::PatternInfo& info : gd::all_patterns()) {
    auto* b = benchmark::RegisterBenchmark(("step/" + std::string(info.name)).c_str(), step_benchmark, &info);
    b->ArgNames({"threads", "batch"})->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);
    for (int batch : {16, 64, 256})
      for (int p : threads)
        if (info.name != "sequential" || p == 1) b->Args({p, batch});
  }
  auto* b = benchmark::RegisterBenchmark("step/independent", independent_benchmark);
  b->ArgNames({"batch"})->UseRealTime()->Unit(benchmark::kMicrosecond);
  for (int batch : {16, 64, 256}) b->Arg(batch);
  for (int p : threads) b->Threads(p);
  b = benchmark::RegisterBenchmark("step/phases", phases_benchmark);
  b->ArgNames({"threads", "batch"})->UseRealTime()->Unit(benchmark::kMicrosecond);
  for (int batch : {16, 64, 256})
    for (int p : threads) b->Args({p, batch});
}

}  // namespace

int main(int argc, char** argv) {
  gd::keep_freed_memory();  // the same allocator settings as the gdlab tool (shared/train/memory.hpp)
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
