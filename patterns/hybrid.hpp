// The plan of the hybrid pattern (hybrid.cpp): which shards and which neuron blocks each
// of its p threads runs. Public so that a test can check it for every p.
#pragma once
#include <utility>
#include <vector>

namespace gd {

struct HybridShare {
  int group = 0;               // the thread's group
  int rank = 0;                // its place in the group, 0 .. group_size - 1
  int group_size = 1;          // threads in the group
  std::pair<int, int> shards;  // the group's shards: [first, first + count)
  std::pair<int, int> blocks;  // the thread's blocks in every layer: [first, first + count)
};

// min(shards, p) groups of consecutive threads, as equal in size as can be; group g takes
// its block of the shards, and each of its threads a block of the neuron blocks. Every
// one of p threads has shards and blocks to run when p <= shards x blocks.
std::vector<HybridShare> hybrid_plan(int shards, int blocks, int p);

}  // namespace gd
