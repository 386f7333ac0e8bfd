// Lesson 04 exercise: a one-shot latch from a mutex and a condition variable, the way
// a step waits until all its shards are done (compare std::latch).
#pragma once
#include <condition_variable>
#include <mutex>

class ShardLatch {
 public:
  explicit ShardLatch(int shards) : left_(shards) {}
  void count_down();  // one shard is done
  void wait();        // blocks until every shard is done; returns at once if they are

 private:
  std::mutex m_;
  std::condition_variable all_done_;
  int left_;
};
