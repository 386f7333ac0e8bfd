// Lesson 14: measuring a parallel step. Times the step of a few patterns at p = 1 and 2
// (5 repetitions, median), reads the process CPU clock around each timed loop, and
// prints the metrics of shared/measure/harness.hpp: speedup S, efficiency E, parallelism degree
// A = CPU time / wall time, and the Karp-Flatt serial fraction e.
//   lesson_14_demo [--quick]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>
#include <vector>

#include "lesson.hpp"
#include "measure/harness.hpp"
#include "registry.hpp"
#include "train/cpus.hpp"
#include "train/memory.hpp"
#include "train/step.hpp"

namespace {
struct Timing {
  double step_s;  // median wall time of a step
  double a;       // CPU / wall of the median repetition's run
};

Timing measure(const char* name, int p, const gd::DataSplit& data, int reps, int steps) {
  std::vector<double> wall, par;
  for (int r = 0; r < reps; ++r) {
    gd::Model model(gd::ModelSpec{{784, 256, 128, 10}});
    model.init(1);
    gd::Step step(model, data.train, 256, 4, gd::Hyper{});  // set-up: not timed
    auto pattern = gd::find_pattern(name).make(p);
    std::vector<int> order(data.train.size());
    std::iota(order.begin(), order.end(), 0);
    auto run = [&](int i) {
      step.prepare(&order[(i * 256) % (int(order.size()) - 256)], 256);
      pattern->step(step);
    };
    for (int i = 0; i < 2; ++i) run(i);  // warm-up: not timed
    const double cpu0 = gd::process_cpu_seconds();
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) run(i);
    const double w = lesson::seconds_since(t0), cpu = gd::process_cpu_seconds() - cpu0;
    wall.push_back(w / steps);
    par.push_back(cpu / w);
  }
  return {gd::median_of(wall), gd::median_of(par)};
}
}  // namespace

int main(int argc, char** argv) {
  gd::keep_freed_memory();  // the allocator settings of the gdlab tool (shared/train/memory.hpp)
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int reps = quick ? 1 : 5, steps = quick ? 3 : 20;
  gd::DataSplit data = gd::make_synthetic(1, 4096, 16);
  fmt::print("784-256-128-10, batch 256, 4 shards; median of {} repetitions of {} steps; {} CPUs available\n", reps,
             steps, gd::available_cpus());
  // Not printed: the first measurement in a fresh process runs slower than the same one
  // repeated (first touches of memory and of the kernels' code), which would flatter
  // every pattern measured after it.
  measure("sequential", 1, data, 1, steps);
  const double t_seq = measure("sequential", 1, data, reps, steps).step_s;
  fmt::print("{:<16} p  T_p (ms)      S      E      A   Karp-Flatt e\n", "pattern");
  fmt::print("{:<16} 1  {:8.3f}   1.00   1.00      -   -\n", "sequential", 1e3 * t_seq);
  for (const char* name : {"openmp", "thread_pool", "async_futures"}) {
    for (int p : {1, 2}) {
      const Timing t = measure(name, p, data, reps, steps);
      const double s = gd::speedup(t_seq, t.step_s);
      const auto e = gd::karp_flatt(s, p);
      fmt::print("{:<16} {}  {:8.3f}   {:4.2f}   {:4.2f}   {:4.2f}   {}\n", name, p, 1e3 * t.step_s, s,
                 gd::efficiency(s, p), t.a, e ? fmt::format("{:.3f}", *e) : "-");
    }
  }
}
