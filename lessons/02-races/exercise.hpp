// Lesson 02 exercise: a shared gradient and the mutex that guards it.
#pragma once
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

// A std::mutex that also remembers which thread holds it, so the check can tell
// whether the gradient was touched without the lock. Use it like a std::mutex.
class CheckedMutex {
 public:
  void lock() {
    m_.lock();
    owner_ = std::this_thread::get_id();
  }
  bool try_lock() {
    if (!m_.try_lock()) return false;
    owner_ = std::this_thread::get_id();
    return true;
  }
  void unlock() {
    owner_ = std::thread::id();
    m_.unlock();
  }
  bool held_by_me() const { return owner_.load() == std::this_thread::get_id(); }

 private:
  std::mutex m_;
  std::atomic<std::thread::id> owner_{};
};

struct SharedGradient {
  explicit SharedGradient(std::size_t n) : values_(n, 0.0f) {}
  CheckedMutex mutex;  // guards the values
  // The values; counts an access made without holding `mutex`.
  float* values() {
    if (!mutex.held_by_me()) ++unguarded_accesses;
    return values_.data();
  }
  std::size_t size() const { return values_.size(); }
  std::atomic<long> unguarded_accesses{0};
  const std::vector<float>& peek() const { return values_; }  // for the check, after the threads joined

 private:
  std::vector<float> values_;
};

// Adds `shard` into the shared gradient. Called by several threads at once.
void add_shard(SharedGradient& g, const std::vector<float>& shard);
