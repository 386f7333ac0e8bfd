// Lesson 04, reference solution: wait for the CONDITION, not for a notification. The
// predicate is tested under the lock before sleeping (a notify that came earlier is
// not lost) and after every wake-up (a spurious wake-up goes back to sleep).
#include "exercise.hpp"

void ShardLatch::count_down() {
  std::lock_guard lock(m_);
  if (--left_ == 0) all_done_.notify_all();
}

void ShardLatch::wait() {
  std::unique_lock lock(m_);
  all_done_.wait(lock, [this] { return left_ == 0; });
}
