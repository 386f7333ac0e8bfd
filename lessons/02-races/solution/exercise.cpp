// Lesson 02, reference solution: hold the gradient's mutex while adding into it.
#include "exercise.hpp"

void add_shard(SharedGradient& g, const std::vector<float>& shard) {
  std::lock_guard lock(g.mutex);
  float* v = g.values();
  for (std::size_t i = 0; i < shard.size(); ++i) v[i] += shard[i];
}
