// Lesson 08: std::async and futures. Which thread runs a task under each launch policy,
// an exception travelling through a future, and what a thread per call costs.
//   lesson_08_demo [--quick]
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <chrono>
#include <cstring>
#include <future>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "lesson.hpp"
#include "train/thread_pool.hpp"

namespace {
std::string id_of(std::thread::id id) {
  std::ostringstream s;
  s << id;
  return s.str();
}
}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int calls = quick ? 300 : 5000;
  fmt::print("caller thread {}\n", id_of(std::this_thread::get_id()));
  auto where = [] { return id_of(std::this_thread::get_id()); };
  auto a = std::async(std::launch::async, where);
  auto d = std::async(std::launch::deferred, where);
  fmt::print("  launch::async    ran on thread {} (a new thread, started at once)\n", a.get());
  fmt::print("  launch::deferred ran on thread {} (the caller, inside get())\n", d.get());

  auto failing = std::async(std::launch::async, []() -> int { throw std::runtime_error("shard 3: NaN in the loss"); });
  try {
    failing.get();
  } catch (const std::exception& e) {
    fmt::print("an exception thrown in the task comes out of get(): \"{}\"\n", e.what());
  }

  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) std::async(std::launch::async, [] {}).get();
  const double async_us = 1e6 * lesson::seconds_since(t0) / calls;
  gd::ThreadPool pool(1);
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) pool.submit([] {}).get();
  const double pool_us = 1e6 * lesson::seconds_since(t0) / calls;
  fmt::print("an empty task, started and awaited one at a time ({} calls):\n", calls);
  fmt::print("  std::async(launch::async) + get   {:6.1f} us  (a thread created and joined each time)\n", async_us);
  fmt::print("  ThreadPool::submit + get          {:6.1f} us  (a thread already waiting)\n", pool_us);
}
