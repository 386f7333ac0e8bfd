// Batch preparation as a stage of its own (task parallelism): the gather of one batch's
// samples into a contiguous Dataset, with an optional augmentation of image data, and a
// producer thread that prepares the next batches while the pattern trains on this one
// (`gdlab train --prefetch N`).
//
// The batches are the same with the producer or without it: a batch is the same samples of
// the epoch's order, and each image's augmentation draws from a generator seeded by the
// epoch and the image's place in that order, never by which thread prepares it or when.
// So the weights are the same too.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "train/data.hpp"

namespace gd {

enum class Augment {
  none,
  shift,   // each image moved by up to 2 pixels each way: cheap
  affine,  // rotated by up to 15 degrees and scaled by 0.9-1.1, bilinear: dear
};
Augment parse_augment(std::string_view name);  // "none" | "shift" | "affine"; else UsageError
std::string_view to_string(Augment a);

// Augmenting needs image data (Dataset::width and height set): UsageError else.
void check_augment(Augment augment, const Dataset& data);

// Samples order[0..n) of `data`, in that order, into `out` (its buffers reused from batch to
// batch). Image j is augmented with a generator seeded by `seed` and `place` + j, its place
// in the epoch's order.
void prepare_batch(const Dataset& data, const int* order, int n, Augment augment, std::uint64_t seed, long place,
                   Dataset& out);

// A bounded queue for one producer and one consumer, with a mutex and two condition
// variables. A push waits while the queue is full: that wait is the backpressure that keeps
// the producer at most `capacity` batches ahead. The items here are batch slots, one per
// batch of 0.1-1 MB prepared in hundreds of microseconds, so one lock per batch costs next
// to nothing; what matters is that a side with nothing to do sleeps instead of spinning on
// the other's core, and a condition variable gives that. (A ring of atomics without a lock
// would spin or need a futex of its own to sleep, and would gain nothing at this rate.)
// close() wakes both sides for good: pop() then returns what is left, then nothing.
template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}
  bool push(T v) {  // false: closed
    std::unique_lock lock(m_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(v));
    not_empty_.notify_one();
    return true;
  }
  std::optional<T> pop() {  // nothing: closed and empty
    std::unique_lock lock(m_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T v = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return v;
  }
  void close() {
    std::lock_guard lock(m_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  std::size_t capacity_;
  bool closed_ = false;
};

// The producer of one epoch: a thread that prepares batches 0..steps-1 of `order` (`batch`
// samples each, the last one shorter) up to `depth` batches ahead of the consumer. The
// producer reads `data` and `order` until the Prefetcher is gone: they must outlive it.
class Prefetcher {
 public:
  Prefetcher(const Dataset& data, const std::vector<int>& order, int batch, long steps, Augment augment,
             std::uint64_t seed, int depth);
  ~Prefetcher();  // stops the producer and joins it, wherever it is
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The next batch, waiting for the producer if it is behind; rethrows its failure.
  const Dataset& next();
  // The batch next() returned is done with: its buffer goes back to the producer.
  void release();
  // The time the producer spent preparing batches so far.
  double producer_seconds() const { return busy_.load(std::memory_order_relaxed); }

 private:
  void produce(const Dataset& data, const std::vector<int>& order, int batch, long steps, Augment augment,
               std::uint64_t seed);
  std::vector<Dataset> slots_;  // depth + 1 buffers: depth ready, one in training
  BoundedQueue<int> free_, ready_;
  std::exception_ptr error_;  // written before ready_.close(), read after pop() saw it closed
  std::atomic<double> busy_{0};
  int current_ = -1;
  std::jthread producer_;  // last: it starts once everything above exists
};

}  // namespace gd
