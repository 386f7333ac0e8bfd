// The results file of the benchmark matrix (gdlab matrix --out NAME.json) and the CSV
// written beside it (NAME.csv, one row per cell). The report generator reads only this.
//
// Schema "gdlab-results", version 1 (bench/RESULTS.md has the same text with examples).
// Times are seconds unless a name says otherwise; a metric that cannot be computed
// (no sequential cell to compare with, p = 1 for Karp-Flatt, ...) is null.
//
// {
//   "schema": "gdlab-results", "version": 1,
//   "environment": {
//     "cpu_model": "AMD EPYC ...",      "cpus_available": 2,      // sched_getaffinity
//     "compiler": "GNU 12.2.0",         "flags": "-O3 -DNDEBUG -march=native ...",
//     "kernel_library": "oneDNN 2.6.3 (avx2)", // the step's GEMMs (train/gemm.hpp): oneDNN, with its ISA, or Eigen
//     "libraries": { "boost": "1.81.0", "onetbb": "2021.8.0", "openmp": "4.5", "eigen": "3.4.0",
//                    "openblas": "OpenBLAS 0.3.21 ...", "google_benchmark": "1.7.1" },
//     "git_commit": "cc162d2" (+ "-dirty" when tracked files were modified),
//     "env": { "OMP_NUM_THREADS": "2", ... },   // OMP_*, GOMP_*, KMP_*, TBB_*, OPENBLAS_*, GDLAB_* present
//     "date": "2026-11-25T14:03:00Z",  "command_line": "gdlab matrix --quick",  "hostname": "...",
//     "load_average": "0.12 0.30 0.25",  // at the start; other work on the machine makes noise
//     "core_round_trip_ns": [480, 610]   // a cache line to another core and back, at the start
//                                        // and the end (environment.hpp); [] or absent: not measured
//   },
//   "config": {
//     "patterns": ["sequential", ...], "threads": [1, 2], "batches": [16, 64, 256],
//     "shards": [0],            // shard counts to measure; 0 = default_shards(batch) (batch/64, >= 1)
//     "blocks": [1],            // neuron-block counts; 0 = default_blocks(layers); absent: [1]
//     "ranks": [1],             // MPI rank counts for the rank patterns (mpi, ...); absent: [1]
//     "layers": "784-256-128-10", "data": "synthetic", "seed": 1,
//     "steps": 0,               // timed steps per repetition; 0 = auto, see each cell's "steps"
//     "rep_samples": 8192,      // with steps 0: steps = max(10, ceil(rep_samples / batch))
//     "samples": 0,             // training samples used; 0 = the whole set
//     "warmup": 3, "reps": 5,
//     "target_accuracy": 0.85,  // present when time to accuracy was measured (measure/accuracy.hpp):
//     "eval_every": 50,         // the test set is evaluated every 50 steps, and a run
//     "epochs": 10              // gives up after 10 epochs
//   },
//   "cells": [ {             // "pattern": "independent" is not a pattern but the machine's
//                            // ceiling: p sequential copies at once (shared/measure/matrix.hpp)
//     "pattern": "openmp", "threads": 2, "batch": 256, "shards": 4, "blocks": 1, "steps": 32,
//     "ranks": 1,               // processes (MPI ranks), each of "threads" threads; absent: 1
//     "deterministic": true,
//     "complete": true,         // false: fewer repetitions than config.reps (interrupted run)
//     "rep_seconds": [..],      // wall time of the `steps` timed steps, one per repetition
//     "rep_cpu_seconds": [..],  // process CPU time over the same timed steps
//     "step_seconds": {"median","min","max","ci95_low","ci95_high"},   // rep_seconds / steps
//     "cpu_seconds_median",     // median of rep_cpu_seconds (whole timed loop)
//     "parallelism",            // A = CPU / wall, median over repetitions
//     "threads_at_work",        // most threads that worked in a repetition (thread_census.hpp);
//                               // more than "threads" flags hidden_threads. Absent in older files
//     "rep_useful_parallelism", "rep_imbalance": [..],  // per repetition, from the threads'
//     "useful_parallelism", "imbalance",                // busy times (Step::busy): sum of
//                               // busy / wall; max / mean busy. [] and null in older files
//     "speedup",                // S = T_seq / T_p, sequential with the same batch, shards and blocks
//     "speedup_best",           // T_seq_best / T_p, fastest sequential run of that batch (any shards, blocks)
//     "speedup_relative",       // T_1 / T_p, the same pattern with 1 thread
//     "efficiency",             // E = S / p, p = threads x ranks
//     "karp_flatt",             // e = (1/S - 1/p) / (1 - 1/p), null for p = 1
//     "overhead_per_step_seconds",  // (p*T_p - T_seq) / (p*steps)
//     "samples_per_second",     // batch / median step time
//     "final_loss",             // mean training loss per sample over the timed steps
//     "checksum",               // FNV-1a of the final weights, as gdlab train prints it
//     "matches_sequential",     // checksum == sequential's (same batch, shards, blocks, steps); null: none
//     "flags": ["oversubscribed", "low_parallelism", "noisy", "incomplete",
//               "checksum_differs", "reps_differ"],
//     "time_to_accuracy": {     // with config.target_accuracy, but for independent: the runs to the target
//       "target": 0.85,
//       "runs": [ {"seconds", "steps", "accuracy", "evaluations", "eval_seconds", "reached"} ],  // in run order
//       "seconds": 4.2,         // MLPerf's score: mean without the fastest and the slowest run;
//       "reached": 5            // null: not reached; reached: how many runs reached the target
//     }
//   } ],
//   "skipped": [ {"pattern","threads","batch","shards","blocks","ranks","reason"} ],   // cells that could not run
//   "primitives": [ {"name": "std::thread create+join", "threads": 2, "microseconds": 36.0} ]
// }
//
// Medians and T values are medians over repetitions; T_seq, T_1, T_p above are the
// median wall times of `steps` steps. Flags are defined in shared/measure/metrics.hpp.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include "measure/accuracy.hpp"
#include "measure/transport.hpp"

namespace gd {

inline constexpr const char* kResultsSchema = "gdlab-results";
inline constexpr int kResultsVersion = 1;
// The cells of the machine's own ceiling: p copies of sequential at once, sharing nothing
// written; their time per step is wall time / (p x steps) (shared/measure/matrix.hpp).
inline constexpr const char* kIndependent = "independent";
// The baseline of every speedup: the one-thread pattern whose cells give T_seq, and the
// weights every deterministic pattern must reproduce. The registry names its row with it.
inline constexpr const char* kSequential = "sequential";

// What a cell's flags warn of (metrics.hpp sets them; bench/RESULTS.md defines them).
// The results file writes each by its name.
enum class Flag { oversubscribed, low_parallelism, noisy, incomplete, checksum_differs, reps_differ, hidden_threads };
inline constexpr Flag kAllFlags[] = {Flag::oversubscribed, Flag::low_parallelism,  Flag::noisy,
                                     Flag::incomplete,     Flag::checksum_differs, Flag::reps_differ,
                                     Flag::hidden_threads};
std::string_view flag_name(Flag f);
std::optional<Flag> flag_from_name(std::string_view name);
// The names of `flags` joined by `separator` ("noisy, incomplete").
std::string flag_list(const std::vector<Flag>& flags, std::string_view separator);

struct Environment {
  std::string cpu_model;
  int cpus_available = 0;
  std::string compiler, flags, kernel_library;
  std::map<std::string, std::string> libraries;  // boost, onetbb, openmp, eigen, openblas, google_benchmark
  std::string git_commit;
  std::map<std::string, std::string> env;  // relevant environment variables that were set
  std::string date, command_line, hostname;
  std::string load_average;  // /proc/loadavg at the start: 1, 5, 15 minutes
  // A cache line's trip to another core and back (core_round_trip_ns in environment.hpp),
  // at the start of the matrix and at its end: empty when not measured (one CPU, or no CPU
  // free for the probe's second thread).
  std::vector<double> core_round_trip_ns;
};

struct MatrixConfig {
  std::vector<std::string> patterns;
  std::vector<int> threads;
  std::vector<int> batches;
  std::vector<int> shards{0};  // 0 = default_shards(batch)
  std::vector<int> blocks{1};  // neuron blocks per layer; 0 = default_blocks(layers)
  std::vector<int> ranks{1};   // MPI rank counts, for the patterns whose workers are processes
  std::string layers = "784-256-128-10";
  std::string data = "synthetic";
  long seed = 1;
  long steps = 0;           // 0 = auto: auto_steps(batch, rep_samples), see matrix.hpp
  long rep_samples = 8192;  // samples per repetition when steps is 0
  long samples = 0;         // training samples used (0 = the whole training set)
  long warmup = 3;
  int reps = 5;
  // Time to accuracy (measure/accuracy.hpp), measured after the step times when the target
  // is above 0: kAccuracyRuns runs per cell, the test set evaluated every eval_every steps,
  // at most `epochs` epochs a run.
  double target_accuracy = 0;
  long eval_every = 50;
  int epochs = 10;
  bool operator==(const MatrixConfig&) const = default;
};

struct StepStats {
  double median = 0, min = 0, max = 0, ci95_low = 0, ci95_high = 0;
};

// What identifies a cell: the pattern and the configuration it measures.
struct CellKey {
  std::string pattern;
  int threads = 1, batch = 0, shards = 1, blocks = 1, ranks = 1;
  bool operator==(const CellKey&) const = default;
};

struct Cell {
  // Identity of the cell (key()).
  std::string pattern;
  int threads = 1;
  int batch = 0;
  int shards = 1;
  int blocks = 1;
  int ranks = 1;  // processes, each of `threads` threads: p = threads x ranks
  long steps = 0;
  bool deterministic = true;
  // Raw measurements, one entry per repetition.
  std::vector<double> rep_seconds;
  std::vector<double> rep_cpu_seconds;
  std::vector<double> rep_useful_parallelism;  // per repetition; empty in files written without busy times
  std::vector<double> rep_imbalance;
  std::vector<double> rep_comm_seconds;  // a rank cell's time on the wire, mean over ranks; empty otherwise
  // Of that time, the part the ranks spent waiting for a slower rank, mean over ranks
  // (ranks::mean_wait_seconds); empty where it could not be told (ranks on several machines).
  std::vector<double> rep_wait_seconds;
  // A rank cell's baseline: sequential's wall time for the same steps (batch, shards,
  // blocks), run in the same MPI job on rank 0 alone right before each repetition, so
  // the two are measured side by side. Empty otherwise: S then uses the sequential cell.
  std::vector<double> rep_reference_seconds;
  int threads_at_work = 0;  // most threads that worked in one repetition; above p: "hidden_threads"
  std::string checksum;     // of the final weights; every repetition must agree (else "reps_differ")
  double final_loss = 0;
  // Derived (shared/measure/metrics.hpp: compute_metrics).
  bool complete = false;
  StepStats step_seconds;
  double cpu_seconds_median = 0;
  double parallelism = 0;
  std::optional<double> useful_parallelism, imbalance;  // medians of the rep_ arrays
  std::optional<double> comm_seconds_per_step;          // median of rep_comm_seconds / steps
  std::optional<double> wait_seconds_per_step;          // median of rep_wait_seconds / steps
  std::optional<double> speedup, speedup_best, speedup_relative, efficiency, karp_flatt, overhead_per_step_seconds;
  double samples_per_second = 0;
  std::optional<bool> matches_sequential;
  std::vector<Flag> flags;
  // The runs to config.target_accuracy, for the cells that measure it (none: it was not asked
  // for, or the cell is the machine's ceiling).
  std::optional<TimeToAccuracy> time_to_accuracy;
  CellKey key() const { return {pattern, threads, batch, shards, blocks, ranks}; }
  int workers() const { return threads * ranks; }  // p in S, E and the flags
  bool has(Flag f) const;
};

struct Skipped {
  std::string pattern;
  int threads = 1, batch = 0, shards = 1;
  std::string reason;
  int blocks = 1;
  int ranks = 1;
  CellKey key() const { return {pattern, threads, batch, shards, blocks, ranks}; }
};

struct Primitive {
  std::string name;
  int threads = 1;
  double microseconds = 0;
};

// What a pattern pays every step: a primitive of bench_primitives, named by its label
// (Primitive::name), and how many times one step pays it. patterns/registry.cpp says it
// for each pattern; the report sets a pattern's overhead beside that cost.
struct PrimitiveUse {
  std::string_view primitive;
  double per_step = 1;   // may be a fraction where a row does more than the pattern needs
  double per_layer = 0;  // and this many more a step for each layer of the model (a round per phase)
  // Paid only where the threads outnumber the shards, so that some shard's blocks are split
  // between threads (hybrid: a group of one thread runs whole shards, without its rounds).
  bool past_shards = false;
  double times(int layers) const { return per_step + per_layer * layers; }
  bool applies(int threads, int shards) const { return !past_shards || threads > shards; }
};

// What a pattern's threads split: the data (shards, the batch's samples), the model
// (neuron blocks of every layer), or both. Sequential splits nothing; the machine's ceiling
// (kIndependent) is no pattern. patterns/registry.cpp says it for each pattern; the report
// sets the fastest of each kind side by side at every batch.
enum class Axis { none, data, model, both };
const char* axis_name(Axis a);  // "sequential", "data parallel", "model parallel", "data × model"

struct Results {
  Environment environment;
  MatrixConfig config;
  std::vector<Cell> cells;
  std::vector<Skipped> skipped;
  std::vector<Primitive> primitives;
  std::optional<Transport> transport;  // measured by a job of 2 or more ranks (measure/transport.hpp)
};

// The JSON text (schema above) and the CSV (header line, then one line per cell).
std::string results_to_json(const Results& r);
std::string results_to_csv(const Results& r);

// The columns of a cell in every CSV file gdlab writes (the results CSV, the report's
// cells.csv), in this order. A field is quoted when it holds a comma, quote or newline.
std::string cell_csv_header();
std::string cell_csv_row(const Cell& c);
std::string csv_field(const std::string& s);
std::string csv_num(double v);                        // 9 significant digits; "" for NaN or infinity
std::string csv_num(const std::optional<double>& v);  // "" for none
// Parses and validates; throws UsageError naming `source` and what is wrong.
Results results_from_json(const std::string& text, const std::string& source);

// Writes path (JSON) and the CSV beside it (the .json suffix replaced by .csv),
// each atomically: a temporary file, then rename. Creates the folder if needed.
void write_results(const std::string& path, const Results& r);
// Reads and validates a results file; throws UsageError for a missing, unreadable,
// oversized, corrupt, wrong-schema or wrong-version file, naming the file and the problem.
// A matrix of a thousand cells is about 1.5 MB, so the limit only stops a wrong file.
inline constexpr std::uintmax_t kMaxResultsBytes = std::uintmax_t(256) << 20;
Results read_results(const std::string& path);
std::string csv_path_for(const std::string& json_path);

}  // namespace gd
