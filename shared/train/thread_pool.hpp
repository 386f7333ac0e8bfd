// A small fixed-size thread pool, written out in full for reading (lesson 07).
//
//   ThreadPool pool(4);                       // starts 4 worker threads
//   std::future<int> f = pool.submit([] { return 42; });
//   f.get();                                  // 42, or the task's exception rethrown
//
// Workers sleep on a condition variable until the queue has a task or the pool is
// shutting down. The destructor finishes the tasks already queued, then joins.
// With spin set, an idle worker first polls the queue's length for a while
// (shared/train/spin_wait.hpp): a task that comes soon then costs no wake-up.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "train/spin_wait.hpp"

namespace gd {

class ThreadPool {
 public:
  explicit ThreadPool(int threads, bool spin = false) : spin_(spin) {
    workers_.reserve(threads);
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }

  ~ThreadPool() {
    {
      std::lock_guard lock(m_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& w : workers_) w.join();
  }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues f; the future carries its result or its exception.
  // [lesson:submit]
  template <class F>
  auto submit(F f) -> std::future<std::invoke_result_t<F>> {
    // packaged_task is move-only and std::function needs a copyable target: share it.
    auto task = std::make_shared<std::packaged_task<std::invoke_result_t<F>()>>(std::move(f));
    auto result = task->get_future();
    {
      std::lock_guard lock(m_);
      queue_.emplace_back([task] { (*task)(); });
      queued_ = queue_.size();
    }
    ready_.notify_one();
    return result;
  }
  // [/lesson:submit]

  int size() const { return int(workers_.size()); }

 private:
  // [lesson:worker_loop]
  void work() {
    for (;;) {
      if (spin_) spin_until([this] { return queued_ != 0 || stopping_; });  // then sleep, if still nothing
      std::function<void()> task;
      {
        std::unique_lock lock(m_);
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });  // predicate: no lost or spurious wake-ups
        if (queue_.empty()) return;                                          // stopping, nothing left
        task = std::move(queue_.front());
        queue_.pop_front();
        queued_ = queue_.size();
      }
      task();  // packaged_task stores any exception in the future
    }
  }
  // [/lesson:worker_loop]

  std::mutex m_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::atomic<bool> stopping_ = false;  // written under m_, also polled without it
  const bool spin_;
  std::atomic<std::size_t> queued_ = 0;  // queue_.size(), written under m_, polled without it
  std::vector<std::thread> workers_;
};

}  // namespace gd
