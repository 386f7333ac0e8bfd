// thread_condvar - the caller and p-1 persistent std::threads share each phase; a phase
// barrier built from a mutex and a condition variable, written out below, separates
// the phases.
//
// The caller is worker 0, as in OpenMP and oneTBB: p threads compute, and no step wakes
// a thread only to put the caller to sleep in its place.
// Deterministic: shards go into their own buffers, slices are combined by a fixed tree.
// Diff against thread_semaphore.cpp (same threads, signalled by semaphores) and
// boost_thread.cpp (same schedule, Boost's barrier).
// Per step it pays: three rounds of a barrier of p threads. A thread that arrives early
// polls the barrier for up to 200 us (shared/train/spin_wait.hpp) when every thread has a
// CPU of its own; after that it sleeps on the condition variable and must be woken, which
// costs far more than a round caught while polling (bench_primitives' condvar handoff
// rows; reports/2core-full has the figures).
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "train/first_error.hpp"
#include "train/pattern.hpp"
#include "train/spin_wait.hpp"

namespace gd {

// The last of `count` threads to arrive opens the barrier for all of them. The
// generation counter tells a woken thread whether ITS barrier opened: it guards
// against spurious wake-ups, and a fast thread that races on to the next barrier
// cannot be confused with the previous one.
// [lesson:barrier]
class PhaseBarrier {
 public:
  explicit PhaseBarrier(int count) : count_(count), spin_(spin_pays(count)) {}
  void arrive_and_wait() {
    std::unique_lock lock(m_);
    const long gen = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      opened_.notify_all();
      return;
    }
    if (spin_) {  // poll the generation for a while, without the lock, before sleeping
      lock.unlock();
      if (spin_until([&] { return generation_ != gen; })) return;
      lock.lock();
    }
    opened_.wait(lock, [&] { return generation_ != gen; });
  }

 private:
  std::mutex m_;
  std::condition_variable opened_;
  const int count_;
  int arrived_ = 0;
  std::atomic<long> generation_ = 0;  // written under m_; read without it while spinning
  const bool spin_;
};
// [/lesson:barrier]

class ThreadCondvar final : public Pattern {
 public:
  explicit ThreadCondvar(int threads) : p_(threads), barrier_(threads) {
    for (int t = 1; t < p_; ++t) workers_.emplace_back([this, t] { work(t); });
  }

  ~ThreadCondvar() override {
    stop_ = true;  // written before the barrier, read after it: no race
    barrier_.arrive_and_wait();
    for (auto& w : workers_) w.join();
  }

  // [lesson:condvar_work]
  void step(Step& step) override {
    step_ = &step;
    barrier_.arrive_and_wait();  // go: the workers start this step
    phases(0);                   // the caller does worker 0's share
    errors_.rethrow();
  }

 private:
  void work(int t) {  // workers 1 .. p-1, one step per iteration
    for (;;) {
      barrier_.arrive_and_wait();
      if (stop_) return;
      phases(t);
    }
  }

  void phases(int t) {
    Step& step = *step_;
    auto [first, last] = step.shard_block(t, p_);  // this thread's shards
    try {
      step.run_shards(first, last);
    } catch (...) {
      errors_.capture(first, std::current_exception());
    }
    barrier_.arrive_and_wait();  // every shard done
    if (!errors_.failed())       // the same answer for every thread: all shards are done
      for (int k = t; k < step.slices(); k += p_) {
        step.combine_slice(k);
        step.update_slice(k);
      }
    barrier_.arrive_and_wait();  // every slice done
  }
  // [/lesson:condvar_work]

  int p_;
  PhaseBarrier barrier_;
  Step* step_ = nullptr;
  bool stop_ = false;
  FirstError errors_;
  std::vector<std::thread> workers_;
};

std::unique_ptr<Pattern> make_thread_condvar(int threads) { return std::make_unique<ThreadCondvar>(threads); }

}  // namespace gd
