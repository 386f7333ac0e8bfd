// A std::barrier whose threads poll for the end of the round before they wait.
//
// std::barrier's wait sleeps in the kernel once a short spin of its own is over, and a
// thread woken from there starts late (spin_wait.hpp says why). A pattern that meets at
// a barrier many times a step (model_parallel, hybrid) pays that each round. Here a
// thread arrives, polls a round counter, which the completion step advances, while every
// thread has a CPU of its own, and then calls wait(), which returns at once when the
// round is over already. That wait is still what orders every thread's writes before
// the round against everyone's reads after it.
#pragma once
#include <atomic>
#include <barrier>
#include <utility>

#include "train/spin_wait.hpp"

namespace gd {

struct NoCompletion {
  void operator()() noexcept {}
};

template <class Completion = NoCompletion>
class PolledBarrier {
 public:
  // completion runs once a round, on one thread, after the last arrival and before any
  // thread leaves. Threads poll when spin is true; by default, when each of the `threads`
  // has a CPU of its own (a barrier of a group of threads is told whether all have).
  PolledBarrier(int threads, bool spin, Completion completion = {})
      : spin_(spin), barrier_(threads, RoundEnd{this, std::move(completion)}) {}
  explicit PolledBarrier(int threads, Completion completion = {})
      : PolledBarrier(threads, spin_pays(threads), std::move(completion)) {}

  void arrive_and_wait() {
    const unsigned round = round_.load(std::memory_order_acquire);  // before arriving: the round cannot end yet
    auto arrived = barrier_.arrive();
    if (spin_) spin_until([&] { return round_.load(std::memory_order_acquire) != round; });
    barrier_.wait(std::move(arrived));
  }

 private:
  struct RoundEnd {
    PolledBarrier* self;
    Completion completion;
    void operator()() noexcept {
      completion();
      self->round_.fetch_add(1, std::memory_order_release);
    }
  };
  bool spin_;
  std::atomic<unsigned> round_{0};  // rounds completed
  std::barrier<RoundEnd> barrier_;
};

}  // namespace gd
