// Lesson 05: semaphores signal; mutexes exclude. A ping-pong between two threads, once
// with two std::binary_semaphore (each thread releases the one the other waits on) and
// once with a mutex + condition_variable and a turn flag.
//   lesson_05_demo [--quick]
#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <semaphore>
#include <thread>

#include "lesson.hpp"

namespace {
// [lesson:ping_pong]
double semaphore_ping_pong(long rounds) {
  std::binary_semaphore ping(0), pong(0);
  auto t0 = std::chrono::steady_clock::now();
  std::jthread other([&] {
    for (long i = 0; i < rounds; ++i) {
      ping.acquire();  // wait for the signal...
      pong.release();  // ...and answer: released by a thread that never acquired it
    }
  });
  for (long i = 0; i < rounds; ++i) {
    ping.release();
    pong.acquire();
  }
  other.join();
  return lesson::seconds_since(t0);
}
// [/lesson:ping_pong]

double condvar_ping_pong(long rounds) {
  std::mutex m;
  std::condition_variable cv;
  int turn = 0;  // 0: main's turn, 1: the other thread's
  auto t0 = std::chrono::steady_clock::now();
  std::jthread other([&] {
    for (long i = 0; i < rounds; ++i) {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return turn == 1; });
      turn = 0;
      cv.notify_one();
    }
  });
  for (long i = 0; i < rounds; ++i) {
    std::unique_lock lock(m);
    turn = 1;
    cv.notify_one();
    cv.wait(lock, [&] { return turn == 0; });
  }
  other.join();
  return lesson::seconds_since(t0);
}
}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const long rounds = quick ? 2000 : 50000;
  fmt::print("ping-pong round trip between 2 threads (up to {} rounds or about 0.3 s each):\n", rounds);
  fmt::print("  std::binary_semaphore pair         {:8.2f} us\n", lesson::us_per_round(semaphore_ping_pong, rounds));
  fmt::print("  mutex + condition_variable + flag  {:8.2f} us\n", lesson::us_per_round(condvar_ping_pong, rounds));
}
