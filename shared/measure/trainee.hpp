// A model and its step, fed batches from a fixed sample order: what every timed training
// loop steps, in the matrix (matrix.cpp) and in bench_step. Building one allocates the
// weights and the step's buffers, which is set-up: do it before any clock starts.
#pragma once
#include <cstdint>
#include <vector>

#include "train/data.hpp"
#include "train/model.hpp"
#include "train/pattern.hpp"
#include "train/step.hpp"

namespace gd {

struct Trainee {
  // The weights start from `seed`. Step k trains on the (k mod runs)-th run of `batch`
  // indices of `order`, where runs = order.size() / batch full batches.
  Trainee(const ModelSpec& spec, std::uint64_t seed, const Dataset& train, std::vector<int> order, int batch,
          int shards, Hyper hyper = {}, int blocks = 1);

  // Gathers the next batch into the step (after the last full batch, the first again).
  void prepare_next();
  // prepare_next, then one step run by `pattern`; returns the step's summed loss.
  double run_step(Pattern& pattern);

  Model model;
  Step step;
  const std::vector<int> order;
  const int batch;
  long next = 0;  // steps prepared so far
};

// 0, 1, ..., n - 1 shuffled from `seed`: a sample order for a Trainee.
std::vector<int> shuffled_order(std::size_t n, std::uint64_t seed);

}  // namespace gd
