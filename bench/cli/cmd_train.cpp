// gdlab train: train the MLP with one pattern and print per-epoch figures.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>

#include "commands.hpp"
#include "measure/results.hpp"
#include "progress.hpp"
#include "registry.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "train/gemm.hpp"
#include "train/trainer.hpp"
#include "train/weights.hpp"

namespace gd::cli {
namespace {

struct TrainOptions {
  std::string pattern = kSequential;
  int threads = 1;
  std::string data = "synthetic";
  std::string layers;  // empty: a default that fits the data
  std::string activation = "relu";
  std::string loss;  // empty: ce for classification, mse for regression
  int batch = 256;
  int shards = 0;
  int blocks = 1;
  int epochs = 3;
  float lr = 0.05f, momentum = 0.9f, weight_decay = 0.0f;
  std::uint64_t seed = 1;
  long samples = 0, max_steps = 0;
  std::string save, load;
  std::string kernels;  // empty: the build's default backend
};

// --layers given by the user must take the data's features and give its classes (or targets):
// the error says which end is wrong and what would fit, before the weights are allocated.
void check_layers_fit(const std::vector<int>& layers, const Dataset& d) {
  std::string problem;
  if (layers.front() != d.features)
    problem = fmt::format("the data has {} features but the model's input layer is {}", d.features, layers.front());
  else if (layers.back() != d.outputs)
    problem = fmt::format("the data has {} {} but the model's output layer is {}", d.outputs,
                          d.classification ? "classes" : "outputs", layers.back());
  else
    return;
  throw UsageError(fmt::format("--layers {} does not fit {}: {}; --layers {} would fit", layers_string(layers), d.name,
                               problem, layers_fitting(layers, d)));
}

// --save names a file in an existing folder where a file can be created: a temporary file
// beside it is created and removed (save_weights writes one there too). A mistake there is
// reported before the training runs rather than after it.
void check_save_target(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw UsageError("--save " + path + ": is a folder; name a file in it");
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec))
    throw UsageError("--save " + path + ": exists and is not a regular file");
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw UsageError("--save " + path + ": " + parent.string() +
                     (fs::exists(parent, ec) ? " is not a folder" : ": no such folder"));
  std::string probe = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(probe.data());
  if (fd < 0)
    throw UsageError(fmt::format("--save {}: cannot create a file in {} ({})", path,
                                 parent.empty() ? "the current folder" : parent.string(), std::strerror(errno)));
  ::close(fd);
  ::unlink(probe.c_str());
}

// The share of an epoch's wall time the loop spends outside Pattern::step (shuffle,
// bookkeeping, the progress bar), in percent.
double outside_share(const EpochStats& st) {
  return st.seconds > 0 ? 100 * std::max(0.0, st.seconds - st.step_seconds) / st.seconds : 0;
}

void run(const TrainOptions& o) {
  if (o.threads < 1 || o.threads > 256) throw UsageError("--threads must be between 1 and 256");
  if (o.epochs < 1) throw UsageError("--epochs must be at least 1");
  if (!(o.lr > 0) || !std::isfinite(o.lr)) throw UsageError("--lr must be a positive finite number");
  if (!std::isfinite(o.momentum) || o.momentum < 0 || o.momentum >= 1) throw UsageError("--momentum must be in [0, 1)");
  if (!std::isfinite(o.weight_decay) || o.weight_decay < 0)
    throw UsageError("--weight-decay must be a finite number >= 0");
  if (o.batch < 1) throw UsageError("--batch must be at least 1");
  if (o.shards < 0) throw UsageError("--shards must be at least 1 (leave it out for the default, batch/64)");
  if (o.samples < 0 || o.max_steps < 0) throw UsageError("--samples and --max-steps must be >= 0");
  apply_kernels(o.kernels);
  if (o.pattern == kIndependent)
    throw UsageError(
        "'independent' is the matrix's measure of the machine (p sequential copies at once), not a "
        "pattern: train with --pattern sequential, or run gdlab matrix --patterns independent");
  const PatternInfo& info = find_pattern(o.pattern);
  if (!o.save.empty()) check_save_target(o.save);  // before training, not after it
  DataSplit data = load_data(o.data, o.seed);
  truncate(data.train, std::size_t(o.samples));
  if (std::size_t(o.batch) > data.train.size())
    throw UsageError(fmt::format("--batch {} is larger than the {} training samples", o.batch, data.train.size()));

  // The one place "no --shards" becomes a number: everything below sees the real count.
  const int shards = o.shards > 0 ? o.shards : default_shards(o.batch);
  if (shards > o.batch) throw UsageError(fmt::format("--shards {} is more than --batch {}", shards, o.batch));
  std::optional<Model> model;
  if (!o.load.empty()) {
    model.emplace(load_weights(o.load));
    check_step_fits(model->spec.layers, o.batch, shards);
    fmt::print("loaded weights from {} (checksum {})\n", o.load, checksum_hex(model->checksum()));
    if (!o.layers.empty() && parse_layers(o.layers) != model->spec.layers)
      throw UsageError("--layers " + o.layers + " differs from " + layers_string(model->spec.layers) + " in " + o.load);
  } else {
    ModelSpec spec;
    spec.layers = parse_layers(o.layers.empty() ? default_layers(data.train) : o.layers);
    if (!o.layers.empty()) check_layers_fit(spec.layers, data.train);
    spec.activation = parse_activation(o.activation);
    spec.loss = o.loss.empty() ? (data.train.classification ? Loss::softmax_ce : Loss::mse) : parse_loss(o.loss);
    if (!data.train.classification && spec.loss == Loss::softmax_ce)
      throw UsageError(data.train.name + " is regression data: it needs --loss mse");
    check_step_fits(spec.layers, o.batch, shards);  // before the weights are allocated
    model.emplace(spec);
    model->init(o.seed);
  }

  check_blocks(model->spec.layers, o.blocks);
  TrainConfig cfg;
  cfg.batch = o.batch;
  cfg.shards = shards;
  cfg.blocks = o.blocks;
  cfg.hyper = {o.lr, o.momentum, o.weight_decay};
  cfg.seed = o.seed;
  cfg.max_steps = o.max_steps;
  Trainer trainer(*model, data.train, cfg);
  auto pattern = info.make(o.threads);  // threads and pools are created here, before any timing

  fmt::print(
      "train {} on {} ({} train / {} test samples), layers {} {} {}, batch {}, shards {} x blocks {}, "
      "pattern {} with {} thread{}, kernels {}\n",
      model->layout.count, data.train.name, data.train.size(), data.test.size(), layers_string(model->spec.layers),
      to_string(model->spec.activation), to_string(model->spec.loss), o.batch, trainer.shards(), trainer.blocks(),
      info.name, o.threads, o.threads == 1 ? "" : "s", kernel_backend());
  {  // while the epochs run, Ctrl-C stops the training after the current step
    CtrlC ctrl_c;
    for (int e = 1; e <= o.epochs; ++e) {
      Progress bar(fmt::format("epoch {}/{}", e, o.epochs), trainer.steps_per_epoch());
      EpochStats st = trainer.epoch(
          *pattern, [&](long done, long) { bar.update(done); }, [] { return CtrlC::pressed(); });
      bar.finish();
      if (st.interrupted) {
        fmt::print("interrupted in epoch {} after {} steps: threads stopped, nothing saved\n", e, st.steps);
        throw Interrupted();
      }
      Evaluation test = trainer.evaluate(data.test);
      if (data.train.classification)
        fmt::print(
            "epoch {}/{}  loss {:.4f}  train {:.2f}%  test {:.2f}%  {:.2f} s  {:.0f} samples/s  {:.1f}% outside "
            "the step\n",
            e, o.epochs, st.loss, 100 * st.train_accuracy, 100 * test.accuracy, st.seconds, st.samples_per_second,
            outside_share(st));
      else
        fmt::print("epoch {}/{}  loss {:.5f}  test loss {:.5f}  {:.2f} s  {:.0f} samples/s  {:.1f}% outside the step\n",
                   e, o.epochs, st.loss, test.loss, st.seconds, st.samples_per_second, outside_share(st));
      std::fflush(stdout);
    }
  }
  fmt::print("weights checksum {}\n", checksum_hex(model->checksum()));
  if (!o.save.empty()) {
    save_weights(o.save, *model);
    fmt::print("saved weights to {}\n", o.save);
  }
}

}  // namespace

void add_train(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  auto* cmd =
      app.add_subcommand("train", "Train the MLP with one concurrency pattern; print loss, accuracy, time per epoch");
  cmd->add_option("--pattern,-m", o->pattern, "Concurrency pattern (see 'gdlab patterns')")->capture_default_str();
  cmd->add_option("--threads,-t", o->threads, "Worker threads the pattern uses")->capture_default_str();
  cmd->add_option("--data", o->data, "synthetic | xor | spirals | linear | fashion-mnist | FOLDER of IDX files")
      ->capture_default_str();
  cmd->add_option("--layers", o->layers, "Layer sizes, input first, e.g. 784-256-128-10 (default fits the data)")
      ->check(kNotEmpty);
  cmd->add_option("--activation", o->activation, "Hidden activation: relu | tanh | sigmoid")->capture_default_str();
  cmd->add_option("--loss", o->loss, "ce (softmax cross-entropy) | mse (default: ce, or mse for regression data)")
      ->check(kNotEmpty);
  cmd->add_option("--batch", o->batch, "Mini-batch size")->capture_default_str();
  cmd->add_option("--shards", o->shards, "Shards per batch (fixes the summation order; default batch/64, at least 1)");
  cmd->add_option("--blocks", o->blocks,
                  "Neuron blocks per layer, the model-parallel axis (fixes the operations like --shards; "
                  "at most the narrowest layer's neurons)")
      ->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "Epochs")->capture_default_str();
  cmd->add_option("--lr", o->lr, "Learning rate")->capture_default_str();
  cmd->add_option("--momentum", o->momentum, "Momentum")->capture_default_str();
  cmd->add_option("--weight-decay", o->weight_decay, "L2 weight decay")->capture_default_str();
  add_kernels_option(cmd, &o->kernels);
  cmd->add_option("--seed", o->seed, "Seed for data, initial weights and shuffling")
      ->check(seed_range(std::numeric_limits<std::uint64_t>::max()))
      ->capture_default_str();
  cmd->add_option("--samples", o->samples, "Use only the first N training samples (0: all)")->capture_default_str();
  cmd->add_option("--max-steps", o->max_steps, "Stop each epoch after N steps (0: whole epoch)")->capture_default_str();
  cmd->add_option("--save", o->save, "Write the trained weights to FILE (format: shared/train/weights.hpp)")
      ->check(kNotEmpty);
  cmd->add_option("--load", o->load, "Start from the weights in FILE instead of a fresh initialisation")
      ->check(kNotEmpty);
  cmd->callback([o] { run(*o); });
}

}  // namespace gd::cli
