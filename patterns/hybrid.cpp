// hybrid - shards x blocks: the caller and p-1 persistent std::threads form groups
// (hybrid.hpp has the plan). Each group takes a block of the shards, data parallelism
// between the groups; each thread of a group takes a range of neuron blocks in every
// layer, model parallelism inside the group, whose threads meet at the group's own
// std::barrier after every phase; a group of one thread runs whole shards and folds them,
// as a data-parallel worker does. A barrier of all p threads ends the map; then every
// p-th slice is combined and updated (with one group, each thread sums and updates its
// own rows, as in model_parallel).
//
// So p = 16 at batch 256 (4 shards x 4 blocks) has work for every thread, where a
// pattern on one axis has at most 4 shares. Deterministic (the step's fixed phases and
// tree). Diff against model_parallel.cpp (one group of p) and boost_thread.cpp (p groups
// of one).
// Per step it pays: 3 rounds of a std::barrier of p threads and, where a group has more
// than one thread (p > shards), phases rounds of the group's (10 in all for 784-256-128-10).
#include "hybrid.hpp"

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "train/first_error.hpp"
#include "train/pattern.hpp"
#include "train/polled_barrier.hpp"

namespace gd {

std::vector<HybridShare> hybrid_plan(int shards, int blocks, int p) {
  const int groups = std::min(shards, p);
  std::vector<HybridShare> plan;
  for (int g = 0; g < groups; ++g) {
    const int size = block_rows(p, groups, g).second;  // threads in group g
    for (int r = 0; r < size; ++r)
      plan.push_back({g, r, size, block_rows(shards, groups, g), block_rows(blocks, size, r)});
  }
  return plan;
}

class Hybrid final : public Pattern {
 public:
  explicit Hybrid(int threads) : p_(threads), all_(threads) {
    for (int t = 1; t < p_; ++t) workers_.emplace_back([this, t] { work(t); });
  }

  ~Hybrid() override {
    stop_ = true;            // the barrier below publishes this write
    all_.arrive_and_wait();  // the start of a step that is not one
    for (auto& w : workers_) w.join();
  }

  void step(Step& step) override {
    if (!step_ || step.shards() != shards_ || step.blocks() != blocks_) plan(step);  // the same plan every step
    step_ = &step;
    all_.arrive_and_wait();  // start: workers 1 .. p-1 see step_
    share(0);                // the caller is thread 0
    errors_.rethrow();
  }

 private:
  void plan(Step& step) {
    shards_ = step.shards();
    blocks_ = step.blocks();
    plan_ = hybrid_plan(shards_, blocks_, p_);
    groups_.clear();
    for (const HybridShare& s : plan_)
      if (s.rank == 0) groups_.push_back(std::make_unique<PolledBarrier<>>(s.group_size, spin_pays(p_)));
  }

  void work(int t) {
    for (;;) {
      all_.arrive_and_wait();
      if (stop_) return;
      share(t);
    }
  }

  // [lesson:hybrid]
  void share(int t) {
    Step& step = *step_;
    const HybridShare& me = plan_[std::size_t(t)];
    PolledBarrier<>& group = *groups_[std::size_t(me.group)];
    const auto [shard, shards] = me.shards;
    const auto [block, blocks] = me.blocks;
    if (me.group_size == 1) {  // a group of one runs whole shards and folds them, as in boost_thread
      try {
        step.run_shards(shard, shard + shards);
      } catch (...) {
        errors_.capture(shard * step.blocks(),
                        std::current_exception());  // run_shards stops at the first failing shard
      }
    } else {
      for (int q = 0; q < step.phases(); ++q) {
        for (int s = shard; s < shard + shards; ++s)
          for (int j = block; j < block + blocks; ++j) {
            try {
              step.run_block(s, q, j);
            } catch (...) {  // the group goes on, so that every thread meets every round
              errors_.capture(s * step.blocks() + j, std::current_exception());  // the lowest (shard, block) wins
            }
          }
        group.arrive_and_wait();  // phase q of the group's shards is done
      }
    }
    all_.arrive_and_wait();  // every group's shards are done
    if (!errors_.failed()) {
      if (groups_.size() == 1)  // one group holds every shard: each thread its own rows
        for (int j = block; j < block + blocks; ++j) step.update_block(j);
      else
        for (int k = t; k < step.slices(); k += p_) {
          step.combine_slice(k);
          step.update_slice(k);
        }
    }
    all_.arrive_and_wait();  // the step is done when every slice is
  }
  // [/lesson:hybrid]

  int p_;
  PolledBarrier<> all_;
  std::vector<std::unique_ptr<PolledBarrier<>>> groups_;
  std::vector<HybridShare> plan_;
  int shards_ = 0, blocks_ = 0;
  bool stop_ = false;
  Step* step_ = nullptr;
  FirstError errors_;
  std::vector<std::thread> workers_;
};

std::unique_ptr<Pattern> make_hybrid(int threads) { return std::make_unique<Hybrid>(threads); }

}  // namespace gd
