// A small training set-up for the lessons that train: a problem and the checksum of the
// weights after a few steps of a pattern.
#pragma once
#include <cstdint>
#include <functional>

#include "lesson.hpp"
#include "train/data.hpp"
#include "train/model.hpp"
#include "train/pattern.hpp"
#include "train/trainer.hpp"

namespace lesson {

// A small, fast training problem: 784-128-10 on 2048 synthetic samples, batch 256.
struct Problem {
  gd::DataSplit data = gd::make_synthetic(7, 2048, 16);
  gd::ModelSpec spec{{784, 128, 10}};
};

// Trains `steps` steps from seed 1 with `pattern`. `setup` may change the step before
// training (e.g. inject a Fault). Returns the epoch's statistics; the model is `model`.
inline gd::EpochStats train(const Problem& pb, gd::Model& model, gd::Pattern& pattern, long steps, int shards = 4,
                            const std::function<void(gd::Step&)>& setup = {}) {
  model.init(1);
  gd::TrainConfig cfg;
  cfg.batch = 256;
  cfg.shards = shards;
  cfg.max_steps = steps;
  gd::Trainer trainer(model, pb.data.train, cfg);
  if (setup) setup(trainer.step());
  return trainer.epoch(pattern);
}

// The weights' checksum after `steps` steps.
inline std::uint64_t train_checksum(const Problem& pb, gd::Pattern& pattern, long steps, int shards = 4,
                                    const std::function<void(gd::Step&)>& setup = {}) {
  gd::Model model(pb.spec);
  train(pb, model, pattern, steps, shards, setup);
  return model.checksum();
}

// Milliseconds per step, the steps alone (set-up and evaluation excluded).
// A first, untimed run warms the pattern's threads and the process's memory, so the
// pattern measured first does not pay for page faults the second one is spared.
inline double ms_per_step(const Problem& pb, gd::Pattern& pattern, long steps, int shards = 4,
                          const std::function<void(gd::Step&)>& setup = {}) {
  gd::Model warm(pb.spec);
  train(pb, warm, pattern, 3, shards, setup);
  gd::Model model(pb.spec);
  const auto stats = train(pb, model, pattern, steps, shards, setup);
  return 1e3 * stats.seconds / double(stats.steps);
}

}  // namespace lesson
