// Lesson 03: accumulating under a mutex gives the right sum, but not the same bits.
//   lesson_03_demo [--quick]
// Trains a few steps with thread_mutex (shard gradients added under a lock, in arrival
// order) and with thread_condvar (own buffers, combined by a fixed tree), 2 threads,
// several times each, and prints the weights' checksum of every run.
#include <fmt/format.h>

#include <cstring>
#include <set>

#include "lesson_train.hpp"
#include "registry.hpp"

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int runs = quick ? 3 : 8, steps = 8;

  const float a = 1e8f, b = -1e8f, c = 1.0f;
  fmt::print("float addition is not associative: (a + b) + c = {}, a + (b + c) = {}  (a=1e8, b=-1e8, c=1)\n\n",
             (a + b) + c, a + (b + c));

  lesson::Problem pb;
  auto seq = gd::find_pattern("sequential").make(1);
  fmt::print("sequential                      checksum {}\n",
             gd::checksum_hex(lesson::train_checksum(pb, *seq, steps, 8)));
  for (const char* name : {"thread_mutex", "thread_condvar"}) {
    std::set<std::uint64_t> distinct;
    for (int r = 0; r < runs; ++r) {
      auto pattern = gd::find_pattern(name).make(2);
      const auto sum = lesson::train_checksum(pb, *pattern, steps, 8);
      distinct.insert(sum);
      fmt::print("{:<16} 2 threads, run {} checksum {}\n", name, r + 1, gd::checksum_hex(sum));
    }
    fmt::print("{:<16} {} distinct result(s) in {} runs\n\n", name, distinct.size(), runs);
  }
}
