// Lesson 07 exercise: a minimal thread pool and its shutdown.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

class MiniPool {
 public:
  explicit MiniPool(int threads) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  // Finishes every task already submitted, then joins the workers.
  ~MiniPool() {
    {
      std::lock_guard lock(m_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& w : workers_) w.join();
  }
  void submit(std::function<void()> task) {
    {
      std::lock_guard lock(m_);
      queue_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void work();  // a worker's loop: take a task, run it; return when it is time to stop

  std::mutex m_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};
