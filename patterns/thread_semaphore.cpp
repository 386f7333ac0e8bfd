// thread_semaphore - p persistent std::threads driven by C++20 semaphores: the caller
// releases each worker's `start` semaphore, then acquires `done` once per worker.
//
// Deterministic (own shard buffers, ordered combine). Diff against thread_condvar.cpp:
// the same threads, but signalling instead of a shared barrier: a semaphore wakes
// exactly the thread it is released for, with no mutex to fight over.
// Per step it pays: two phases x (p releases + p acquires), ~4 us a handoff here.
#include <memory>
#include <semaphore>
#include <thread>
#include <vector>

#include "first_error.hpp"
#include "pattern.hpp"

namespace gd {

class ThreadSemaphore final : public Pattern {
 public:
  explicit ThreadSemaphore(int threads) : p_(threads), done_(0) {
    for (int t = 0; t < p_; ++t) start_.push_back(std::make_unique<std::binary_semaphore>(0));
    for (int t = 0; t < p_; ++t) workers_.emplace_back([this, t] { work(t); });
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
    phase_ = phase;                                 // release() below publishes this write
    for (auto& s : start_) s->release();            // signal: go
    for (int t = 0; t < p_; ++t) done_.acquire();   // wait for p "done" signals
  }

  void work(int t) {
    for (;;) {
      start_[t]->acquire();
      if (phase_ == Phase::stop) return;
      Step& step = *step_;
      if (phase_ == Phase::map) {
        for (int s = t; s < step.shards(); s += p_) {
          try {
            step.run_shard(s);
          } catch (...) {
            errors_.capture(s, std::current_exception());
          }
        }
      } else {
        for (int k = t; k < step.slices(); k += p_) {
          step.combine_slice(k);
          step.update_slice(k);
        }
      }
      done_.release();
    }
  }
  // [/lesson:signal]

  int p_;
  std::vector<std::unique_ptr<std::binary_semaphore>> start_;
  std::counting_semaphore<> done_;
  Phase phase_ = Phase::map;
  Step* step_ = nullptr;
  FirstError errors_;
  std::vector<std::thread> workers_;
};

std::unique_ptr<Pattern> make_thread_semaphore(int threads) { return std::make_unique<ThreadSemaphore>(threads); }

}  // namespace gd
