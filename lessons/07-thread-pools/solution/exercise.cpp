// Lesson 07, reference solution: a worker leaves only when the pool is stopping AND the
// queue is empty, so the destructor drains the queue before the joins return.
#include "exercise.hpp"

void MiniPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(m_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to do
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();  // run outside the lock, so other workers can take tasks meanwhile
  }
}
