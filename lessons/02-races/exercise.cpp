// Lesson 02 exercise. Several threads call add_shard at the same time: make it safe,
// so that `./gdlab check 02` passes (no update lost, no access without the lock).
#include "exercise.hpp"

void add_shard(SharedGradient& g, const std::vector<float>& shard) {
  float* v = g.values();
  for (std::size_t i = 0; i < shard.size(); ++i) v[i] += shard[i];
}
