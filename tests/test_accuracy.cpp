// Time to accuracy (shared/measure/accuracy.hpp): MLPerf's score, a run that stops at the
// first evaluation reaching the target (checked against a step-by-step replay), the results
// file, and gdlab matrix --target-accuracy from the outside.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_helpers.hpp"
#include "file_helpers.hpp"
#include "measure/accuracy.hpp"
#include "measure/results.hpp"
#include "registry.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "train/trainer.hpp"

using namespace gd;
namespace fs = std::filesystem;

namespace {

AccuracyRun reached(double s) { return {s, 10, 0.9, 1, s / 10, true}; }
AccuracyRun missed(double s) { return {s, 99, 0.5, 9, s / 10, false}; }

const DataSplit& spirals() {
  static const DataSplit d = make_spirals(3, 200);
  return d;
}

AccuracyPlan spirals_plan(double target, long eval_every, int epochs) {
  AccuracyPlan p;
  p.spec = ModelSpec{{2, 16, 16, 2}, Activation::tanh};
  p.batch = 16;
  p.shards = 2;
  p.target = target;
  p.eval_every = eval_every;
  p.epochs = epochs;
  return p;
}

// Sequential training replayed by hand: the test accuracy after every step, as long as `steps`.
std::vector<double> accuracy_after_each_step(const AccuracyPlan& plan, std::uint64_t seed, long steps) {
  Model m(plan.spec);
  m.init(seed);
  TrainConfig cfg;
  cfg.batch = plan.batch;
  cfg.shards = plan.shards;
  cfg.seed = seed;
  Trainer t(m, spirals().train, cfg);
  auto seq = find_pattern("sequential").make(1);
  std::vector<double> acc;
  while (long(acc.size()) < steps)
    t.epoch(*seq, {}, [&] {
      acc.push_back(evaluate(m, spirals().test).accuracy);
      return long(acc.size()) >= steps;
    });
  return acc;
}

}  // namespace

// Five runs: the fastest and the slowest dropped, the mean of the other three; a run that
// missed the target is the slowest; a kept run that missed it leaves no score.
TEST(Accuracy, ScoreIsMLPerfsMeanWithoutTheFastestAndSlowest) {
  EXPECT_FALSE(accuracy_score({reached(1), reached(2), reached(3), reached(4)}).has_value()) << "too few runs";
  EXPECT_DOUBLE_EQ(*accuracy_score({reached(5), reached(1), reached(3), reached(2), reached(9)}), (2.0 + 3 + 5) / 3);
  // The missed run is dropped as the slowest, even though its clock stopped earliest.
  EXPECT_DOUBLE_EQ(*accuracy_score({reached(5), missed(0.5), reached(3), reached(2), reached(9)}), (3.0 + 5 + 9) / 3);
  EXPECT_FALSE(accuracy_score({reached(5), missed(0.5), reached(3), missed(2), reached(9)}).has_value());
  TimeToAccuracy t{0.8, {reached(1), missed(2), reached(3)}, {}};
  EXPECT_EQ(t.reached(), 2);
}

// A run stops at the first evaluation that reaches the target: with an evaluation after
// every step, at the very step where sequential's replay first reaches it. A deterministic
// pattern at 2 threads takes the same path, so it stops at the same step.
TEST(Accuracy, RunStopsAtTheFirstEvaluationThatReachesTheTarget) {
  const AccuracyPlan plan = spirals_plan(0.8, 1, 40);
  const std::vector<double> replay = accuracy_after_each_step(plan, 7, 400);
  long first = 0;
  while (first < long(replay.size()) && replay[std::size_t(first)] < plan.target) ++first;
  ASSERT_LT(first, long(replay.size())) << "the replay never reached the target: pick an easier one";
  ASSERT_GT(first, 3) << "reached at once: the test would not tell the steps apart";
  for (const char* name : {"sequential", "thread_pool"}) {
    auto pattern = find_pattern(name).make(name == std::string("sequential") ? 1 : 2);
    const AccuracyRun run = run_to_accuracy(*pattern, plan, spirals().train, spirals().test, 7).value();
    EXPECT_TRUE(run.reached) << name;
    EXPECT_EQ(run.steps, first + 1) << name;
    EXPECT_EQ(run.evaluations, first + 1) << name;
    EXPECT_DOUBLE_EQ(run.accuracy, replay[std::size_t(first)]) << name;
    EXPECT_GT(run.seconds, 0) << name;
    EXPECT_GT(run.eval_seconds, 0) << name;
    EXPECT_LT(run.eval_seconds, run.seconds) << name;
  }
  // Evaluating every 5 steps: the first multiple of 5 at or after that step.
  const AccuracyPlan sparse = spirals_plan(0.8, 5, 40);
  auto seq = find_pattern("sequential").make(1);
  const AccuracyRun run = run_to_accuracy(*seq, sparse, spirals().train, spirals().test, 7).value();
  long at = 5;
  while (replay[std::size_t(at - 1)] < sparse.target) at += 5;
  EXPECT_EQ(run.steps, at);
  EXPECT_EQ(run.evaluations, at / 5);
}

// A target no run reaches within its epochs: every step is trained, the last one judged,
// and the run says not reached.
TEST(Accuracy, RunThatNeverReachesTheTargetTrainsEveryEpochAndSaysSo) {
  const AccuracyPlan plan = spirals_plan(1.0, 7, 2);
  auto seq = find_pattern("sequential").make(1);
  const AccuracyRun run = run_to_accuracy(*seq, plan, spirals().train, spirals().test, 7).value();
  const long per_epoch = long((spirals().train.size() + 15) / 16);
  const std::vector<double> replay = accuracy_after_each_step(plan, 7, 2 * per_epoch);
  ASSERT_LT(*std::max_element(replay.begin(), replay.end()), 1.0) << "the replay reached 100%: pick a harder target";
  EXPECT_FALSE(run.reached);
  EXPECT_EQ(run.steps, 2 * per_epoch);
  EXPECT_EQ(run.evaluations, (2 * per_epoch + 6) / 7);  // every 7 steps, and once after the last
  EXPECT_DOUBLE_EQ(run.accuracy, replay.back());
}

// A run asked to stop (Ctrl-C in gdlab matrix) ends after the step it is on, and has no result:
// a run cut short is neither reached nor missed.
TEST(Accuracy, AnInterruptedRunEndsAtOnceAndHasNoResult) {
  const AccuracyPlan plan = spirals_plan(1.0, 7, 30);
  auto seq = find_pattern("sequential").make(1);
  int asked = 0;
  const auto run = run_to_accuracy(*seq, plan, spirals().train, spirals().test, 7, [&] { return ++asked == 3; });
  EXPECT_FALSE(run.has_value());
  EXPECT_EQ(asked, 3) << "asked after every step, and not again once it said stop";
}

// The runs and the target survive the results file; the score is recomputed from the runs;
// a bad target in the file is refused.
TEST(Accuracy, ResultsFileKeepsTheRunsAndRefusesABadTarget) {
  Results r;
  r.config.patterns = {"sequential"};
  r.config.threads = {1};
  r.config.batches = {16};
  r.config.target_accuracy = 0.8;
  r.config.eval_every = 7;
  r.config.epochs = 3;
  Cell c;
  c.pattern = "sequential";
  c.batch = 16;
  c.steps = 2;
  c.time_to_accuracy = TimeToAccuracy{0.8, {reached(5), missed(0.5), reached(3), reached(2), reached(9)}, {}};
  c.time_to_accuracy->seconds = accuracy_score(c.time_to_accuracy->runs);
  r.cells.push_back(c);
  const Results back = results_from_json(results_to_json(r), "mem.json");
  EXPECT_EQ(back.config, r.config);
  ASSERT_TRUE(back.cells.at(0).time_to_accuracy.has_value());
  const TimeToAccuracy& t = *back.cells[0].time_to_accuracy;
  EXPECT_EQ(t.runs.size(), 5u);
  EXPECT_EQ(t.reached(), 4);
  EXPECT_DOUBLE_EQ(*t.seconds, (3.0 + 5 + 9) / 3);
  EXPECT_EQ(results_to_json(back), results_to_json(r));
  EXPECT_NE(results_to_csv(r).find(",5.66666667,4/5"), std::string::npos) << results_to_csv(r);

  std::string text = results_to_json(r);
  text.replace(text.find("\"target_accuracy\": 0.8"), 22, "\"target_accuracy\": 1.5");
  try {
    results_from_json(text, "bad.json");
    FAIL() << "a target above 1 was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json: config: target_accuracy"), std::string::npos) << e.what();
  }
}

// gdlab matrix --target-accuracy: every thread pattern's cell gets its five runs, the
// summary says who got there first, and the report draws it.
TEST(MatrixCli, MeasuresTimeToAccuracyAndReportsIt) {
  const gdtest::Scratch scratch("accuracy");  // removed at the end, also when an assertion fails
  const fs::path& d = scratch.dir;
  const gdtest::CliRun run = gdtest::run_gdlab(
      "matrix --data spirals --patterns sequential,thread_pool,hogwild,independent --threads 1,2 --batch 32 "
      "--steps 2 --warmup 1 --reps 1 --target-accuracy 0.75 --eval-every 10 --epochs 30 --out tta.json",
      d);
  ASSERT_EQ(run.status, 0) << run.output;
  const Results r = read_results((d / "tta.json").string());
  EXPECT_DOUBLE_EQ(r.config.target_accuracy, 0.75);
  int measured = 0;
  for (const Cell& c : r.cells) {
    if (c.pattern == kIndependent) {
      EXPECT_FALSE(c.time_to_accuracy.has_value()) << "the machine's ceiling trains nothing to a target";
      continue;
    }
    ASSERT_TRUE(c.time_to_accuracy.has_value()) << c.pattern << " p=" << c.threads;
    EXPECT_EQ(c.time_to_accuracy->runs.size(), std::size_t(kAccuracyRuns)) << c.pattern;
    for (const AccuracyRun& a : c.time_to_accuracy->runs) {
      EXPECT_GT(a.seconds, 0);
      EXPECT_EQ(a.reached, a.accuracy >= 0.75) << c.pattern;
      if (a.reached) {
        EXPECT_EQ(a.steps % 10, 0) << "a run stops at an evaluation";
      }
    }
    EXPECT_EQ(c.time_to_accuracy->seconds.has_value(), c.time_to_accuracy->reached() >= 4) << c.pattern;
    ++measured;
  }
  EXPECT_EQ(measured, 5);  // sequential, and the two patterns at 1 and 2 threads
  EXPECT_NE(run.output.find("time to 75.0% test accuracy"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("first to 75.0% at p = 2: "), std::string::npos) << run.output;

  const gdtest::CliRun rep = gdtest::run_gdlab("report tta.json --out rep/", d);
  ASSERT_EQ(rep.status, 0) << rep.output;
  const std::string md = gdtest::read(d / "rep" / "report.md");
  EXPECT_NE(md.find("Time to accuracy: 75% test accuracy"), std::string::npos);
  EXPECT_NE(md.find("p = 2: "), std::string::npos);
  bool chart = false;
  for (const auto& e : fs::directory_iterator(d / "rep"))
    chart = chart || e.path().filename().string().find("time-to-accuracy") != std::string::npos;
  EXPECT_TRUE(chart) << "the report draws time to accuracy";
}
