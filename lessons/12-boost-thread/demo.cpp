// Lesson 12: Boost.Thread and its standard counterparts. The same barrier round trip with
// boost::thread_group + boost::barrier and with std::jthread + std::barrier, then a
// training step of boost_thread next to thread_condvar (the same schedule).
//   lesson_12_demo [--quick]
#include <fmt/format.h>

#include <barrier>
#include <boost/thread/barrier.hpp>
#include <boost/thread/thread.hpp>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "lesson_train.hpp"
#include "registry.hpp"

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int rounds = quick ? 2000 : 20000;
  {
    boost::barrier b(2);
    auto t0 = std::chrono::steady_clock::now();
    boost::thread_group group;
    for (int t = 0; t < 2; ++t)
      group.create_thread([&] {
        for (int i = 0; i < rounds; ++i) b.wait();
      });
    group.join_all();
    fmt::print("boost::thread_group + boost::barrier   {:6.2f} us a round (2 threads, {} rounds)\n",
               1e6 * lesson::seconds_since(t0) / rounds, rounds);
  }
  {
    std::barrier<> b(2);
    auto t0 = std::chrono::steady_clock::now();
    {
      std::vector<std::jthread> group;
      for (int t = 0; t < 2; ++t)
        group.emplace_back([&] {
          for (int i = 0; i < rounds; ++i) b.arrive_and_wait();
        });
    }
    fmt::print("std::jthread vector + std::barrier     {:6.2f} us a round (2 threads, {} rounds)\n",
               1e6 * lesson::seconds_since(t0) / rounds, rounds);
  }
  lesson::Problem pb;
  const int steps = quick ? 4 : 16;
  for (const char* name : {"boost_thread", "thread_condvar"}) {
    auto pattern = gd::find_pattern(name).make(2);
    fmt::print("{:<15} one step (784-128-10, batch 256, 4 shards, 2 threads): {:.2f} ms\n", name,
               lesson::ms_per_step(pb, *pattern, steps, 4));
  }
}
