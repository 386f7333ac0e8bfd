// thread_semaphore - the caller and p-1 persistent std::threads, driven by C++20
// semaphores: for each phase the caller releases every worker's `start` semaphore,
// does worker 0's share itself, then acquires `done` once per worker.
//
// Deterministic (own shard buffers, ordered combine). Diff against thread_condvar.cpp:
// the same threads, but signalling instead of a shared barrier: a semaphore wakes
// exactly the thread it is released for, with no mutex to fight over.
// Per step it pays: two phases x (p-1 releases + p-1 acquires). A round trip is cheap
// while the waiter still polls and costs a futex wake-up once it fell asleep
// (bench_primitives' semaphore handoff rows; reports/2core-full has the figures). A waiter
// polls up to 200 us (shared/train/spin_wait.hpp) when every thread has a CPU of its own.
#include <memory>
#include <semaphore>
#include <thread>
#include <vector>

#include "train/first_error.hpp"
#include "train/pattern.hpp"
#include "train/spin_wait.hpp"

namespace gd {

class ThreadSemaphore final : public Pattern {
 public:
  explicit ThreadSemaphore(int threads) : p_(threads), spin_(spin_pays(threads)), done_(0) {
    for (int t = 1; t < p_; ++t) start_.push_back(std::make_unique<std::binary_semaphore>(0));
    for (int t = 1; t < p_; ++t) workers_.emplace_back([this, t] { work(t); });
  }

  ~ThreadSemaphore() override {
    phase_ = Phase::stop;
    for (auto& s : start_) s->release();
    for (auto& w : workers_) w.join();
  }

  void step(Step& step) override {
    step_ = &step;
    run_phase(Phase::map);
    if (!errors_.failed()) run_phase(Phase::slices);
    errors_.rethrow();
  }

 private:
  enum class Phase { map, slices, stop };

  // [lesson:signal]
  void run_phase(Phase phase) {
    phase_ = phase;                               // release() below publishes this write
    for (auto& s : start_) s->release();          // signal workers 1 .. p-1: go
    share(0, phase);                              // the caller is worker 0
    for (int t = 1; t < p_; ++t) acquire(done_);  // wait for p-1 "done" signals
  }

  void work(int t) {
    for (;;) {
      acquire(*start_[t - 1]);
      if (phase_ == Phase::stop) return;
      share(t, phase_);
      done_.release();
    }
  }

  // acquire(), after polling try_acquire() for a while. try_acquire() never sleeps; in
  // libstdc++ it retries a few times itself (a few pauses and sched_yield calls).
  template <class Semaphore>
  void acquire(Semaphore& s) {
    if (spin_ && spin_until([&] { return s.try_acquire(); })) return;
    s.acquire();
  }
  // [/lesson:signal]

  void share(int t, Phase phase) {
    Step& step = *step_;
    if (phase == Phase::map) {
      auto [first, last] = step.shard_block(t, p_);  // this thread's shards
      try {
        step.run_shards(first, last);
      } catch (...) {
        errors_.capture(first, std::current_exception());
      }
    } else {
      for (int k = t; k < step.slices(); k += p_) {
        step.combine_slice(k);
        step.update_slice(k);
      }
    }
  }

  int p_;
  bool spin_;
  std::vector<std::unique_ptr<std::binary_semaphore>> start_;  // one per worker 1 .. p-1
  std::counting_semaphore<> done_;
  Phase phase_ = Phase::map;
  Step* step_ = nullptr;
  FirstError errors_;
  std::vector<std::thread> workers_;
};

std::unique_ptr<Pattern> make_thread_semaphore(int threads) { return std::make_unique<ThreadSemaphore>(threads); }

}  // namespace gd
