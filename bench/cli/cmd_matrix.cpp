// gdlab matrix: every pattern x thread count x batch size (x shard count), measured by
// the harness (shared/measure/harness.hpp) and written to one results file (bench/RESULTS.md).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "matrix_ranks.hpp"
#include "measure/harness.hpp"
#include "measure/metrics.hpp"
#include "measure/results.hpp"
#include "progress.hpp"
#include "ranks/ranks.hpp"
#include "registry.hpp"
#include "train/cpus.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "train/files.hpp"
#include "train/gemm.hpp"

namespace gd::cli {

namespace {
std::vector<int> default_threads() {
  std::vector<int> t{1};
  const int cpus = available_cpus();
  for (int p = 2; p <= cpus; p *= 2) t.push_back(p);
  if (t.back() != cpus) t.push_back(cpus);
  return t;
}
}  // namespace

std::vector<PatternRef> registry_refs() {
  std::vector<PatternRef> refs;
  for (const PatternInfo& p : all_patterns())
    refs.push_back({std::string(p.name), p.deterministic, [make = p.make](int t) { return make(t); }});
  for (const PatternInfo& p : rank_patterns())
    refs.push_back({std::string(p.name), p.deterministic, [make = p.make](int t) { return make(t); }, true});
  const PatternInfo& sequential = find_pattern(kSequential);
  refs.push_back(independent_ref({kSequential, true, sequential.make}));  // not a pattern: the machine's ceiling
  return refs;
}

MatrixConfig config_from(const MatrixOptions& o) {
  MatrixConfig c;
  if (o.patterns == "all") {
    for (const PatternInfo& p : all_patterns()) c.patterns.emplace_back(p.name);
    if (o.ranks_given)
      for (const PatternInfo& p : rank_patterns()) c.patterns.emplace_back(p.name);
    c.patterns.emplace_back(kIndependent);
  } else {
    for (const std::string& name : split(o.patterns)) {
      try {
        if (name != kIndependent) find_pattern(name);
      } catch (const UsageError& e) {  // it lists the patterns; the matrix also knows the ceiling
        throw UsageError(std::string(e.what()) + "; or independent, the machine's own ceiling");
      }
      if (std::find(c.patterns.begin(), c.patterns.end(), name) == c.patterns.end()) c.patterns.push_back(name);
    }
    if (c.patterns.empty()) throw UsageError("--patterns is empty");
  }
  // Every speedup is measured against sequential: it always runs.
  if (std::find(c.patterns.begin(), c.patterns.end(), kSequential) == c.patterns.end())
    c.patterns.insert(c.patterns.begin(), kSequential);
  c.threads = o.threads.empty() ? default_threads() : int_list(o.threads, "--threads", 1, 256);
  c.batches = int_list(o.batches, "--batch", 1, 1 << 16);
  c.shards = int_list(o.shards, "--shards", 1, 1 << 16, true);
  c.blocks = int_list(o.blocks, "--blocks", 1, 1 << 16, true);
  c.ranks = int_list(o.ranks, "--ranks", 1, 256);
  const bool rank_patterns_asked =
      std::any_of(c.patterns.begin(), c.patterns.end(), [](const std::string& p) { return is_rank_pattern(p); });
  if (rank_patterns_asked && !o.ranks_given)
    throw UsageError("the MPI patterns (mpi, mpi_allreduce) run as processes: give --ranks, e.g. --ranks 1,2");
  if (o.ranks_given && !rank_patterns_asked)
    throw UsageError("--ranks measures the MPI patterns: add mpi or mpi_allreduce to --patterns");
  c.layers = o.layers.empty() ? "" : layers_string(parse_layers(o.layers));  // empty: set once the data is loaded
  c.data = o.data;
  c.samples = o.samples;
  c.seed = o.seed;
  c.steps = o.steps;
  c.warmup = o.warmup;
  c.reps = o.reps;
  if (o.quick) c.rep_samples = 2048;
  if (o.rep_samples < 0 || o.rep_samples > 100'000'000)
    throw UsageError(fmt::format("--rep-samples {}: use 0 (the default) or up to 100000000", o.rep_samples));
  if (o.rep_samples > 0) c.rep_samples = o.rep_samples;
  // The upper bounds only catch typos: each is far beyond a useful measurement.
  if (o.steps < 0 || o.steps > 1'000'000)
    throw UsageError(fmt::format("--steps {}: use 0 (automatic) or 1..1000000 steps per repetition", o.steps));
  if (o.warmup < 0 || o.warmup > 100'000)
    throw UsageError(fmt::format("--warmup {}: use 0..100000 untimed steps", o.warmup));
  if (o.reps < 1 || o.reps > 999 || o.reps % 2 == 0)
    throw UsageError(
        fmt::format("--reps {}: use an odd number from 1 to 999 (the median of an odd count is one real "
                    "sample)",
                    o.reps));
  if (o.samples < 0) throw UsageError("--samples must not be negative");
  if (o.target_accuracy_given && !(o.target_accuracy > 0 && o.target_accuracy <= 1))
    throw UsageError(
        fmt::format("--target-accuracy {}: use a test accuracy above 0 and at most 1, e.g. 0.85", o.target_accuracy));
  if (o.eval_every < 1 || o.eval_every > 1'000'000)
    throw UsageError(fmt::format("--eval-every {}: use 1..1000000 steps between evaluations", o.eval_every));
  if (o.epochs < 1 || o.epochs > 10'000)
    throw UsageError(fmt::format("--epochs {}: use 1..10000 epochs a run may take to reach the target", o.epochs));
  c.target_accuracy = o.target_accuracy;
  if (c.target_accuracy > 0) c.eval_every = o.eval_every, c.epochs = o.epochs;
  return c;
}

namespace {

// The command line as the process got it (/proc/self/cmdline: arguments separated by NULs).
std::string own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), {}), out;
  std::stringstream ss(all);
  std::string arg;
  while (std::getline(ss, arg, '\0')) {
    if (out.empty()) arg = std::filesystem::path(arg).filename().string();
    const bool quote = arg.empty() || arg.find_first_of(" \t'\"") != std::string::npos;
    out += (out.empty() ? "" : " ") + (quote ? "'" + arg + "'" : arg);
  }
  return out.empty() ? "gdlab matrix" : out;
}

std::string join(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

// Google Benchmark's JSON output of bench_primitives (about 100 KB; 64 MiB is far beyond it).
std::vector<Primitive> read_primitives(const std::string& path) {
  const std::string text =
      read_file_limited(path, std::uintmax_t(64) << 20, "file",
                        "larger than the 64 MiB limit, not Google Benchmark output of bench_primitives");
  if (text.empty()) throw UsageError(path + ": empty file, not Google Benchmark JSON output");
  try {
    return primitives_from_benchmark_json(text, path);
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {  // a field of the wrong JSON type
    throw UsageError(fmt::format("{}: not Google Benchmark JSON output ({})", path, e.what()));
  }
}

// --out must be writable before anything is measured: the first checkpoint writes it.
void check_out_target(const std::string& out) {
  namespace fs = std::filesystem;
  if (out.empty()) throw UsageError("--out needs a file name");
  std::error_code ec;
  for (fs::path p = fs::path(out).parent_path(); !p.empty(); p = p.parent_path()) {
    if (fs::exists(p, ec)) {
      if (!fs::is_directory(p, ec)) throw UsageError(fmt::format("--out {}: {} is not a folder", out, p.string()));
      break;
    }
    if (p == p.parent_path()) break;
  }
}

void run(const MatrixOptions& o, const CLI::App& cmd) {
  if (ranks::launched_by_mpirun()) return run_as_rank(o);
  check_out_target(o.out);
  const std::vector<PatternRef> refs = registry_refs();
  Results r;
  bool had_previous = false;
  Results previous;
  if (o.resume) {
    // The matrix is the file's: options that define it would be ignored, so refuse them.
    for (const char* opt : {"--patterns", "--threads", "--batch", "--shards", "--blocks", "--ranks", "--layers",
                            "--data", "--samples", "--steps", "--rep-samples", "--warmup", "--reps", "--seed",
                            "--quick", "--kernels", "--target-accuracy", "--eval-every", "--epochs"})
      if (cmd.count(opt) > 0)
        throw UsageError(fmt::format("--resume continues the matrix stored in {}: drop {}", o.out, opt));
    previous = read_results(o.out);
    had_previous = true;
    r.config = previous.config;
    // The same kernels as the repetitions already measured, or none at all.
    for (Kernels k : available_kernels()) {
      use_kernels(k);
      if (kernel_backend() == previous.environment.kernel_library) break;
    }
    if (kernel_backend() != previous.environment.kernel_library)
      throw UsageError(fmt::format("{} was measured with the kernels {}, which this build does not have", o.out,
                                   previous.environment.kernel_library));
  } else {
    apply_kernels(o.kernels);
    r.config = config_from(o);
    if (!o.force && std::filesystem::exists(o.out)) {
      Results old = read_results(o.out);  // an unreadable file is not silently replaced either
      if (missing_repetitions(old) > 0)
        throw UsageError(o.out + " holds an interrupted matrix: continue it with --resume, or start over with --force");
    }
  }
  for (const std::string& name : r.config.patterns)
    if (name != kIndependent) find_pattern(name);
  r.environment = capture_environment(o.command_line);
  if (!o.primitives.empty()) r.primitives = read_primitives(o.primitives);

  DataSplit data = load_data(r.config.data, std::uint64_t(r.config.seed));
  truncate(data.train, std::size_t(r.config.samples));
  if (r.config.layers.empty()) r.config.layers = default_layers(data.train);
  r.cells = plan_cells(r.config, refs);  // the layers are known: "auto" blocks can be resolved
  if (had_previous) {
    adopt_previous(r, previous, o.out);
    r.environment.date = previous.environment.date;  // the run started then
    r.environment.command_line = previous.environment.command_line + "  (resumed: " + o.command_line + ")";
  }
  // Bad combinations fail here, once, rather than as a skipped cell each.
  const std::vector<int> layers = parse_layers(r.config.layers);
  if (layers.front() != data.train.features)
    throw UsageError(fmt::format("--layers {} takes {} inputs but {} has {} features; --layers {} would fit",
                                 r.config.layers, layers.front(), data.train.name, data.train.features,
                                 layers_fitting(layers, data.train)));
  if (layers.back() != data.train.outputs)
    throw UsageError(fmt::format("--layers {} has {} outputs but {} has {}; --layers {} would fit", r.config.layers,
                                 layers.back(), data.train.name, data.train.outputs,
                                 layers_fitting(layers, data.train)));
  if (!data.train.classification)
    throw UsageError(data.train.name + " is a regression set; the matrix measures classification (softmax) models");
  for (int b : r.config.batches)
    if (std::size_t(b) > data.train.size())
      throw UsageError(fmt::format("--batch {} is larger than the {} training samples", b, data.train.size()));
  for (const Cell& c : r.cells) {  // plan_cells resolved "auto"
    check_step_fits(layers, c.batch, c.shards);
    check_blocks(layers, c.blocks);
  }
  // The MPI cells run last, in jobs of their own: a missing mpirun is refused before any cell runs.
  if (std::any_of(r.cells.begin(), r.cells.end(), rank_cell)) ranks::mpirun_or_usage_error();

  const int cpus = r.environment.cpus_available;
  const long to_run = missing_repetitions(r, [](const Cell& c) { return !rank_cell(c); });
  fmt::print(
      "matrix: {} cells ({} patterns, threads {}, batches {}), {} repetitions each, {} to run; {} CPUs available\n",
      r.cells.size(), r.config.patterns.size(), join(r.config.threads), join(r.config.batches), r.config.reps, to_run,
      cpus);
  if (double load = std::atof(r.environment.load_average.c_str()); load >= 0.5 * cpus)
    fmt::print(stderr, "warning: the machine is busy (load average {} on {} CPUs): expect noisy timings\n",
               r.environment.load_average, cpus);
  for (int t : r.config.threads)
    if (t > cpus)
      fmt::print(stderr, "warning: {} threads on {} available CPUs: those cells are oversubscribed (flagged)\n", t,
                 cpus);
  if (r.config.target_accuracy > 0 && data.test.size() == 0)
    throw UsageError(fmt::format("--target-accuracy evaluates on a test set, and {} has none", data.train.name));
  if (std::any_of(r.cells.begin(), r.cells.end(), rank_cell))
    fmt::print(stderr,
               "note: the MPI patterns' cells run after the others, in one mpirun job per rank count; their S and E "
               "are against sequential run on rank 0 alone right before each of their repetitions, in the same job\n");
  std::fflush(stdout);

  Progress bar("matrix", to_run);
  MatrixHooks hooks;
  hooks.stop = [] { return CtrlC::pressed(); };
  // Not on a terminal (a log, CI): a plain line every 10 seconds instead of the bar.
  const bool plain = !Progress::terminal();
  auto last_line = std::chrono::steady_clock::now();
  const auto started = last_line;
  hooks.progress = [&](long done, long total, const Cell& next) {
    bar.update(done, fmt::format("{} p={} batch={} shards={} blocks={}", next.pattern, next.threads, next.batch,
                                 next.shards, next.blocks));
    const auto now = std::chrono::steady_clock::now();
    if (plain && done > 0 && now - last_line > std::chrono::seconds(10)) {
      last_line = now;
      const double elapsed = std::chrono::duration<double>(now - started).count();
      fmt::print("matrix: {}/{} repetitions, about {:.0f} s left\n", done, total,
                 elapsed * double(total - done) / double(done));
      std::fflush(stdout);
    }
  };
  hooks.checkpoint = [&](const Results& now) { write_results(o.out, now); };
  hooks.warn = [&](const std::string& s) {
    bar.finish();
    fmt::print(stderr, "warning: {}\n", s);
  };
  hooks.runs_here = [](const Cell& c) { return !rank_cell(c); };
  // The cores' round trip just before the first repetition, and again after the last.
  if (const double ns = core_round_trip_ns(); ns > 0) r.environment.core_round_trip_ns = {ns};
  const auto t0 = std::chrono::steady_clock::now();
  bool finished = false;
  {
    // While the matrix runs, Ctrl-C stops it after the repetition that is running.
    CtrlC ctrl_c("\ngdlab matrix: stopping after the current repetition (Ctrl-C again to abort)\n");
    finished = run_matrix(r, refs, data.train, hooks, &data.test);
    bar.finish();
    if (finished) finished = run_rank_jobs(r, o.out, hooks);
  }
  bar.finish();
  if (finished && r.environment.core_round_trip_ns.size() == 1)  // the start's, then the end's
    if (const double ns = core_round_trip_ns(); ns > 0) r.environment.core_round_trip_ns.push_back(ns);
  write_results(o.out, r);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  fmt::print("{}", summary_table(r));
  if (r.config.target_accuracy > 0) fmt::print("\n{}", accuracy_table(r));
  fmt::print(
      "\nS = T_seq/T_p against sequential with the same batch, shards and blocks; S_best against the fastest "
      "sequential run of the batch;\nE = S/p; A = CPU/wall; U = time in step work (all threads)/wall, so A - U is "
      "waiting and spinning;\ne(KF) = Karp-Flatt serial fraction; overhead = (p T_p - T_seq)/(p steps); match = "
      "same weights as sequential;\nindependent = p copies of sequential at once, sharing nothing: the "
      "machine's own ceiling (time/step = wall/(p steps)).\n");
  if (const std::string trip = round_trip_line(r.environment); !trip.empty())
    fmt::print("{} (a barrier round or a read of another core's results costs at least that)\n", trip);
  std::fflush(stdout);  // the table before the warnings, also when both go to one pipe
  for (const std::string& w : flag_warnings(r)) fmt::print(stderr, "warning: {}\n", w);
  fmt::print("\nwrote {} and {} ({:.1f} s)\n", o.out, csv_path_for(o.out), wall);
  if (!finished) {
    fmt::print(stderr, "interrupted: {} repetitions still to run; continue with: gdlab matrix --resume --out {}\n",
               missing_repetitions(r), o.out);
    std::fflush(stdout);
    std::fflush(stderr);
    std::exit(130);
  }
}

}  // namespace

void add_matrix(CLI::App& app) {
  auto o = std::make_shared<MatrixOptions>();
  auto* cmd = app.add_subcommand(
      "matrix", "Measure patterns x threads x batch sizes; write a results file (JSON + CSV) and print a summary");
  cmd->add_option("--patterns", o->patterns,
                  "all, or a comma-separated list (see 'gdlab patterns'); 'independent' (in all) measures the "
                  "machine's own ceiling: p copies of sequential at once")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "Thread counts, e.g. 1,2,4 (default 1, 2, 4, ... up to the available CPUs)");
  cmd->add_option("--batch", o->batches, "Batch sizes, e.g. 16,64,256")->capture_default_str();
  cmd->add_option("--shards", o->shards, "Shard counts, e.g. auto,1,4,16 (auto: batch/64, at least 1)")
      ->capture_default_str();
  cmd->add_option("--blocks", o->blocks,
                  "Neuron-block counts, e.g. auto,1,2,4 (auto: about 64 neurons of the narrowest hidden layer a "
                  "block; model_parallel and hybrid split them among their threads)")
      ->capture_default_str();
  cmd->add_option("--ranks", o->ranks,
                  "MPI rank counts for the MPI patterns, e.g. 1,2,3 (each runs in an mpirun job of its own, "
                  "which also times their baseline: sequential on rank 0 alone before each repetition; "
                  "p = ranks x threads)");
  cmd->add_option("--layers", o->layers, "Layer sizes, input first, e.g. 784-256-128-10 (default fits the data)")
      ->check(kNotEmpty);
  cmd->add_option("--data", o->data, "synthetic | xor | spirals | linear | fashion-mnist | FOLDER")
      ->capture_default_str();
  cmd->add_option("--samples", o->samples, "Use only the first N training samples (0: all)")->capture_default_str();
  cmd->add_option("--steps", o->steps, "Timed steps per repetition (0: about 8192 samples' worth, at least 10)")
      ->capture_default_str();
  cmd->add_option("--rep-samples", o->rep_samples,
                  "With --steps 0: samples per repetition (0: 8192, or 2048 with --quick)")
      ->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Untimed steps before each repetition")->capture_default_str();
  cmd->add_option("--reps", o->reps, "Repetitions per cell (odd)")->capture_default_str();
  add_kernels_option(cmd, &o->kernels);
  cmd->add_option("--seed", o->seed, "Seed for data, initial weights and sample order")
      ->check(seed_range(std::uint64_t(std::numeric_limits<long>::max())))
      ->capture_default_str();
  cmd->add_option("--target-accuracy", o->target_accuracy,
                  "After the step times, measure each cell's time to this test accuracy (e.g. 0.85): 5 runs, "
                  "the fastest and slowest dropped, the mean of the rest (MLPerf's rule)");
  cmd->add_option("--eval-every", o->eval_every,
                  "With --target-accuracy: steps between evaluations on the test set (their time counts)")
      ->capture_default_str();
  cmd->add_option("--epochs", o->epochs,
                  "With --target-accuracy: epochs a run may take before it counts as not reached")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Results file (JSON; the CSV is written beside it)")->capture_default_str();
  cmd->add_option("--primitives", o->primitives,
                  "Merge primitive costs from Google Benchmark JSON (bench_primitives --benchmark_out=F "
                  "--benchmark_out_format=json)")
      ->check(kNotEmpty);
  cmd->add_flag("--quick", o->quick,
                "A small matrix for a first look (about a minute on 2 cores): 3 repetitions of "
                "about 2048 samples (at least 10 steps), 2 warm-up steps, --out "
                "results/quick.json; any of these given explicitly wins");
  cmd->add_flag("--resume", o->resume, "Continue the interrupted matrix stored in --out");
  cmd->add_flag("--force", o->force, "Replace an interrupted matrix in --out instead of refusing");
  cmd->callback([o, cmd] {
    MatrixOptions opts = *o;
    if (opts.quick) {
      if (cmd->count("--reps") == 0) opts.reps = 3;
      if (cmd->count("--warmup") == 0) opts.warmup = 2;
      if (cmd->count("--out") == 0) opts.out = "results/quick.json";
    }
    opts.command_line = own_command_line();
    opts.ranks_given = cmd->count("--ranks") > 0;
    opts.target_accuracy_given = cmd->count("--target-accuracy") > 0;
    for (const char* opt : {"--eval-every", "--epochs"})
      if (cmd->count(opt) > 0 && cmd->count("--target-accuracy") == 0)
        throw UsageError(fmt::format("{} belongs to --target-accuracy: give the test accuracy to reach too", opt));
    run(opts, *cmd);
  });
}

}  // namespace gd::cli
