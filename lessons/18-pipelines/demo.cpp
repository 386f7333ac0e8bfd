// Lesson 18: when overlapping the batch preparation with the training pays. For each
// augmentation (none, shift, affine) it trains epochs of 784-256-128-10 at batch 256 with
// the sequential pattern, twice: with the trainer's thread preparing each batch before
// its step, and with a producer thread preparing them 4 ahead (--prefetch 4). The first
// gives T_prepare and T_train, each measured alone (the epoch's preparation, and its
// steps); the second, the pipelined epoch, whose floor is max(T_prepare, T_train).
// Medians of interleaved repetitions; every run's weights are checked to be the same.
//   lesson_18_demo [--quick]   (quick: 4096 synthetic samples; else Fashion-MNIST if
//                               installed, else 60000 synthetic samples)
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "lesson.hpp"
#include "registry.hpp"
#include "train/batches.hpp"
#include "train/data.hpp"
#include "train/trainer.hpp"

namespace {

struct Run {
  double epoch = 0, prepare = 0, train = 0;
  std::uint64_t checksum = 0;
};

// One epoch from the same initial weights.
Run epoch(const gd::DataSplit& data, gd::Augment augment, int prefetch) {
  gd::Model model({{784, 256, 128, 10}});
  model.init(1);
  gd::TrainConfig cfg;
  cfg.batch = 256;
  cfg.shards = gd::default_shards(256);
  cfg.augment = augment;
  cfg.prefetch = prefetch;
  gd::Trainer trainer(model, data.train, cfg);
  auto pattern = gd::find_pattern("sequential").make(1);
  const gd::EpochStats st = trainer.epoch(*pattern);
  return {st.seconds, st.prepare_seconds, st.step_seconds, model.checksum()};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int reps = quick ? 1 : 3;
  gd::DataSplit data;
  if (!quick && std::filesystem::exists(gd::kFashionMnistDir))
    data = gd::load_data("fashion-mnist", 1);
  else
    data = gd::make_synthetic(1, quick ? 4096 : 60000, 16);
  fmt::print("lesson 18: batch preparation beside the training, {} ({} samples), 784-256-128-10, batch 256,\n",
             data.train.name, data.train.size());
  fmt::print(
      "sequential; the pipeline's producer prepares 4 batches ahead; medians of {} interleaved epochs, {} CPUs\n\n",
      reps, std::thread::hardware_concurrency());
  fmt::print("{:<8} {:>11} {:>11} {:>14} {:>13} {:>16}  {}\n", "augment", "T_prepare s", "T_train s", "one thread s",
             "pipelined s", "pipelined/floor", "weights");
  bool same = true;
  for (gd::Augment a : {gd::Augment::none, gd::Augment::shift, gd::Augment::affine}) {
    std::vector<double> prep, train, serial, piped;
    std::uint64_t checksum = 0;
    bool agree = true;
    for (int r = 0; r < reps; ++r) {
      const Run s = epoch(data, a, 0), p = epoch(data, a, 4);
      prep.push_back(s.prepare);
      train.push_back(s.train);
      serial.push_back(s.epoch);
      piped.push_back(p.epoch);
      agree = agree && s.checksum == p.checksum && (r == 0 || s.checksum == checksum);
      checksum = s.checksum;
    }
    same = same && agree;
    // Without augmentation the step gathers its samples itself: there is no stage to time.
    const double floor = std::max(median(prep), median(train));
    fmt::print("{:<8} {:>11.3f} {:>11.3f} {:>14.3f} {:>13.3f} {:>16.2f}  {}\n", gd::to_string(a), median(prep),
               median(train), median(serial), median(piped), median(piped) / floor,
               agree ? "the same with and without the pipeline" : "DIFFER");
  }
  fmt::print(
      "\nT_prepare: the epoch's batches prepared by the trainer's thread (0 without augmentation: the step\n"
      "gathers its samples itself); T_train: the epoch's steps. The floor is max(T_prepare, T_train): with\n"
      "a second core, the pipelined epoch takes about the longer stage, not the sum.\n");
  return same ? 0 : 1;
}
