// Lesson 18 exercise: the bounded queue between a producer and a consumer.
//
// BatchQueue holds at most `capacity` items (batch numbers here), first in, first out:
//   push(v)  waits while the queue is full (that wait is the backpressure that keeps the
//            producer at most `capacity` items ahead), then adds v; false once closed.
//   pop()    waits while the queue is empty, then takes the oldest item; once the queue is
//            closed it returns what is left, then std::nullopt.
//   close()  wakes every waiting push and pop for good.
// One producer thread pushes and one consumer thread pops, at the same time.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity);
  bool push(int v);
  std::optional<int> pop();
  void close();

 private:
  std::size_t capacity_;
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;  // yours to use
  std::deque<int> items_;
  bool closed_ = false;
};
