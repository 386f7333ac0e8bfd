// Statistics of repeated measurements: the median and a confidence interval of it from
// order statistics, so no distribution is assumed.
#pragma once
#include <vector>

#include "measure/results.hpp"

namespace gd {

double median_of(std::vector<double> v);  // mean of the middle two for an even count; 0 for none

// 1-based ranks [low, high] of the order statistics that bound a confidence interval of
// the median: [x(k), x(n+1-k)] with the largest k whose coverage 1 - 2 P(Bin(n, 1/2) < k)
// is at least `level`. For n <= 5 no k reaches 95%: then k = 1, the interval [min, max].
struct Ranks {
  int low, high;
};
Ranks median_ci_ranks(int n, double level = 0.95);

// Median, min, max and the 95% CI of the median of the samples.
StepStats summarize(std::vector<double> samples);

}  // namespace gd
