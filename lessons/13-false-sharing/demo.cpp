// Lesson 13: false sharing. Two threads each increment their OWN counter; no data is
// shared, yet when the two counters sit in one 64-byte cache line every store makes the
// other core's copy of the line invalid, and the line bounces between the cores.
//   lesson_13_demo [--quick]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "lesson.hpp"

namespace {
// [lesson:counters]
struct Unpadded {
  long count = 0;  // 8 bytes: counters of neighbouring threads share a cache line
};
struct alignas(64) Padded {
  long count = 0;  // alignas(64): each counter starts its own 64-byte line
};
// [/lesson:counters]
static_assert(sizeof(Unpadded) == 8 && sizeof(Padded) == 64);

// Each thread adds 1 to its own counter n times; plain stores, or atomic read-modify-writes.
template <class Counter>
double ns_per_increment(long n, bool atomic) {
  Counter counters[2];
  auto t0 = std::chrono::steady_clock::now();
  {
    auto work = [&](int t) {
      for (long i = 0; i < n; ++i) {
        if (atomic) {
          std::atomic_ref<long>(counters[t].count).fetch_add(1, std::memory_order_relaxed);
        } else {
          ++counters[t].count;
          asm volatile("" ::: "memory");  // store every increment, as a real per-thread sum would
        }
      }
    };
    std::jthread a(work, 0), b(work, 1);
  }
  const double s = lesson::seconds_since(t0);
  if (counters[0].count != n || counters[1].count != n) std::abort();
  return 1e9 * s / n;
}
}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const long n = quick ? 2'000'000 : 50'000'000;
  fmt::print("2 threads, {} increments each of their own counter\n", n);
  for (bool atomic : {false, true}) {
    fmt::print("{}:\n", atomic ? "atomic fetch_add (a locked read-modify-write)" : "plain increments (a store each)");
    for (int rep = 0; rep < (quick ? 1 : 3); ++rep) {
      const double same = ns_per_increment<Unpadded>(n, atomic), apart = ns_per_increment<Padded>(n, atomic);
      fmt::print(
          "  counters in one cache line: {:6.2f} ns/increment   padded to 64 bytes: {:6.2f} ns/increment   ratio "
          "{:.1f}x\n",
          same, apart, same / apart);
    }
  }
}
