// Lesson 03, reference solution: each shard stays in its own buffer (no lock needed),
// and once every thread is joined the slices are combined by the step's fixed tree.
#include <thread>
#include <vector>

#include "exercise.hpp"

void ordered_step(gd::Step& step, int threads) {
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        for (int s = t; s < step.shards(); s += threads) step.run_shard(s);
      });
  }  // joined: every shard gradient is complete
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        for (int k = t; k < step.slices(); k += threads) {
          step.combine_slice(k);  // shard 0 + 1 + ... in that order, whoever finished first
          step.update_slice(k);
        }
      });
  }
}
