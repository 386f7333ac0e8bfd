// sequential - the reference: one thread runs the three phases in order.
//
// Every other pattern is measured against this file (T_seq) and, when it is
// deterministic, must reproduce its weights bit for bit. Diff it against
// thread_pool.cpp or openmp.cpp to see what scheduling adds.
// Per step it pays: nothing beyond the arithmetic.
#include <memory>

#include "train/error.hpp"
#include "train/pattern.hpp"

namespace gd {

class Sequential final : public Pattern {
 public:
  // [lesson:sequential_step]
  void step(Step& step) override {
    step.run_shards(0, step.shards());  // map every shard, folding the tree as it goes
    for (int k = 0; k < step.slices(); ++k) {
      step.combine_slice(k);  // combine
      step.update_slice(k);   // update
    }
    // [/lesson:sequential_step]
  }
};

std::unique_ptr<Pattern> make_sequential(int threads) {
  if (threads != 1)
    throw UsageError("pattern sequential runs on exactly 1 thread (got --threads " + std::to_string(threads) + ")");
  return std::make_unique<Sequential>();
}

}  // namespace gd
