// Lesson 16, reference solution: the remainder rows go one each to the first blocks, as
// gd::block_rows does; the caller and p - 1 threads each run their blocks of a layer, and
// a std::barrier of p ends every layer, as patterns/model_parallel.cpp ends every phase.
#include <algorithm>
#include <barrier>
#include <thread>

#include "exercise.hpp"

std::pair<int, int> split_rows(int rows, int blocks, int j) {
  const int base = rows / blocks, extra = rows % blocks;
  return {j * base + std::min(j, extra), base + (j < extra ? 1 : 0)};
}

void forward_blocks(const std::vector<Layer>& layers, const std::vector<float*>& acts, int n, int blocks, int p) {
  std::barrier<> layer_done(p);
  auto share = [&](int t) {
    const auto [first, count] = split_rows(blocks, p, t);  // thread t's blocks, the same in every layer
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const Layer& layer = layers[l];
      for (int j = first; j < first + count; ++j) {
        const auto [r, rows] = split_rows(layer.out, blocks, j);
        for (int c = 0; c < n; ++c)
          for (int i = r; i < r + rows; ++i) acts[l + 1][std::size_t(c) * layer.out + i] = neuron(layer, acts[l], i, c);
      }
      layer_done.arrive_and_wait();  // layer l is complete before anyone reads it
    }
  };
  std::vector<std::jthread> threads;
  for (int t = 1; t < p; ++t) threads.emplace_back(share, t);
  share(0);  // the caller is thread 0; the jthreads join when the vector goes
}
