// Lesson 15 exercise: granularity. How big must a batch be before a pattern's fixed
// cost per step stops mattering?
#pragma once

// A step of `batch` samples on p workers takes about  batch * us_per_sample / p + overhead_us
// microseconds. Returns the smallest batch, a multiple of 16 between 16 and 65536, for
// which overhead_us is at most max_fraction of the step; 0 if none is.
int smallest_batch(double overhead_us, double us_per_sample, int p, double max_fraction);
