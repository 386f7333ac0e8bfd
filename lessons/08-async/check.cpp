// Check for lesson 08: run_all runs its tasks concurrently, waits for every one of them,
// and rethrows the lowest-numbered task's exception.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 08: run_all with std::async");
  // Tasks 0 and 1 meet: each waits (at most 1 s) until both have started.
  std::mutex m;
  std::condition_variable cv;
  int started = 0;
  std::atomic<bool> slow_finished{false};
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> on_caller{false};
  auto meet = [&] {
    on_caller = on_caller || std::this_thread::get_id() == caller;
    std::unique_lock lock(m);
    ++started;
    cv.notify_all();
    if (!cv.wait_for(lock, std::chrono::seconds(1), [&] { return started >= 2; }))
      throw std::runtime_error("ran alone: tasks 0 and 1 never ran at the same time");
  };
  std::vector<std::function<void()>> tasks = {meet, meet, [] { throw std::runtime_error("task 2 failed"); },
                                              [&] {
                                                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                                                slow_finished = true;
                                              },
                                              [] { throw std::runtime_error("task 4 failed"); }};
  std::string error;
  lesson::within(std::chrono::seconds(5), "run_all of 5 tasks", [&] {
    try {
      run_all(tasks);
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  v.expect(started == 2 && error.find("ran alone") == std::string::npos, "tasks 0 and 1 run at the same time");
  v.expect(!on_caller, "no task runs on the caller's thread");
  v.expect(slow_finished, "run_all returns only after every task finished (task 3 is slow)");
  v.expect(error == "task 2 failed", fmt::format("the lowest failing task's error comes out (got \"{}\")", error));
  return v.finish();
}
