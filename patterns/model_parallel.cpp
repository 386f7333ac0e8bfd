// model_parallel - the caller and p-1 persistent std::threads split every layer instead
// of the batch: thread t owns a fixed range of neuron blocks (its rows of every layer's
// weights), and all p meet at one std::barrier after each phase of a shard's pass.
//
// What crosses between cores at each barrier: the rows the phase just wrote, which every
// thread reads in full in the next one: a layer's activations going forward and its
// deltas going backward, batch x neurons floats. A thread's rows of the gradient are
// written by that thread only, and the same thread sums and updates those rows
// (Step::update_block), so its gradients and weights stay in its core's cache; the others
// only read a block of their columns, in the backward pass of the layer above. A
// data-parallel pattern's cores exchange gradients and weights of the model's size
// instead: model parallelism moves less when the batch is small.
//
// A round that sleeps in the kernel costs a wake-up, and a step has many rounds, so a
// thread polls for the end of the round first (shared/train/polled_barrier.hpp).
//
// Deterministic (each block writes only its own rows, in the step's fixed phases). Diff
// against boost_thread.cpp: the same persistent threads and barrier, but a round per
// phase of the pass instead of per phase of the step, and blocks of neurons instead of
// shards.
// Per step it pays: phases + 2 rounds of a std::barrier of p threads (9 for
// 784-256-128-10), at any shard count.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "train/first_error.hpp"
#include "train/pattern.hpp"
#include "train/polled_barrier.hpp"

namespace gd {

class ModelParallel final : public Pattern {
 public:
  explicit ModelParallel(int threads) : p_(threads), barrier_(threads, PhaseEnd{this}) {
    for (int t = 1; t < p_; ++t) workers_.emplace_back([this, t] { work(t); });
  }

  ~ModelParallel() override {
    stop_ = true;                // the barrier below publishes this write
    barrier_.arrive_and_wait();  // the start of a step that is not one
    for (auto& w : workers_) w.join();
  }

  void step(Step& step) override {
    step_ = &step;
    failing_ = false;
    barrier_.arrive_and_wait();  // start: workers 1 .. p-1 see step_
    share(0);                    // the caller is worker 0
    errors_.rethrow();
  }

 private:
  void work(int t) {
    for (;;) {
      barrier_.arrive_and_wait();
      if (stop_) return;
      share(t);
    }
  }

  // [lesson:model_parallel]
  void share(int t) {
    Step& step = *step_;
    // Thread t's blocks, the same in every layer, split as a layer's rows are split into blocks.
    const int B = step.blocks();
    const auto [first, count] = block_rows(B, p_, t);
    // Phase q of every shard, then one round: the shards' passes are independent, so
    // they share the rounds (phases() a step, not shards() x phases()).
    for (int q = 0; q < step.phases(); ++q) {
      if (!failed_)  // a block of an earlier phase failed: the rest is not worth computing
        for (int s = 0; s < step.shards(); ++s)
          for (int j = first; j < first + count; ++j) {
            try {
              step.run_block(s, q, j);
            } catch (...) {
              errors_.capture(s * B + j, std::current_exception());  // the lowest (shard, block) wins
              failing_ = true;
              break;  // on to the next shard
            }
          }
      barrier_.arrive_and_wait();  // every thread takes part in every round, failed or not
    }
    if (!failed_)  // thread t's rows: it wrote their gradients, and only it reads them going forward
      for (int j = first; j < first + count; ++j) step.update_block(j);
    barrier_.arrive_and_wait();  // the step is done when every block's rows are
  }
  // [/lesson:model_parallel]

  // Runs once a round, when the last thread has arrived and before any leaves: a failure
  // in this phase becomes failed_, which only the next phases read. So every block of a
  // phase runs even when one of them fails, and the lowest failing block is reported
  // whichever thread was fastest.
  struct PhaseEnd {
    ModelParallel* self;
    void operator()() noexcept { self->failed_ = self->failing_.load(); }
  };
  int p_;
  PolledBarrier<PhaseEnd> barrier_;
  std::atomic<bool> failing_{false};  // a block failed in the current phase
  bool failed_ = false;               // a block failed in an earlier phase of this step
  bool stop_ = false;
  Step* step_ = nullptr;
  FirstError errors_;
  std::vector<std::thread> workers_;
};

std::unique_ptr<Pattern> make_model_parallel(int threads) { return std::make_unique<ModelParallel>(threads); }

}  // namespace gd
