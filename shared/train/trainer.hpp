// The training loop: epochs of shuffled mini-batches, each batch one Step run by a
// Pattern. The trainer knows no scheduler; it only calls Pattern::step.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "train/data.hpp"
#include "train/model.hpp"
#include "train/pattern.hpp"
#include "train/step.hpp"

namespace gd {

struct TrainConfig {
  int batch = 256;
  int shards = 4;  // a real count, 1..batch (default_shards(batch) is the usual one)
  int blocks = 1;  // neuron blocks per layer, 1..max_blocks(layers)
  Hyper hyper;
  std::uint64_t seed = 1;
  long max_steps = 0;  // per epoch; 0: the whole epoch
};

struct Evaluation {
  double loss = 0;      // mean per sample
  double accuracy = 0;  // fraction, classification (or argmax match for regression with >1 output)
};

struct EpochStats {
  int epoch = 0;
  long steps = 0;
  long samples = 0;
  double loss = 0;  // mean training loss over the epoch's steps
  double train_accuracy = 0;
  Evaluation test;
  bool has_test = false;
  double seconds = 0;       // wall time of the epoch: shuffle and steps, no evaluation
  double step_seconds = 0;  // of that, inside Pattern::step; the rest is the loop's own work
  double samples_per_second = 0;
  bool interrupted = false;  // stop() asked to end the epoch early
};

class Trainer {
 public:
  // The model must be initialised already; the data must outlive the trainer.
  Trainer(Model& model, const Dataset& train, TrainConfig cfg);

  // One epoch. progress(done, total) is called after every step; when stop() returns
  // true after a step, the epoch ends there (a whole step is never cut in half).
  EpochStats epoch(Pattern& pattern, const std::function<void(long, long)>& progress = {},
                   const std::function<bool()>& stop = {});
  Evaluation evaluate(const Dataset& data) const;
  Step& step() { return step_; }
  int shards() const { return step_.shards(); }
  int blocks() const { return step_.blocks(); }
  long steps_per_epoch() const;

 private:
  Model& model_;
  const Dataset& train_;
  TrainConfig cfg_;
  Step step_;
  std::vector<int> order_;
  int epoch_ = 0;
};

// Fisher-Yates with the generator's raw bits: the same order on every platform.
void shuffle_indices(std::vector<int>& v, std::uint64_t seed);

}  // namespace gd
