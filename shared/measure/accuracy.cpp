#include "measure/accuracy.hpp"

#include <algorithm>
#include <chrono>

#include "train/trainer.hpp"

namespace gd {

int TimeToAccuracy::reached() const {
  return int(std::count_if(runs.begin(), runs.end(), [](const AccuracyRun& r) { return r.reached; }));
}

std::optional<double> accuracy_score(const std::vector<AccuracyRun>& runs) {
  if (runs.size() < std::size_t(kAccuracyRuns)) return std::nullopt;
  // Fastest first; a run that did not reach the target sorts after every run that did.
  std::vector<const AccuracyRun*> sorted;
  for (const AccuracyRun& r : runs) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const AccuracyRun* a, const AccuracyRun* b) {
    if (a->reached != b->reached) return a->reached;
    return a->seconds < b->seconds;
  });
  double sum = 0;
  for (std::size_t i = 1; i + 1 < sorted.size(); ++i) {  // without the fastest and the slowest
    if (!sorted[i]->reached) return std::nullopt;
    sum += sorted[i]->seconds;
  }
  return sum / double(sorted.size() - 2);
}

std::optional<AccuracyRun> run_to_accuracy(Pattern& pattern, const AccuracyPlan& plan, const Dataset& train,
                                           const Dataset& test, std::uint64_t seed,
                                           const std::function<bool()>& interrupt) {
  // Set-up, not timed: the model and the trainer's Step (its buffers and kernels).
  Model model(plan.spec);
  model.init(seed);
  TrainConfig cfg;
  cfg.batch = plan.batch;
  cfg.shards = plan.shards;
  cfg.blocks = plan.blocks;
  cfg.hyper = plan.hyper;
  cfg.seed = seed;
  Trainer trainer(model, train, cfg);

  AccuracyRun run;
  // [lesson:tta_run]
  // Called between steps, when no thread of the pattern touches the weights: the test set's
  // accuracy, on the clock.
  auto evaluate_now = [&] {
    const auto e0 = std::chrono::steady_clock::now();
    run.accuracy = trainer.evaluate(test).accuracy;
    run.eval_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
    ++run.evaluations;
    run.reached = run.accuracy >= plan.target;
  };
  const auto t0 = std::chrono::steady_clock::now();
  long since_evaluation = 0;
  bool interrupted = false;
  for (int e = 0; e < plan.epochs && !run.reached && !interrupted; ++e) {
    // The trainer asks `stop` after every step: every eval_every steps it evaluates, and
    // ends the epoch (and the run) at the first evaluation that reaches the target.
    trainer.epoch(pattern, {}, [&] {
      ++run.steps;
      if (interrupt && interrupt()) return interrupted = true;
      if (++since_evaluation < plan.eval_every) return false;
      since_evaluation = 0;
      evaluate_now();
      return run.reached;
    });
  }
  if (interrupted) return std::nullopt;
  if (!run.reached && since_evaluation > 0) evaluate_now();  // the last steps are judged too
  // [/lesson:tta_run]
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

}  // namespace gd
