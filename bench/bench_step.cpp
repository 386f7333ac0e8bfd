// One training step per pattern x threads x batch, under Google Benchmark.
//
//   build/release/bench/bench_step --benchmark_filter='step/openmp/'
//   build/release/bench/bench_step --benchmark_filter='step/(sequential|independent)/batch:256'
//
// Each pattern benchmark is registered from the pattern table (patterns/registry.cpp) with two
// arguments: threads (p) and batch. The set-up (model, step, the pattern's threads or
// pool) happens before the timed loop; one iteration is one whole step. The thread count
// is a benchmark ARGUMENT and the pattern creates its own p workers: Google Benchmark's
// Threads() runs p copies of the body instead, which only step/independent wants.
// UseRealTime: wall time is the figure (CPU time of the main thread would hide the
// workers); MeasureProcessCPUTime: the "CPU" column then counts every thread, so
// CPU / Time is the measured parallelism A of shared/harness.hpp.
#include <benchmark/benchmark.h>

#include <numeric>

#include "data.hpp"
#include "harness.hpp"
#include "memory.hpp"
#include "registry.hpp"
#include "step.hpp"
#include "trainer.hpp"

namespace {

const gd::DataSplit& data() {
  static const gd::DataSplit d = gd::make_synthetic(1);
  return d;
}

// Trains a fresh 784-256-128-10 model on `train` with `pattern`: three untimed warm-up
// steps, then one step per benchmark iteration.
void time_steps(benchmark::State& state, const gd::Dataset& train, gd::Pattern& pattern, int batch) {
  std::vector<int> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  gd::shuffle_indices(order, 1);
  const long runs = long(order.size()) / batch;

  gd::Model model({{784, 256, 128, 10}});
  model.init(1);
  gd::Step step(model, train, batch, gd::default_shards(batch), {});
  long k = 0;
  for (int w = 0; w < 3; ++w, ++k) {  // warm-up, not timed
    step.prepare(order.data() + (k % runs) * batch, batch);
    pattern.step(step);
  }
  for (auto _ : state) {  // with Threads(p), the copies start this loop together
    step.prepare(order.data() + (k++ % runs) * batch, batch);
    pattern.step(step);
  }
  state.SetItemsProcessed(state.iterations() * batch);  // items/s = samples/s
  state.counters["shards"] = benchmark::Counter(step.shards(), benchmark::Counter::kAvgThreads);  // not summed over copies
}

void step_benchmark(benchmark::State& state, const gd::PatternInfo* info) {
  const int threads = int(state.range(0)), batch = int(state.range(1));
  std::unique_ptr<gd::Pattern> pattern = info->make(threads);
  time_steps(state, data().train, *pattern, batch);
}

// The machine's own ceiling: each of Google Benchmark's Threads(p) copies runs its own
// model and its own sequential step on its own data, sharing nothing. Their time per
// step against one copy alone is the reference for any pattern at p threads on this
// machine: what independent copies lose (shared caches, memory bandwidth, clock speed
// with every core busy, the hypervisor) a pattern mostly loses too, before any
// synchronisation. Not a strict bound: p copies hold p models where a pattern shares one
// (the matrix measures the same as its row "independent", shared/harness.hpp). Google Benchmark divides the wall time by the iterations of all
// copies together, so read samples/s:
//   E_ceiling(p) = items_per_second(threads:p) / (p * items_per_second(threads:1))
void independent_benchmark(benchmark::State& state) {
  const gd::DataSplit d = gd::make_synthetic(std::uint64_t(1 + state.thread_index()));
  std::unique_ptr<gd::Pattern> sequential = gd::find_pattern("sequential").make(1);
  time_steps(state, d.train, *sequential, int(state.range(0)));
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
}

}  // namespace

int main(int argc, char** argv) {
  gd::keep_freed_memory();  // the same allocator settings as the gdlab tool (shared/memory.hpp)
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
