// Lesson 01: where the time of one sequential step goes.
// Runs the step of shared/train/step.hpp phase by phase on one thread and times each phase.
//   lesson_01_demo [--quick]
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <numeric>
#include <vector>

#include "lesson.hpp"
#include "train/step.hpp"

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int batch = 256, shards = 4, steps = quick ? 5 : 40;
  gd::DataSplit data = gd::make_synthetic(1, 4096, 16);
  gd::Model model(gd::ModelSpec{{784, 256, 128, 10}});
  model.init(1);
  gd::Step step(model, data.train, batch, shards, gd::Hyper{});
  std::vector<int> order(data.train.size());
  std::iota(order.begin(), order.end(), 0);

  using clock = std::chrono::steady_clock;
  double t_map = 0, t_combine = 0, t_update = 0;
  const int warmup = 2;
  for (int i = 0; i < warmup + steps; ++i) {
    step.prepare(&order[(i * batch) % (int(order.size()) - batch)], batch);
    auto t0 = clock::now();
    for (int s = 0; s < step.shards(); ++s) step.run_shard(s);
    auto t1 = clock::now();
    for (int k = 0; k < step.slices(); ++k) step.combine_slice(k);
    auto t2 = clock::now();
    for (int k = 0; k < step.slices(); ++k) step.update_slice(k);
    auto t3 = clock::now();
    if (i < warmup) continue;  // first touches of memory, not the steady state
    t_map += std::chrono::duration<double>(t1 - t0).count();
    t_combine += std::chrono::duration<double>(t2 - t1).count();
    t_update += std::chrono::duration<double>(t3 - t2).count();
  }
  const double total = t_map + t_combine + t_update;
  fmt::print("model 784-256-128-10 ({} parameters), batch {}, {} shards, {} slices, {} steps\n", model.layout.count,
             batch, shards, step.slices(), steps);
  fmt::print("  map     (forward + backward) {:8.3f} ms/step  {:5.1f}%\n", 1e3 * t_map / steps, 100 * t_map / total);
  fmt::print("  combine (sum of {} shards)    {:8.3f} ms/step  {:5.1f}%\n", shards, 1e3 * t_combine / steps,
             100 * t_combine / total);
  fmt::print("  update  (momentum SGD)       {:8.3f} ms/step  {:5.1f}%\n", 1e3 * t_update / steps,
             100 * t_update / total);
  fmt::print("  whole step                   {:8.3f} ms/step  = {:.0f} samples/s on one thread\n", 1e3 * total / steps,
             batch * steps / total);
  fmt::print("  loss of the last batch: {:.4f}\n", step.totals().loss / batch);
}
