// openmp - one `#pragma omp parallel` region per step: each thread maps its block of
// shards (by its thread number), an explicit barrier, then a worksharing loop over the
// parameter slices, whose implicit barrier ends the step.
//
// Deterministic (own shard buffers, combined by the step's fixed tree). Diff against tbb.cpp (the same
// two loops as oneTBB algorithms) and openmp_reduction.cpp (the reduction clause).
// Per step it pays: one parallel region and two barriers. libgomp's threads spin for a
// while before they sleep; with OMP_WAIT_POLICY=passive they sleep at once, and a barrier
// costs a wake-up (`OMP_WAIT_POLICY=passive ./gdlab lesson 10` shows the difference;
// bench_primitives prices the region and the barrier, reports/2core-full has the figures).
#include <omp.h>

#include <memory>

#include "train/first_error.hpp"
#include "train/pattern.hpp"

namespace gd {

class OpenMP final : public Pattern {
 public:
  explicit OpenMP(int threads) : p_(threads) { omp_set_dynamic(0); }  // exactly p threads, never fewer

  // [lesson:omp_step]
  void step(Step& step) override {
    FirstError errors;
#pragma omp parallel num_threads(p_)
    {
      auto [first, last] = step.shard_block(omp_get_thread_num(), p_);
      try {  // an exception must not leave a parallel region: catch it here
        step.run_shards(first, last);
      } catch (...) {
        errors.capture(first, std::current_exception());
      }
#pragma omp barrier  // every shard is done, so every thread sees the same failed()
      if (!errors.failed()) {
#pragma omp for schedule(static)
        for (int k = 0; k < step.slices(); ++k) {
          step.combine_slice(k);
          step.update_slice(k);
        }
      }
    }
    errors.rethrow();
  }
  // [/lesson:omp_step]

 private:
  int p_;
};

std::unique_ptr<Pattern> make_openmp(int threads) { return std::make_unique<OpenMP>(threads); }

}  // namespace gd
