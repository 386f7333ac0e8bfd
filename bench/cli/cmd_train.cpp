// gdlab train: train the MLP with one pattern and print per-epoch figures.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <limits>
#include <optional>
#include <thread>

#include "commands.hpp"
#include "measure/results.hpp"
#include "progress.hpp"
#include "ranks/ranks.hpp"
#include "registry.hpp"
#include "train/cpus.hpp"
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
  std::optional<int> ranks;  // MPI processes (the rank patterns)
  std::string inner;         // the thread pattern inside each rank; "": the rank's own threads
  std::string data = "synthetic";
  std::string layers;  // empty: a default that fits the data
  std::string activation = "relu";
  std::string loss;  // empty: ce for classification, mse for regression
  int batch = 256;
  int shards = 0;
  int blocks = 1;
  int prefetch = 0;  // batches a producer thread prepares ahead; 0: no pipeline
  std::string augment = "none";
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

// The time spent preparing the batches, when that is a stage of its own (--augment, --prefetch).
std::string preparing(const EpochStats& st) {
  return st.prepare_seconds > 0 ? fmt::format("  {:.2f} s preparing batches", st.prepare_seconds) : "";
}

// The MPI patterns: which rank this process is, and whether it is the launcher (the
// `gdlab train --ranks N` a user typed, which starts mpirun) or one of the ranks mpirun
// started with the same command line.
struct Job {
  bool ranks = false;     // a rank pattern was asked for
  bool launcher = false;  // ... and this process starts them
  int rank = 0;           // in a rank: its number (only rank 0 prints, evaluates and saves)
};

Job plan_job(const TrainOptions& o) {
  Job job;
  job.ranks = is_rank_pattern(o.pattern);
  if (o.ranks && (*o.ranks < 1 || *o.ranks > 256)) throw UsageError("--ranks must be between 1 and 256");
  if (!job.ranks) {
    if (!o.inner.empty())
      throw UsageError(
          fmt::format("--inner is for the patterns whose workers are processes (mpi, mpi_allreduce), "
                      "not {}",
                      o.pattern));
    if (o.ranks)
      throw UsageError(
          fmt::format("--ranks is for the patterns whose workers are processes (mpi, mpi_allreduce), "
                      "not {}: use --threads",
                      o.pattern));
    return job;
  }
  if (!o.ranks) throw UsageError(fmt::format("--pattern {} runs as MPI ranks: give --ranks N", o.pattern));
  if (!o.inner.empty()) find_inner_pattern(o.inner);  // one that can run inside a rank, or a UsageError
  job.launcher = !ranks::launched_by_mpirun();
  job.rank = ranks::rank_from_environment();
  if (job.launcher) ranks::mpirun_or_usage_error();
  return job;
}

// The launcher's part: the same command again as `ranks` processes under mpirun. Their
// output comes through mpirun; a rank's failure makes mpirun end them all and exit non-zero.
void launch(const TrainOptions& o) {
  std::vector<std::string> args = program_args();
  args[0] = std::filesystem::read_symlink("/proc/self/exe").string();
  const auto cmd = ranks::mpirun_command(ranks::mpirun_or_usage_error(), *o.ranks, o.threads, available_cpus(), args);
  CtrlC ctrl_c;  // Ctrl-C reaches mpirun too, which stops every rank
  const int status = ranks::run_job(cmd, [] { return CtrlC::pressed(); });
  if (CtrlC::pressed() && status != 0) {  // a job that ended well before Ctrl-C reached it saved its weights
    fmt::print("interrupted: every rank stopped, nothing saved\n");
    throw Interrupted();
  }
  if (status != 0)
    throw std::runtime_error(
        fmt::format("the MPI job failed (mpirun exited with status {}); the failing rank is "
                    "named above",
                    status));
}

// Test hook for the MPI faults (tests/test_mpi.cpp): GDLAB_RANK_FAULT=R:K:throw makes rank R's
// first shard throw in step K; R:K:kill makes rank R kill itself (SIGKILL) after step K.
struct RankFault {
  int rank = -1;
  long step = -1;
  bool kill = false;
};
RankFault rank_fault() {
  RankFault f;
  const char* v = std::getenv("GDLAB_RANK_FAULT");
  char how[16] = {};
  if (v && std::sscanf(v, "%d:%ld:%15s", &f.rank, &f.step, how) == 3) f.kill = std::string(how) == "kill";
  return f;
}

void run(const TrainOptions& o) {
  if (o.threads < 1 || o.threads > 256) throw UsageError("--threads must be between 1 and 256");
  const Job job = plan_job(o);
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
  cfg.prefetch = o.prefetch;
  cfg.augment = parse_augment(o.augment);
  Trainer trainer(*model, data.train, cfg);
  if (job.launcher) return launch(o);  // every check above has passed: start the ranks
  if (job.ranks) {                     // a rank: run_or_abort_job has started MPI
    const int size = ranks::current_session()->size();
    if (size != *o.ranks) throw UsageError(fmt::format("--ranks {} but mpirun started {} ranks", *o.ranks, size));
    // Only rank 0 speaks; the others' output would repeat it.
    if (job.rank != 0 && !std::freopen("/dev/null", "w", stdout)) throw std::runtime_error("cannot silence a rank");
  }
  auto pattern = info.make(o.threads);  // threads and pools are created here, before any timing
  const RankFault fault = job.ranks ? rank_fault() : RankFault{};
  if (fault.rank == job.rank && !fault.kill) {
    trainer.step().fault.kind = Fault::Kind::throw_error;
    trainer.step().fault.shard = trainer.step().shard_block(job.rank * o.threads, *o.ranks * o.threads).first;
    trainer.step().fault.at_step = fault.step;
  }

  fmt::print(
      "train {} on {} ({} train / {} test samples), layers {} {} {}, batch {}, shards {} x blocks {}, "
      "pattern {} with {} thread{}, kernels {}\n",
      model->layout.count, data.train.name, data.train.size(), data.test.size(), layers_string(model->spec.layers),
      to_string(model->spec.activation), to_string(model->spec.loss), o.batch, trainer.shards(), trainer.blocks(),
      info.name, o.threads, o.threads == 1 ? "" : "s", kernel_backend());
  if (job.ranks)
    fmt::print("{} ranks x {} thread{} (mpirun), {}\n", *o.ranks, o.threads, o.threads == 1 ? "" : "s",
               o.inner.empty() ? "each rank's own threads" : o.inner + " inside each rank");
  // The pipeline: a producer thread prepares the batches, and each epoch's test evaluation
  // runs on a snapshot of the weights while the next epoch trains; both count in p.
  const bool pipeline = o.prefetch > 0;
  if (pipeline) {
    const int ranks = job.ranks ? *o.ranks : 1;
    const int p = ranks * (o.threads + 1) + 1;  // every rank's threads and producer, rank 0's evaluator
    // A rank may be bound to its own cores: the job has those of every rank, at most the machine's.
    const int cpus = job.ranks
                         ? std::min(ranks * available_cpus(), int(std::max(1u, std::thread::hardware_concurrency())))
                         : available_cpus();
    fmt::print(
        "pipeline: a producer thread prepares batches {} ahead (augment {}), the test set is evaluated beside "
        "the next epoch: p = {} threads{}\n",
        o.prefetch, o.augment, p, p > cpus ? fmt::format(" on {} CPUs, oversubscribed", cpus) : "");
  }
  auto report = [&](int e, const EpochStats& st, const Evaluation& test) {
    if (data.train.classification)
      fmt::print(
          "epoch {}/{}  loss {:.4f}  train {:.2f}%  test {:.2f}%  {:.2f} s  {:.0f} samples/s  {:.1f}% outside "
          "the step{}\n",
          e, o.epochs, st.loss, 100 * st.train_accuracy, 100 * test.accuracy, st.seconds, st.samples_per_second,
          outside_share(st), preparing(st));
    else
      fmt::print("epoch {}/{}  loss {:.5f}  test loss {:.5f}  {:.2f} s  {:.0f} samples/s  {:.1f}% outside the step{}\n",
                 e, o.epochs, st.loss, test.loss, st.seconds, st.samples_per_second, outside_share(st), preparing(st));
    std::fflush(stdout);
  };
  {  // while the epochs run, Ctrl-C stops the training after the current step
    // Ranks take no Ctrl-C of their own: each would stop after a different step and leave
    // the others waiting for it. mpirun stops them all, and the launcher reports it.
    std::optional<CtrlC> ctrl_c;
    if (!job.ranks) ctrl_c.emplace();
    struct Evaluating {  // an epoch whose test evaluation runs on a snapshot of its weights
      int epoch;
      EpochStats stats;
      std::future<Evaluation> test;
    };
    std::optional<Evaluating> evaluating;  // its future waits for the evaluation when it goes
    long steps_done = 0;
    for (int e = 1; e <= o.epochs; ++e) {
      Progress bar(fmt::format("epoch {}/{}", e, o.epochs), trainer.steps_per_epoch());
      EpochStats st = trainer.epoch(
          *pattern,
          [&](long done, long) {
            bar.update(done);
            if (fault.kill && fault.rank == job.rank && ++steps_done == fault.step) ::raise(SIGKILL);
          },
          [] { return CtrlC::pressed(); });
      bar.finish();
      if (st.interrupted) {
        fmt::print("interrupted in epoch {} after {} steps: threads stopped, nothing saved\n", e, st.steps);
        throw Interrupted();
      }
      if (job.rank != 0) continue;  // rank 0 evaluates and prints for the job
      if (!pipeline) {
        report(e, st, trainer.evaluate(data.test));
        continue;
      }
      // The previous epoch's evaluation has run beside this epoch: its line comes now.
      if (evaluating) report(evaluating->epoch, evaluating->stats, evaluating->test.get());
      evaluating.emplace(Evaluating{
          e, st, std::async(std::launch::async, [&data, snapshot = *model] { return evaluate(snapshot, data.test); })});
    }
    if (evaluating) report(evaluating->epoch, evaluating->stats, evaluating->test.get());
  }
  fmt::print("weights checksum {}\n", checksum_hex(model->checksum()));
  if (!o.save.empty() && job.rank == 0) {  // every rank holds the same weights: one writes them
    save_weights(o.save, *model);
    fmt::print("saved weights to {}\n", o.save);
  }
}

}  // namespace

// In a rank, a failure ends the whole job at once, named by the rank: the other ranks
// would otherwise wait for this one's messages forever.
void run_or_abort_job(const TrainOptions& o) {
  if (!is_rank_pattern(o.pattern) || !ranks::launched_by_mpirun()) return run(o);
  // Outside the try: a failure must end the job with MPI_Abort before the session's
  // MPI_Finalize, which would wait for every other rank, could run.
  ranks::Session session;
  session.set_inner(o.inner);  // the rank pattern's constructor reads it
  try {
    run(o);
  } catch (const UsageError& e) {
    ranks::abort_job(e.what(), 2);
  } catch (const std::exception& e) {
    ranks::abort_job(e.what(), 1);
  }
}

void add_train(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  auto* cmd =
      app.add_subcommand("train", "Train the MLP with one concurrency pattern; print loss, accuracy, time per epoch");
  cmd->add_option("--pattern,-m", o->pattern, "Concurrency pattern (see 'gdlab patterns')")->capture_default_str();
  cmd->add_option("--threads,-t", o->threads, "Worker threads the pattern uses (per rank with --ranks)")
      ->capture_default_str();
  cmd->add_option("--ranks", o->ranks,
                  "MPI processes for --pattern mpi or mpi_allreduce: gdlab starts them with mpirun (Open MPI)");
  cmd->add_option("--inner", o->inner,
                  "With --ranks: the thread pattern that runs each rank's shards on its --threads, e.g. openmp "
                  "(default: threads the rank starts for each step)")
      ->check(kNotEmpty);
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
  cmd->add_option("--prefetch", o->prefetch,
                  "Batches a producer thread prepares ahead of the step, 0-1024; with it the test set is "
                  "evaluated beside the next epoch (0: no pipeline)")
      ->capture_default_str();
  cmd->add_option("--augment", o->augment,
                  "Random change to each training image: none | shift (up to 2 pixels) | affine (up to 15 degrees, "
                  "scale 0.9-1.1)")
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
  cmd->callback([o] { run_or_abort_job(*o); });
}

}  // namespace gd::cli
