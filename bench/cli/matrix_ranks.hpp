// gdlab matrix's options, and its cells of the MPI patterns: they run in MPI jobs of their
// own, one per rank count (gdlab matrix again under mpirun), and come back into the results.
#pragma once
#include <string>
#include <vector>

#include "measure/matrix.hpp"

namespace gd::cli {

struct MatrixOptions {
  std::string patterns = "all";
  std::string threads;  // empty: 1, 2, 4, ... up to the available CPUs
  std::string batches = "16,64,256";
  std::string shards = "auto";
  std::string blocks = "1";
  std::string ranks = "1";
  bool ranks_given = false;  // --ranks on the command line: "all" then takes the rank patterns too
  std::string layers;        // empty: a default that fits the data
  std::string data = "synthetic";
  long samples = 0;
  long steps = 0;
  long rep_samples = 0;  // 0: the default (or --quick's)
  long warmup = 3;
  int reps = 5;
  long seed = 1;
  double target_accuracy = 0;  // given: time to accuracy too (measure/accuracy.hpp), after the step times
  bool target_accuracy_given = false;
  long eval_every = 50;
  int epochs = 10;
  std::string out = "results/matrix.json";
  std::string primitives;
  std::string kernels;  // empty: the build's default backend
  bool quick = false, resume = false, force = false;
  std::string command_line;
};
// The matrix's configuration from the options (UsageError for bad ones), and the patterns
// it can measure: every registered one, the MPI ones, and the machine's ceiling.
MatrixConfig config_from(const MatrixOptions& o);
std::vector<PatternRef> registry_refs();

// A cell of an MPI pattern: measured in an MPI job, not in this process.
bool rank_cell(const Cell& c);

// Runs the MPI job of each rank count that has cells to measure and takes its cells (and
// the transport measured by the job of the fewest ranks past one) into r. A job that fails
// leaves its cells skipped, with the reason. Returns false when Ctrl-C stopped a job (its
// cells stay as they were, for --resume).
bool run_rank_jobs(Results& r, const std::string& out, const MatrixHooks& hooks);

// In a rank of such a job: measure the cells of this rank count, every rank in step, and
// let rank 0 write them to o.out. A failure in a rank ends the job.
void run_as_rank(const MatrixOptions& o);

}  // namespace gd::cli
