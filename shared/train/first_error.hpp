// Carrying an exception out of worker threads, two ways.
//
// FirstError, for threads that share no future with the caller: a worker catches
// whatever its task throws and hands it to capture(). The caller, after all workers
// are done with the step, calls rethrow(). When several shards
// fail, the lowest shard's error wins, so the error a user sees does not depend on
// which thread was faster.
#pragma once
#include <climits>
#include <exception>
#include <future>
#include <mutex>
#include <vector>

namespace gd {

class FirstError {
 public:
  void capture(int shard, std::exception_ptr e) noexcept {
    std::lock_guard lock(m_);
    if (!err_ || shard < shard_) {
      err_ = e;
      shard_ = shard;
    }
  }
  // Rethrows the captured error, if any, and resets for the next step.
  void rethrow() {
    std::exception_ptr e;
    {
      std::lock_guard lock(m_);
      e = err_;
      err_ = nullptr;
      shard_ = INT_MAX;
    }
    if (e) std::rethrow_exception(e);
  }
  bool failed() {
    std::lock_guard lock(m_);
    return err_ != nullptr;
  }

 private:
  std::mutex m_;
  std::exception_ptr err_;
  int shard_ = INT_MAX;
};

// The futures way: wait for EVERY future (their tasks may still be using the step),
// then rethrow the first failure in the vector's order, and empty the vector.
// [lesson:get_all]
inline void get_all(std::vector<std::future<void>>& futures) {
  std::exception_ptr first;
  for (auto& f : futures) {
    try {
      f.get();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  futures.clear();
  if (first) std::rethrow_exception(first);
}
// [/lesson:get_all]

}  // namespace gd
