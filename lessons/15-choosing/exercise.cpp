// Lesson 15 exercise. smallest_batch below compares the overhead with the work of one
// worker as if it ran alone. Fix it so that `./gdlab check 15` passes.
#include "exercise.hpp"

int smallest_batch(double overhead_us, double us_per_sample, int p, double max_fraction) {
  (void)p;
  for (int batch = 16; batch <= 65536; batch += 16) {
    const double step_us = batch * us_per_sample + overhead_us;
    if (overhead_us <= max_fraction * step_us) return batch;
  }
  return 0;
}
