// thread_pool - the project's own fixed-size pool (shared/train/thread_pool.hpp) of p-1
// threads, plus the caller: each phase is p shares, p-1 submitted to the pool as tasks
// with a std::future each, and share 0 run by the caller while the pool works.
//
// Deterministic. Diff against asio_pool.cpp (the same schedule on Boost.Asio's pool)
// and async_futures.cpp (a fresh thread per share instead of a pool).
// Per step it pays: 2(p-1) task submissions (a lock and a notify each) and as many
// future waits; the threads themselves were created once, in the constructor. Pool
// threads and caller poll for up to 200 us (shared/train/spin_wait.hpp) before they sleep,
// when every thread has a CPU of its own.
// The caller works instead of sleeping until the pool is done: a sleeping caller costs
// two wake-ups a phase, and while it sleeps the kernel may put both pool threads on
// one CPU (each woken thread is placed near its waker), which the matrix shows as A
// well below p.
// Grain size: one share per thread and phase. A task per slice (K = 29 for
// 784-256-128-10, little work each) would pay a submission and a future wait for each
// slice, and a task per shard would lose the fold of a block of shards.
#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "train/first_error.hpp"
#include "train/pattern.hpp"
#include "train/spin_wait.hpp"
#include "train/thread_pool.hpp"

namespace gd {

class PoolPattern final : public Pattern {
 public:
  // p - 1 pool threads + the caller; all of them spin before they sleep if each has a CPU
  explicit PoolPattern(int threads) : spin_(spin_pays(threads)), pool_(threads - 1, spin_) {}

  // [lesson:pool_step]
  void step(Step& step) override {
    const int p = pool_.size() + 1;
    run_phase(p, [&step, p](int t) {  // map: share t is worker t's block of shards
      auto [first, last] = step.shard_block(t, p);
      step.run_shards(first, last);
    });
    run_phase(p, [&step, p](int t) {  // combine + update: every p-th slice from t
      for (int k = t; k < step.slices(); k += p) {
        step.combine_slice(k);
        step.update_slice(k);
      }
    });
  }

 private:
  // Shares 1 .. p-1 of a phase go to the pool; the caller runs share 0 itself, as a
  // packaged_task so that its error travels through a future like the others'.
  template <class Share>
  void run_phase(int p, const Share& share) {
    std::packaged_task<void()> mine([&share] { share(0); });
    futures_.push_back(mine.get_future());
    for (int t = 1; t < p; ++t) futures_.push_back(pool_.submit([&share, t] { share(t); }));
    mine();  // the caller's share, while the pool runs the others
    if (spin_) spin_until([this] { return all_ready(futures_); });
    get_all(futures_);  // wait for every share, rethrow the first one's error
  }
  // [/lesson:pool_step]

  static bool all_ready(const std::vector<std::future<void>>& futures) {
    for (const auto& f : futures)
      if (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
    return true;
  }

  bool spin_;  // before pool_, which is built with it
  ThreadPool pool_;
  std::vector<std::future<void>> futures_;
};

std::unique_ptr<Pattern> make_thread_pool(int threads) { return std::make_unique<PoolPattern>(threads); }

}  // namespace gd
