#include "measure/transport.hpp"

#include <algorithm>

#include "train/error.hpp"

namespace gd {

Transport fit_transport(std::vector<std::pair<double, double>> pingpong) {
  if (pingpong.empty()) throw UsageError("no ping-pong measurements to fit");
  std::sort(pingpong.begin(), pingpong.end());
  Transport t;
  t.pingpong = pingpong;
  t.alpha_seconds = pingpong.front().second;
  double nn = 0, nt = 0;
  for (auto [n, s] : pingpong)
    if (n >= 65536) nn += n * n, nt += n * std::max(0.0, s - t.alpha_seconds);
  if (nn == 0) {  // only small messages: the largest one's rate
    const auto [n, s] = pingpong.back();
    nn = n * n, nt = n * std::max(1e-12, s - t.alpha_seconds);
  }
  t.beta_bytes_per_second = nt > 0 ? nn / nt : 0;
  return t;
}

double fit_allreduce_beta(const Transport& t) {
  if (t.allreduce.empty() || t.ranks < 2) return 0;
  const double p = t.ranks;
  const bool large = std::any_of(t.allreduce.begin(), t.allreduce.end(), [](auto x) { return x.first >= 65536; });
  double xx = 0, xy = 0;
  for (auto [n, s] : t.allreduce) {
    if (large && n < 65536) continue;
    const double x = 2 * (p - 1) / p * n, y = std::max(1e-12, s - 2 * (p - 1) * t.alpha_seconds);
    xx += x * x, xy += x * y;
  }
  return xy > 0 ? xx / xy : 0;
}

double ring_allreduce_seconds(int ranks, double bytes, double alpha, double beta) {
  if (ranks <= 1) return 0;
  const double p = ranks;
  return 2 * (p - 1) * alpha + 2 * (p - 1) / p * bytes / beta;
}

Prediction predict_step(double sequential_step_seconds, int ranks, double bytes, double alpha, double beta) {
  Prediction x;
  x.comm_seconds = ring_allreduce_seconds(ranks, bytes, alpha, beta);
  x.step_seconds = sequential_step_seconds / ranks + x.comm_seconds;
  x.speedup = sequential_step_seconds / x.step_seconds;
  x.efficiency = x.speedup / ranks;
  return x;
}

}  // namespace gd
