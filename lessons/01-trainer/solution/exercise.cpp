// Lesson 01, reference solution: map, then combine and update per slice.
#include "exercise.hpp"

void my_step(gd::Step& step) {
  for (int s = 0; s < step.shards(); ++s) step.run_shard(s);
  for (int k = 0; k < step.slices(); ++k) {
    step.combine_slice(k);  // gradient of slice k := sum of the shard gradients, by the fixed tree
    step.update_slice(k);
  }
}
