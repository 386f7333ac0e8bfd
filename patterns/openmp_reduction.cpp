// openmp_reduction - the reduction clause: each thread sums its shards' gradients into
// a private copy, and OpenMP adds the private copies together at the end of the loop.
//
// NOT deterministic: the order in which OpenMP combines the private copies is
// unspecified, so with p > 1 the last bits of the weights may differ from sequential
// and from run to run. Diff against openmp.cpp, which combines by a fixed tree.
// Per step it pays: one parallel region, p private gradients zeroed and combined, then a
// sequential update. A private gradient is the size of the parameters (~1 MB for
// 784-256-128-10).
#include <omp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "train/first_error.hpp"
#include "train/pattern.hpp"

namespace gd {

// A user-defined reduction over whole vectors: how to combine two partial sums, and
// how to start a private copy (zeros, the size of the original).
// [lesson:declare_reduction]
static void add_into(std::vector<float>& out, const std::vector<float>& in) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] += in[i];
}
#pragma omp declare reduction(vec_sum : std::vector<float> : add_into(omp_out, omp_in)) \
    initializer(omp_priv = std::vector<float>(omp_orig.size(), 0.0f))
// [/lesson:declare_reduction]

class OpenMPReduction final : public Pattern {
 public:
  explicit OpenMPReduction(int threads) : p_(threads) { omp_set_dynamic(0); }

  void step(Step& step) override {
    FirstError errors;
    std::vector<float> sum(step.param_floats(), 0.0f);  // OpenMP makes p private copies of it
                                                        // [lesson:reduction_loop]
#pragma omp parallel for num_threads(p_) schedule(static) reduction(vec_sum : sum)
    for (int s = 0; s < step.shards(); ++s) {
      try {
        step.run_shard(s);
        const float* g = step.shard_gradient(s);
        for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += g[i];
      } catch (...) {
        errors.capture(s, std::current_exception());
      }
    }
    // [/lesson:reduction_loop]
    errors.rethrow();
    std::copy(sum.begin(), sum.end(), step.gradient());
    for (int k = 0; k < step.slices(); ++k) step.update_slice(k);
  }

 private:
  int p_;
};

std::unique_ptr<Pattern> make_openmp_reduction(int threads) { return std::make_unique<OpenMPReduction>(threads); }

}  // namespace gd
