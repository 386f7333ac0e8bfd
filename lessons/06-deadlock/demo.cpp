// Lesson 06: a deadlock, detected by a timeout, next to the fixed version.
//   lesson_06_demo [--quick]
// Two threads each need two locks: the weights of layer 1 and of layer 2 (say, to copy
// one into the other). Thread A locks 1 then 2; thread B locks 2 then 1. A short pause
// between the two locks makes the bad interleaving certain instead of rare.
#include <fmt/format.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "lesson.hpp"

namespace {
struct Layer {
  std::mutex m;
  float w = 0;
};

// [lesson:deadlock]
void copy_layer_bad(Layer& from, Layer& to) {
  std::lock_guard a(from.m);
  std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the other thread takes its first lock now
  std::lock_guard b(to.m);                                     // ...and each waits for the other: forever
  to.w = from.w;
}
// [/lesson:deadlock]

// [lesson:scoped_lock]
void copy_layer_good(Layer& from, Layer& to) {
  std::scoped_lock both(from.m, to.m);  // locks both or neither, without deadlock, in any argument order
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  to.w = from.w;
}
// [/lesson:scoped_lock]

bool run(void (*copy)(Layer&, Layer&)) {
  static Layer one, two;  // static: threads stuck in a deadlock may still point at them at exit
  return lesson::finishes_within(std::chrono::seconds(1), [copy] {
    std::jthread a([&] {
      for (int i = 0; i < 5; ++i) copy(one, two);
    });
    std::jthread b([&] {
      for (int i = 0; i < 5; ++i) copy(two, one);
    });
  });
}
}  // namespace

int main() {
  auto t0 = std::chrono::steady_clock::now();
  const bool good = run(copy_layer_good);
  fmt::print("std::scoped_lock(from.m, to.m):  {} ({:.0f} ms)\n", good ? "finished" : "DEADLOCK",
             1e3 * lesson::seconds_since(t0));
  t0 = std::chrono::steady_clock::now();
  const bool bad = run(copy_layer_bad);
  fmt::print("lock_guard(from.m); lock_guard(to.m):  {} after {:.0f} ms\n",
             bad ? "finished (lucky interleaving)" : "DEADLOCK detected: no progress", 1e3 * lesson::seconds_since(t0));
  std::fflush(stdout);
  std::_Exit(good ? 0 : 1);  // the deadlocked threads can never be joined: end the process here
}
