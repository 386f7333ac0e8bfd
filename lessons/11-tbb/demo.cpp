// Lesson 11: oneTBB. (1) Work stealing: one slow shard among 8, OpenMP's static schedule
// against tbb::parallel_for. (2) parallel_reduce against parallel_deterministic_reduce
// on float sums: how many different answers over repeated runs.
//   lesson_11_demo [--quick]
#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "lesson_train.hpp"
#include "registry.hpp"

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  lesson::Problem pb;
  const int steps = quick ? 3 : 10;
  fmt::print("784-128-10, batch 256, 8 shards, shard 0 sleeps 8 ms every step, 2 threads:\n");
  for (const char* name : {"openmp", "tbb"}) {
    auto pattern = gd::find_pattern(name).make(2);
    const double ms = lesson::ms_per_step(pb, *pattern, steps, 8, [](gd::Step& s) {
      s.fault = gd::Fault{gd::Fault::Kind::slow, 0, -1, std::chrono::milliseconds(8)};
    });
    fmt::print("  {:<8} {:6.2f} ms/step\n", name, ms);
  }

  std::mt19937 rng(3);
  std::lognormal_distribution<float> dist(0.0f, 3.0f);  // magnitudes spread over many powers of ten
  std::vector<float> x(1 << 20);
  for (auto& v : x) v = dist(rng);
  const auto range = tbb::blocked_range<std::size_t>(0, x.size(), 4096);
  auto body = [&](const tbb::blocked_range<std::size_t>& r, float acc) {
    for (std::size_t i = r.begin(); i < r.end(); ++i) acc += x[i];
    return acc;
  };
  const int runs = quick ? 10 : 50;
  std::set<float> plain, deterministic;
  for (int threads : {1, 2}) {
    tbb::task_arena arena(threads);
    arena.execute([&] {
      for (int r = 0; r < runs; ++r) {
        plain.insert(tbb::parallel_reduce(range, 0.0f, body, std::plus<float>()));
        deterministic.insert(tbb::parallel_deterministic_reduce(range, 0.0f, body, std::plus<float>()));
      }
    });
  }
  fmt::print("sum of 2^20 floats, {} runs in an arena of 1 thread and {} in one of 2:\n", runs, runs);
  fmt::print("  parallel_reduce                {} different result(s)\n", plain.size());
  fmt::print("  parallel_deterministic_reduce  {} different result(s)\n", deterministic.size());
}
