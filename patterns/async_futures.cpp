// async_futures - std::async(std::launch::async) for every group of shards, every
// step: the standard library starts a thread per call and hands back a std::future.
//
// Deterministic. Diff against thread_pool.cpp: the same futures, but nothing is kept
// between steps, so each step pays thread start-up again. That cost is the lesson
// (lesson 08): small beside the arithmetic of a large batch, it dominates a small one
// (reports/2core-full has the figures).
// Per step it pays: 2p thread spawns and joins; the map's p new threads page their stacks
// in again (bench_primitives prices both).
#include <future>
#include <memory>
#include <vector>

#include "train/first_error.hpp"
#include "train/pattern.hpp"

namespace gd {

class AsyncFutures final : public Pattern {
 public:
  explicit AsyncFutures(int threads) : p_(threads) {}

  void step(Step& step) override {
    run_groups([&](int t) {
      auto [first, last] = step.shard_block(t, p_);
      step.run_shards(first, last);
    });
    run_groups([&](int t) {
      for (int k = t; k < step.slices(); k += p_) {
        step.combine_slice(k);
        step.update_slice(k);
      }
    });
  }

 private:
  // Starts p async tasks, waits for all of them, rethrows the first group's error.
  // [lesson:run_groups]
  template <class F>
  void run_groups(F group) {
    std::vector<std::future<void>> futures;
    for (int t = 0; t < p_; ++t) futures.push_back(std::async(std::launch::async, group, t));
    get_all(futures);  // shared/train/first_error.hpp: wait for all, rethrow the first error
  }
  // [/lesson:run_groups]

  int p_;
};

std::unique_ptr<Pattern> make_async_futures(int threads) { return std::make_unique<AsyncFutures>(threads); }

}  // namespace gd
