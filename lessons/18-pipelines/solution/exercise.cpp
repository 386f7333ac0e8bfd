// Lesson 18, a reference solution: each side waits on its own condition variable for the
// state it needs (room, or an item, or the end), and wakes the other side when it has made
// that state true. The waits take a predicate, so a spurious wake-up just waits again.
#include "exercise.hpp"

BatchQueue::BatchQueue(std::size_t capacity) : capacity_(capacity) {}

bool BatchQueue::push(int v) {
  std::unique_lock lock(m_);
  not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
  if (closed_) return false;
  items_.push_back(v);
  not_empty_.notify_one();  // a consumer may be waiting for this item
  return true;
}

std::optional<int> BatchQueue::pop() {
  std::unique_lock lock(m_);
  not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
  if (items_.empty()) return std::nullopt;  // closed, and nothing left
  const int v = items_.front();
  items_.pop_front();
  not_full_.notify_one();  // a producer may be waiting for this room
  return v;
}

void BatchQueue::close() {
  std::lock_guard lock(m_);
  closed_ = true;
  not_full_.notify_all();
  not_empty_.notify_all();
}
