// thread_pool - the project's own fixed-size pool (shared/thread_pool.hpp): one task
// per worker for its block of shards, then one per worker for the parameter slices,
// each returning a std::future.
//
// Deterministic. Diff against asio_pool.cpp (the same schedule on Boost.Asio's pool)
// and async_futures.cpp (a fresh thread per task group instead of a pool).
// Per step it pays: 2p task submissions (a lock and a notify each) and as many
// future waits, and the caller sleeps while the pool works, so each phase starts and
// ends with a wake-up; the threads themselves were created once, in the constructor.
// Grain size: a slice is a few us of work (combine and update of 8192 floats), so a
// task per slice (K = 29 for 784-256-128-10) would spend a noticeable share of that on
// queueing; p tasks of K/p slices do not. A task per shard would also lose the fold of
// a block of shards (shared/step.hpp).
#include <future>
#include <memory>
#include <vector>

#include "first_error.hpp"
#include "pattern.hpp"
#include "thread_pool.hpp"

namespace gd {

class PoolPattern final : public Pattern {
 public:
  explicit PoolPattern(int threads) : pool_(threads) {}

  // [lesson:pool_step]
  void step(Step& step) override {
    const int p = pool_.size();  // one task per worker and phase
    for (int t = 0; t < p; ++t)
      futures_.push_back(pool_.submit([&step, t, p] {
        auto [first, last] = step.shard_block(t, p);
        step.run_shards(first, last);
      }));
    get_all(futures_);  // wait for every task, rethrow the first block's error
    for (int t = 0; t < p; ++t)
      futures_.push_back(pool_.submit([&step, t, p] {
        for (int k = t; k < step.slices(); k += p) {
          step.combine_slice(k);
          step.update_slice(k);
        }
      }));
    get_all(futures_);  // wait for every task
  }
  // [/lesson:pool_step]

 private:
  ThreadPool pool_;
  std::vector<std::future<void>> futures_;
};

std::unique_ptr<Pattern> make_thread_pool(int threads) { return std::make_unique<PoolPattern>(threads); }

}  // namespace gd
