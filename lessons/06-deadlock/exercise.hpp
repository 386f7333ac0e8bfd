// Lesson 06 exercise: exchange two shards' gradient buffers, each guarded by its own mutex.
#pragma once
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

// A mutex that pauses for a moment after locking, to make a bad lock order deadlock
// every time instead of once in a while. Lockable: works with lock_guard, scoped_lock.
class SlowMutex {
 public:
  void lock() {
    m_.lock();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  bool try_lock() { return m_.try_lock(); }
  void unlock() { m_.unlock(); }

 private:
  std::mutex m_;
};

struct Buffer {
  SlowMutex m;
  std::vector<float> g;
};

// Swaps the contents of a and b, holding both locks. Threads call it at the same time
// with the arguments in either order.
void swap_buffers(Buffer& a, Buffer& b);
