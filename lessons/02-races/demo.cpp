// Lesson 02: a lost-update race on a shared gradient, and the mutex that fixes it.
//   lesson_02_demo [--quick | --race-only]
// Two threads each add their shard's gradient (here: 1.0 per parameter) into ONE
// shared gradient, `rounds` times. Afterwards every parameter should be 2 * rounds.
// --race-only runs just the racy version (for ThreadSanitizer, see the README).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "lesson.hpp"

namespace {
constexpr int kParams = 64;

// [lesson:racy]
void add_racy(std::vector<float>& grad, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    for (auto& g : grad) g += 1.0f;  // load, add, store: another thread may store in between
    asm volatile("" ::: "memory");   // keep the compiler from merging the rounds into one
  }
}
// [/lesson:racy]

// [lesson:locked]
void add_locked(std::vector<float>& grad, std::mutex& m, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    std::lock_guard lock(m);  // one thread at a time inside this block
    for (auto& g : grad) g += 1.0f;
  }
}
// [/lesson:locked]

// Returns the number of additions that were lost.
template <class Body>
long run(const char* name, int rounds, Body body) {
  std::vector<float> grad(kParams, 0.0f);
  auto t0 = std::chrono::steady_clock::now();
  {
    std::jthread a([&] { body(grad); }), b([&] { body(grad); });
  }
  const double s = lesson::seconds_since(t0);
  double lost = 0;
  for (float g : grad) lost += 2.0 * rounds - g;
  fmt::print(
      "{:<8} expected {} per parameter, got {:.0f} .. {:.0f}: {:.0f} of {} additions lost ({:.2f}%), {:.1f} ms\n", name,
      2 * rounds, *std::min_element(grad.begin(), grad.end()), *std::max_element(grad.begin(), grad.end()), lost,
      2.0 * rounds * kParams, 100.0 * lost / (2.0 * rounds * kParams), 1e3 * s);
  return long(lost);
}
}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  const int rounds = mode == "--race-only" ? 2000 : mode == "--quick" ? 100000 : 1000000;
  fmt::print("2 threads add 1.0 to each of {} shared floats, {} rounds each\n", kParams, rounds);
  run("racy", rounds, [&](std::vector<float>& g) { add_racy(g, rounds); });
  if (mode == "--race-only") return 0;
  std::mutex m;
  const long lost = run("mutex", rounds, [&](std::vector<float>& g) { add_locked(g, m, rounds); });
  return lost == 0 ? 0 : 1;  // the locked version must never lose an update
}
