// Lesson 07: what a task costs on a thread pool. Submits many tiny tasks to the
// project's ThreadPool (shared/train/thread_pool.hpp: a deque, a mutex, a condition variable,
// a future per task) and posts as many to boost::asio::thread_pool (counted by a
// std::latch), 2 worker threads each; then times one training step of the two patterns.
//   lesson_07_demo [--quick]
#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstring>
#include <latch>
#include <vector>

#include "lesson_train.hpp"
#include "registry.hpp"
#include "train/thread_pool.hpp"

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int tasks = quick ? 5000 : 100000;
  {
    gd::ThreadPool pool(2);
    std::vector<std::future<void>> futures;
    futures.reserve(tasks);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < tasks; ++i) futures.push_back(pool.submit([] {}));
    for (auto& f : futures) f.get();
    fmt::print("gd::ThreadPool(2):              {:6.2f} us per empty task (submit + future.get)\n",
               1e6 * lesson::seconds_since(t0) / tasks);
  }
  {
    boost::asio::thread_pool pool(2);
    std::latch done(tasks);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < tasks; ++i) boost::asio::post(pool, [&] { done.count_down(); });
    done.wait();
    fmt::print("boost::asio::thread_pool(2):    {:6.2f} us per empty task (post + latch)\n",
               1e6 * lesson::seconds_since(t0) / tasks);
    pool.join();
  }
  lesson::Problem pb;
  const int steps = quick ? 4 : 16;
  for (const char* name : {"sequential", "thread_pool", "asio_pool"}) {
    auto pattern = gd::find_pattern(name).make(name == std::string("sequential") ? 1 : 2);
    fmt::print("{:<12} one step (784-128-10, batch 256, 4 shards): {:.2f} ms\n", name,
               lesson::ms_per_step(pb, *pattern, steps, 4));
  }
}
