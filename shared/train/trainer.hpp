// The training loop: epochs of shuffled mini-batches, each batch one Step run by a
// Pattern. The trainer knows no scheduler; it only calls Pattern::step.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "train/batches.hpp"
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
  // Batch preparation (batches.hpp): the augmentation of each image, and how many batches
  // a producer thread prepares ahead of the step (0: the trainer's thread prepares each
  // batch before its step). Neither changes which samples a batch holds.
  Augment augment = Augment::none;
  int prefetch = 0;
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
  // Preparing the batches (gather and augmentation, when they are a stage of their own): on
  // the trainer's thread, inside `seconds`, or with prefetch on the producer's, beside it.
  double prepare_seconds = 0;
  double samples_per_second = 0;
  bool interrupted = false;  // stop() asked to end the epoch early
};

// The loss and accuracy of `model` on `data`, forward passes only. It reads nothing but its
// arguments, so it may run on a snapshot of the weights while the trainer trains on.
Evaluation evaluate(const Model& model, const Dataset& data);

class Trainer {
 public:
  // The model must be initialised already; the data must outlive the trainer.
  Trainer(Model& model, const Dataset& train, TrainConfig cfg);

  // One epoch. progress(done, total) is called after every step; when stop() returns
  // true after a step, the epoch ends there (a whole step is never cut in half).
  EpochStats epoch(Pattern& pattern, const std::function<void(long, long)>& progress = {},
                   const std::function<bool()>& stop = {});
  Evaluation evaluate(const Dataset& data) const { return gd::evaluate(model_, data); }
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
  std::vector<int> in_batch_;  // 0, 1, ..., batch - 1: the samples of a prepared batch, in order
  Dataset prepared_;           // the batch the trainer's thread prepared (augment without prefetch)
  int epoch_ = 0;
};

// Fisher-Yates with the generator's raw bits: the same order on every platform.
void shuffle_indices(std::vector<int>& v, std::uint64_t seed);

}  // namespace gd
