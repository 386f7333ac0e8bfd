// Lesson 16: data versus model parallelism. Two things, neither of them a timing:
//   1. what the model of the README predicts one step moves between cores on each axis,
//      for 784-256-128-10 at p = 2, and the batch where the two are equal;
//   2. the weights' checksum after a few steps for several (shards, blocks), trained by
//      sequential and by patterns that split shards or blocks among 1 or 2 threads, on
//      every kernel backend this build has.
//   lesson_16_demo [--quick]
#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "lesson.hpp"
#include "registry.hpp"
#include "train/data.hpp"
#include "train/gemm.hpp"
#include "train/model.hpp"
#include "train/trainer.hpp"

namespace {

// Data parallelism, p threads, each with its block of shards folded (step.hpp): the
// slice owners read the other p - 1 threads' gradients, and every core reads the
// updated weights at the next step.
double data_floats(const std::vector<int>& layers, int p) { return 2.0 * (p - 1) * double(gd::Layout(layers).count); }

// Model parallelism, p threads, every layer cut into blocks: after each barrier every
// thread reads what the others wrote in the phase before. The widths that cross: the
// input (gathered by blocks of columns), every hidden layer twice (its activations
// forward, its deltas backward), the output twice (logits, then the loss's deltas).
// The input layer gets no deltas.
int crossing_widths(const std::vector<int>& layers) {
  int w = layers.front() + 2 * layers.back();
  for (std::size_t l = 1; l + 1 < layers.size(); ++l) w += 2 * layers[l];
  return w;
}
double model_floats(const std::vector<int>& layers, int batch, int p) {
  return double(p - 1) * batch * crossing_widths(layers);
}

std::uint64_t train(const gd::DataSplit& data, const std::string& pattern, int threads, int shards, int blocks,
                    long steps) {
  gd::Model model(gd::ModelSpec{{784, 256, 128, 10}});
  model.init(1);
  gd::TrainConfig cfg;
  cfg.batch = 64;
  cfg.shards = shards;
  cfg.blocks = blocks;
  cfg.max_steps = steps;
  auto p = gd::find_pattern(pattern).make(threads);
  {
    gd::Trainer trainer(model, data.train, cfg);
    trainer.epoch(*p);
  }
  return model.checksum();
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const long steps = quick ? 2 : 5;

  const std::vector<int> layers{784, 256, 128, 10};
  const int p = 2;
  fmt::print("What crosses between cores per step, the README's model: {}, P = {} parameters, p = {}\n",
             gd::layers_string(layers), gd::Layout(layers).count, p);
  fmt::print("  data parallelism   2(p-1) P            = {:>9.0f} floats at every batch\n", data_floats(layers, p));
  fmt::print("  model parallelism  (p-1) batch x {}  (widths {} + 2x({} + {}) + 2x{})\n", crossing_widths(layers),
             layers[0], layers[1], layers[2], layers[3]);
  for (int batch : {16, 64, 256, 1024})
    fmt::print("    batch {:>4}                           = {:>9.0f} floats\n", batch, model_floats(layers, batch, p));
  fmt::print("  equal at batch 2P / {} = {:.0f}\n\n", crossing_widths(layers),
             data_floats(layers, p) / double(crossing_widths(layers)));

  gd::DataSplit data = gd::make_synthetic(3, 1024, 16);
  struct Run {
    const char* pattern;
    int threads;
  };
  const std::vector<Run> runs{{"model_parallel", 1}, {"model_parallel", 2}, {"hybrid", 2}, {"openmp", 2}};
  const gd::Kernels configured = gd::kernels();
  for (gd::Kernels k : gd::available_kernels()) {
    gd::use_kernels(k);
    fmt::print("Checksums of the weights after {} steps, batch 64, {}\n", steps, gd::kernel_backend());
    fmt::print("  shards blocks  sequential        ");
    for (const Run& r : runs) fmt::print(" {:>14} p={}", r.pattern, r.threads);
    fmt::print("   sequential vs 1 block\n");
    for (int shards : {1, 2}) {
      std::uint64_t one_block = 0;
      for (int blocks : {1, 2, 3, 4}) {
        const std::uint64_t seq = train(data, "sequential", 1, shards, blocks, steps);
        if (blocks == 1) one_block = seq;
        fmt::print("  {:>6} {:>6}  {}", shards, blocks, gd::checksum_hex(seq));
        for (const Run& r : runs) {
          const std::uint64_t got = train(data, r.pattern, r.threads, shards, blocks, steps);
          fmt::print(" {:>18}", got == seq ? "same" : "DIFFERENT");
        }
        fmt::print("   {}\n", blocks == 1 ? "-" : seq == one_block ? "same bits" : "other bits");
      }
    }
    fmt::print("\n");
  }
  gd::use_kernels(configured);
}
