#include "measure/statistics.hpp"

#include <algorithm>
#include <cmath>

namespace gd {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Ranks median_ci_ranks(int n, double level) {
  if (n < 1) return {0, 0};
  // P(B <= j) for B ~ Binomial(n, 1/2), accumulated term by term in log space.
  auto log_term = [n](int j) {
    return std::lgamma(n + 1.0) - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0) - n * std::log(2.0);
  };
  int best = 1;
  // coverage(k) = 1 - 2 P(B <= k - 1) shrinks as k grows: keep the last k that reaches `level`.
  double cdf = 0;  // P(B <= k - 1), starting with k = 1: P(B <= 0)
  for (int k = 1; 2 * k <= n + 1; ++k) {
    cdf += std::exp(log_term(k - 1));
    if (1 - 2 * cdf >= level)
      best = k;
    else
      break;
  }
  return {best, n + 1 - best};
}

StepStats summarize(std::vector<double> v) {
  StepStats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = median_of(v);
  s.min = v.front();
  s.max = v.back();
  Ranks r = median_ci_ranks(int(v.size()));
  s.ci95_low = v[r.low - 1];
  s.ci95_high = v[r.high - 1];
  return s;
}

}  // namespace gd
