// tbb - oneTBB: two parallel_for loops (shards, then parameter slices) run inside a
// task_arena capped at p threads, the calling thread being one of them.
//
// Deterministic: parallel_for only decides WHO runs an index; each shard still has its
// own buffer, a body folds the shards of its range by the step's fixed tree, and each
// slice is combined by that tree. Diff against openmp.cpp.
// Work stealing balances a straggling shard automatically.
// oneTBB keeps one pool of worker threads for the whole process, by default one fewer
// than the machine's CPUs, and an arena only borrows from it: asked for more threads
// than that, the arena would run with fewer (oneTBB only prints a warning). A
// global_control raises the pool's limit to p while the pattern lives (while several
// are alive, oneTBB applies the smallest).
// Per step it pays: two fork-joins in the arena (bench_primitives' oneTBB fork-join row;
// reports/2core-full has the figures).
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <memory>

#include "train/pattern.hpp"

namespace gd {

class TBB final : public Pattern {
 public:
  // [lesson:tbb_threads]
  explicit TBB(int threads)
      : pool_limit_(tbb::global_control::max_allowed_parallelism, std::size_t(threads)), arena_(threads) {
    arena_.initialize();  // threads reserved here, not per step
  }
  // [/lesson:tbb_threads]

  // [lesson:tbb_step]
  void step(Step& step) override {
    // An exception in a body cancels the loop and is rethrown here once its tasks stop
    // (when several shards fail, the first exception thrown, not the lowest shard's).
    arena_.execute([&] {
      tbb::parallel_for(tbb::blocked_range<int>(0, step.shards(), 1),
                        [&](const tbb::blocked_range<int>& r) { step.run_shards(r.begin(), r.end()); });
      tbb::parallel_for(tbb::blocked_range<int>(0, step.slices(), 1), [&](const tbb::blocked_range<int>& r) {
        for (int k = r.begin(); k < r.end(); ++k) {
          step.combine_slice(k);
          step.update_slice(k);
        }
      });
    });
  }
  // [/lesson:tbb_step]

 private:
  tbb::global_control pool_limit_;  // p threads in all: p - 1 workers and the caller
  tbb::task_arena arena_;
};

std::unique_ptr<Pattern> make_tbb(int threads) { return std::make_unique<TBB>(threads); }

}  // namespace gd
