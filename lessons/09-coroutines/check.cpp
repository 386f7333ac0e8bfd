// Check for lesson 09: run_together's tasks run at the same time (two of them must meet),
// and a task's exception comes out after every task finished.
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 09: run_together awaits tasks running at the same time");
  boost::asio::thread_pool pool(2);
  std::mutex m;
  std::condition_variable cv;
  int started = 0;
  std::atomic<bool> slow_done{false};
  auto meet = [&] {
    std::unique_lock lock(m);
    ++started;
    cv.notify_all();
    if (!cv.wait_for(lock, std::chrono::seconds(1), [&] { return started >= 2; }))
      throw std::runtime_error("ran alone: the two tasks never ran at the same time");
  };
  std::string error;
  lesson::within(std::chrono::seconds(5), "run_together on a pool of 2", [&] {
    std::vector<std::function<void()>> tasks = {meet, meet};
    try {
      boost::asio::co_spawn(pool, run_together(pool, tasks), boost::asio::use_future).get();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  v.expect(error.empty(), fmt::format("the two tasks meet (error: \"{}\")", error));
  error.clear();
  lesson::within(std::chrono::seconds(5), "run_together with a failing task", [&] {
    std::vector<std::function<void()>> tasks = {[] { throw std::runtime_error("task 0 failed"); },
                                                [&] {
                                                  std::this_thread::sleep_for(std::chrono::milliseconds(100));
                                                  slow_done = true;
                                                }};
    try {
      boost::asio::co_spawn(pool, run_together(pool, tasks), boost::asio::use_future).get();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  v.expect(error == "task 0 failed", fmt::format("the task's exception comes out (got \"{}\")", error));
  v.expect(slow_done, "only after every task finished");
  pool.join();
  return v.finish();
}
