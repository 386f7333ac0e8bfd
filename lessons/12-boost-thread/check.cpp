// Check for lesson 12: 3 threads, 50 phases; thread 0 is slow in some phases, and no
// thread may run ahead into the next phase.
#include <atomic>
#include <chrono>
#include <thread>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 12: phased_run separates the phases");
  constexpr int kThreads = 3, kPhases = 50;
  std::atomic<int> finished[kPhases] = {};
  std::atomic<int> ahead{0}, calls{0};
  lesson::within(std::chrono::seconds(10), "phased_run(3 threads, 50 phases)", [&] {
    phased_run(kThreads, kPhases, [&](int t, int phase) {
      ++calls;
      if (phase > 0 && finished[phase - 1] != kThreads) ++ahead;  // started before phase-1 was complete
      if (t == 0 && phase % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ++finished[phase];
    });
  });
  v.expect(calls == kThreads * kPhases, fmt::format("body runs {} times ({})", kThreads * kPhases, calls.load()));
  v.expect(ahead == 0,
           fmt::format("no thread starts a phase before the previous one is complete ({} did)", ahead.load()));
  return v.finish();
}
