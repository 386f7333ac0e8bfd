// What every lesson demo and exercise check shares: a pass/fail verdict, a watchdog
// that turns a hang into a failure, a stopwatch. lesson_train.hpp adds a training set-up.
#pragma once
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <thread>

namespace lesson {

// A check collects failed expectations and prints one verdict line at the end:
// "CHECK PASSED" (exit 0) or "CHECK FAILED" (exit 1). The tests look for those words.
class Verdict {
 public:
  explicit Verdict(const char* title) { fmt::print("check: {}\n", title); }
  void expect(bool ok, const std::string& what) {
    fmt::print("  [{}] {}\n", ok ? "ok" : "FAIL", what);
    failures_ += ok ? 0 : 1;
  }
  int finish() const {
    if (failures_ == 0)
      fmt::print("CHECK PASSED\n");
    else
      fmt::print("CHECK FAILED: {} expectation(s) not met\n", failures_);
    std::fflush(stdout);
    return failures_ == 0 ? 0 : 1;
  }

 private:
  int failures_ = 0;
};

// Runs f on its own thread and waits at most `limit`. Returns false when f is still
// running: its threads are stuck for good (a deadlock, a lost wake-up). A stuck thread
// can be neither joined nor cancelled, so the runner is detached and the caller must
// end the process with std::_Exit once it has reported.
inline bool finishes_within(std::chrono::milliseconds limit, std::function<void()> f) {
  auto task = std::make_shared<std::packaged_task<void()>>(std::move(f));
  auto done = task->get_future();
  std::thread runner([task] { (*task)(); });
  if (done.wait_for(limit) == std::future_status::timeout) {
    runner.detach();
    return false;
  }
  runner.join();
  done.get();  // rethrows what f threw
  return true;
}

// For checks: a hang is a failed check, reported and ended here.
inline void within(std::chrono::milliseconds limit, const std::string& what, std::function<void()> f) {
  if (finishes_within(limit, std::move(f))) return;
  fmt::print("  [FAIL] {}: still running after {} ms (deadlock or lost wake-up)\nCHECK FAILED\n", what, limit.count());
  std::fflush(stdout);
  std::_Exit(1);
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Microseconds per round of run(n), which runs n rounds and returns its seconds. A
// calibration run of 100 rounds picks n so that the measured run takes about `budget`
// seconds (at most max_rounds): a demo stays short even on a machine that is busy.
template <class Run>
double us_per_round(Run run, long max_rounds, double budget = 0.3) {
  const double probe = run(100);
  const long n = std::max(100L, std::min(max_rounds, long(budget / std::max(probe, 1e-9) * 100)));
  return 1e6 * run(n) / double(n);
}

}  // namespace lesson
