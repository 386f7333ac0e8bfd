// Time to accuracy: how long a pattern takes to train the model until its test accuracy
// first reaches a target. Step time says how fast a pattern computes; time to accuracy
// says how fast it learns, which is what an asynchronous pattern (hogwild) trades: cheaper
// steps whose updates may be stale or lost.
//
// Method, after MLPerf Training's rules (mlcommons/training_policies):
//   - one run: set-up NOT timed (the model from its seed, the trainer's Step, the pattern's
//     threads); then the clock runs over everything training needs: the epochs' shuffles,
//     the batches' gathers, the steps, and an evaluation on the test set every
//     `eval_every` steps (and once after the last step). The run stops at the first
//     evaluation that reaches the target, or after `epochs` epochs without reaching it;
//   - kAccuracyRuns runs per cell, run i seeded with seed + i (the same seeds for every
//     pattern, so a deterministic pattern follows sequential's path step for step);
//   - the score: drop the fastest and the slowest run, the mean of the rest. A run that
//     never reached the target counts as the slowest; when one of the runs that are kept
//     did not reach it, the cell has no score: "not reached", never a time.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "train/data.hpp"
#include "train/model.hpp"
#include "train/pattern.hpp"
#include "train/step.hpp"

namespace gd {

inline constexpr int kAccuracyRuns = 5;

struct AccuracyRun {
  double seconds = 0;   // wall time until the target was reached, or of the whole run when it was not
  long steps = 0;       // steps trained
  double accuracy = 0;  // the test accuracy of the last evaluation
  int evaluations = 0;
  double eval_seconds = 0;  // of `seconds`, in the evaluations
  bool reached = false;
};

// What a cell records (results.hpp: Cell::time_to_accuracy).
struct TimeToAccuracy {
  double target = 0;              // test accuracy, a fraction
  std::vector<AccuracyRun> runs;  // in the order they ran
  std::optional<double> seconds;  // the score (above); none: not reached, or too few runs yet
  int reached() const;            // runs that reached the target
};

// The score of `runs` (the rule above); none with fewer than kAccuracyRuns runs.
std::optional<double> accuracy_score(const std::vector<AccuracyRun>& runs);

// What one run trains: the configuration of a matrix cell, and when to evaluate and give up.
struct AccuracyPlan {
  ModelSpec spec;
  int batch = 256, shards = 1, blocks = 1;
  Hyper hyper;
  double target = 0.85;
  long eval_every = 50;  // steps between evaluations, counted across epochs
  int epochs = 10;       // the run gives up after this many
};

// One run of `pattern`, which the caller made beforehand (its threads are set-up, outside
// the clock), from a model initialised with `seed`. Throws what the pattern throws.
// `interrupt`, when given, is asked after every step: true ends the run there, unscored
// (nullopt).
std::optional<AccuracyRun> run_to_accuracy(Pattern& pattern, const AccuracyPlan& plan, const Dataset& train,
                                           const Dataset& test, std::uint64_t seed,
                                           const std::function<bool()>& interrupt = {});

}  // namespace gd
