// Check for lesson 19: add() adds every delta once, touches nothing past its n floats, and
// loses no addition when many threads call it at once on the same floats. The deltas are
// multiples of 0.25 and the totals stay far below 2^24 quarters, so every partial sum is
// exact in float: the right total is the same whatever order the additions land in, and
// any difference is an addition that was lost. Every part runs under a time limit: a hang
// (a compare-exchange loop that never ends) fails the check.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "exercise.hpp"
#include "lesson.hpp"

using namespace std::chrono_literals;

namespace {

float quarter_steps(std::size_t i) { return 0.25f * float(i % 4 + 1); }  // 0.25, 0.5, 0.75, 1.0, ...

}  // namespace

int main() {
  lesson::Verdict v("lesson 19: a lock-free add that loses nothing");

  // 1. One thread: each float gets its delta, the floats after the n-th are left alone.
  lesson::within(5000ms, "one thread", [&] {
    constexpr std::size_t kN = 1000, kGuard = 16;
    std::vector<float> shared(kN + kGuard), delta(kN);
    for (std::size_t i = 0; i < kN + kGuard; ++i) shared[i] = float(i);
    for (std::size_t i = 0; i < kN; ++i) delta[i] = i % 3 == 0 ? -quarter_steps(i) : quarter_steps(i);
    add(shared.data(), delta.data(), kN);
    add(shared.data(), delta.data(), kN);
    std::size_t right = 0, guards = 0;
    for (std::size_t i = 0; i < kN; ++i) right += shared[i] == float(i) + 2 * delta[i];
    for (std::size_t i = kN; i < kN + kGuard; ++i) guards += shared[i] == float(i);
    v.expect(right == kN,
             fmt::format("two calls on one thread add each delta twice ({} of {} floats right)", right, kN));
    v.expect(guards == kGuard, "the floats past n are left alone");
    const std::vector<float> before = shared;
    add(shared.data(), delta.data(), 0);
    v.expect(shared == before, "n = 0 changes nothing");
  });

  // 2. Many threads on the same few floats (one cache line), started together so that they
  // collide as often as the cores allow. Threads that happen not to overlap lose nothing, so
  // the trial runs several times, and every one of them must end exact.
  constexpr int kThreads = 4, kRounds = 50000, kTrials = 10;
  constexpr std::size_t kN = 16;
  std::vector<float> delta(kN);
  for (std::size_t i = 0; i < kN; ++i) delta[i] = quarter_steps(i);
  double want = 0, got = 0;
  std::size_t right = 0;
  int trials = 0;
  lesson::within(30000ms, "4 threads x 50000 calls, 10 times", [&] {
    for (; trials < kTrials; ++trials) {
      std::vector<float> shared(kN, 0.0f);
      std::atomic<int> ready{0};
      {
        std::vector<std::jthread> threads;
        for (int t = 0; t < kThreads; ++t)
          threads.emplace_back([&] {
            ++ready;
            while (ready.load() < kThreads) std::this_thread::yield();
            for (int r = 0; r < kRounds; ++r) add(shared.data(), delta.data(), kN);
          });
      }
      want = got = 0;
      right = 0;
      for (std::size_t i = 0; i < kN; ++i) {
        const double w = double(kThreads) * kRounds * delta[i];
        want += w;
        got += shared[i];
        right += double(shared[i]) == w;
      }
      if (right != kN) break;  // one trial that lost an addition is enough
    }
  });
  v.expect(right == kN, fmt::format("{} threads x {} calls at once, {} times: every addition landed (trial {}: {} "
                                    "of {} floats exact, {:.2f} of {:.0f} added, {:.2f}% lost)",
                                    kThreads, kRounds, kTrials, std::min(trials + 1, kTrials), right, kN, got, want,
                                    100.0 * (want - got) / want));
  return v.finish();
}
