// Lesson 10: OpenMP. (1) Loop schedules on an unbalanced loop; (2) the reduction clause
// against a critical section; (3) the cost of a barrier with the threads spinning or
// sleeping, and with more threads than cores (oversubscription).
//   lesson_10_demo [--quick]
// Run it also as  OMP_WAIT_POLICY=passive lesson_10_demo  to see the sleeping runtime.
#include <fmt/format.h>
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "lesson.hpp"

namespace {
// Work that grows with i: iteration i costs about i units.
double work(int i) {
  double x = 0;
  for (int k = 0; k < i * 40; ++k) x += std::sqrt(double(k));
  return x;
}

template <class Loop>
double ms(Loop loop) {
  auto t0 = std::chrono::steady_clock::now();
  loop();
  return 1e3 * lesson::seconds_since(t0);
}
}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int n = quick ? 400 : 2000;
  omp_set_dynamic(0);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  fmt::print("OMP_WAIT_POLICY={}; {} CPUs\n", policy ? policy : "(unset: libgomp spins, then sleeps)",
             omp_get_num_procs());

  double sink = 0;
  fmt::print("an unbalanced loop of {} iterations (iteration i costs ~i), 2 threads:\n", n);
  fmt::print("  one thread                   {:7.1f} ms\n", ms([&] {
               for (int i = 0; i < n; ++i) sink += work(i);
             }));
  fmt::print("  schedule(static)             {:7.1f} ms  (thread 1 gets the expensive half)\n", ms([&] {
#pragma omp parallel for num_threads(2) schedule(static) reduction(+ : sink)
               for (int i = 0; i < n; ++i) sink += work(i);
             }));
  fmt::print("  schedule(static, 1)          {:7.1f} ms  (round robin: balanced by construction)\n", ms([&] {
#pragma omp parallel for num_threads(2) schedule(static, 1) reduction(+ : sink)
               for (int i = 0; i < n; ++i) sink += work(i);
             }));
  fmt::print("  schedule(dynamic, 8)         {:7.1f} ms  (threads take chunks of 8 as they finish)\n", ms([&] {
#pragma omp parallel for num_threads(2) schedule(dynamic, 8) reduction(+ : sink)
               for (int i = 0; i < n; ++i) sink += work(i);
             }));

  const int m = quick ? 1'000'000 : 20'000'000;
  double sum = 0;
  const double t_red = ms([&] {
#pragma omp parallel for num_threads(2) reduction(+ : sum)
    for (int i = 0; i < m; ++i) sum += 1.0 / (1.0 + i);
  });
  double sum2 = 0;
  const double t_crit = ms([&] {
#pragma omp parallel for num_threads(2)
    for (int i = 0; i < m / 100; ++i) {
#pragma omp critical
      sum2 += 1.0 / (1.0 + i);
    }
  });
  fmt::print("a sum of {} terms, 2 threads:\n  reduction(+ : sum)           {:7.1f} ms\n", m, t_red);
  fmt::print("  critical section per term   {:7.1f} ms for only {} terms ({:.0f}x slower per term)\n", t_crit, m / 100,
             (t_crit / (m / 100)) / (t_red / m));

  const int regions = quick ? 200 : 2000;
  for (int threads : {2, 4}) {
    const double t = ms([&] {
      for (int r = 0; r < regions; ++r) {
#pragma omp parallel num_threads(threads)
        {
          for (int b = 0; b < 10; ++b) {
#pragma omp barrier
          }
        }
      }
    });
    fmt::print("{} threads on {} CPUs: a parallel region with 10 barriers {:8.1f} us\n", threads, omp_get_num_procs(),
               1e3 * t / regions);
  }
  if (sink < 0 || sum < 0 || sum2 < 0) std::puts("");
}
