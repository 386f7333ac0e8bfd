// Lesson 15, reference solution: on p workers the work per step shrinks to
// batch * us_per_sample / p, so the same overhead weighs p times more.
#include "exercise.hpp"

int smallest_batch(double overhead_us, double us_per_sample, int p, double max_fraction) {
  for (int batch = 16; batch <= 65536; batch += 16) {
    const double step_us = batch * us_per_sample / p + overhead_us;
    if (overhead_us <= max_fraction * step_us) return batch;
  }
  return 0;
}
