// Every pattern against sequential: same weights bit for bit (deterministic ones),
// close weights (the arrival-order ones), and failures inside workers reaching the
// caller without a hang, a std::terminate or a broken pattern.
#include <gtest/gtest.h>

#include <sched.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <numeric>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "hybrid.hpp"
#include "measure/harness.hpp"
#include "measure/primitive_names.hpp"
#include "registry.hpp"
#include "train/cpus.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "train/first_error.hpp"
#include "train/gemm.hpp"
#include "train/spin_wait.hpp"
#include "train/thread_pool.hpp"
#include "train/trainer.hpp"
#include "watchdog.hpp"

using namespace gd;
using namespace std::chrono_literals;

namespace {

const DataSplit& data() {
  static const DataSplit d = make_synthetic(5, 1200, 100);
  return d;
}

struct Result {
  Params weights;
  std::uint64_t checksum;
  double loss;
};

// A few steps of 784-24-10 from the same initial weights with the given pattern.
Result train(const std::string& pattern, int threads, int shards, int steps = 6, int blocks = 1) {
  Model m({{784, 24, 10}});
  m.init(3);
  TrainConfig cfg;
  cfg.batch = 96;
  cfg.shards = shards;
  cfg.blocks = blocks;
  cfg.max_steps = steps;
  Trainer t(m, data().train, cfg);
  gdtest::Watchdog dog(pattern + " training", 60s);  // first: it also watches the pattern's teardown
  auto p = find_pattern(pattern).make(threads);
  EpochStats st = t.epoch(*p);
  return {m.w, m.checksum(), st.loss};
}

std::vector<std::string> names(bool deterministic) {
  std::vector<std::string> out;
  for (const auto& p : all_patterns())
    if (p.deterministic == deterministic && !p.asynchronous && p.name != "sequential") out.emplace_back(p.name);
  return out;
}

// A 784-16-10 model and a trainer of 3 steps of 64 samples in 4 shards: the fixture
// of the fault tests.
struct Small {
  explicit Small(int blocks = 1, int shards = 4)
      : trainer{(model.init(1), model), data().train, [&] {
                  TrainConfig cfg;
                  cfg.batch = 64;
                  cfg.shards = shards;
                  cfg.blocks = blocks;
                  cfg.max_steps = 3;
                  return cfg;
                }()} {}
  Model model{{{784, 16, 10}}};
  Trainer trainer;
};

class Deterministic : public ::testing::TestWithParam<std::string> {};
class Arrival : public ::testing::TestWithParam<std::string> {};
class Every : public ::testing::TestWithParam<std::string> {};

std::string param_name(const ::testing::TestParamInfo<std::string>& i) { return i.param; }

// How far the patterns that sum in an order of their own may end from sequential's
// weights after a few steps: rounding only.
constexpr float kArrivalTolerance = 1e-4f;
// How far hogwild may end from sequential's weights after a few steps of the fault
// fixtures: its threads' updates overlap, so more than rounding, but far less than the
// weights themselves (Glorot-scale, about 0.1) move.
constexpr float kAsyncTolerance = 2e-2f;

std::string fault_case(int threads, Fault::Kind kind, int failing) {
  return std::to_string(threads) + " threads, " + (kind == Fault::Kind::nan_input ? "NaN input" : "an exception") +
         " in " + (failing < 0 ? std::string("every shard") : "shard " + std::to_string(failing));
}

}  // namespace

// On every kernel backend the build has (oneDNN and Eigen in the release build).
TEST_P(Deterministic, BitIdenticalToSequentialAtAnyThreadCount) {
  const Kernels configured = kernels();
  for (Kernels k : available_kernels()) {
    use_kernels(k);
    const std::string backend = kernel_backend();
    for (int shards : {3, 8}) {
      const Result want = train("sequential", 1, shards);
      for (int threads : {1, 2, 3, 4, 8}) {
        const Result got = train(GetParam(), threads, shards);
        EXPECT_EQ(got.checksum, want.checksum) << backend << ", " << threads << " threads, " << shards << " shards";
        ASSERT_EQ(got.weights.size(), want.weights.size());
        std::size_t differing = 0;
        for (Eigen::Index i = 0; i < want.weights.size(); ++i)
          differing += std::memcmp(&got.weights[i], &want.weights[i], sizeof(float)) != 0;
        EXPECT_EQ(differing, 0u) << "weights differing from sequential: " << backend << ", " << threads << " threads, "
                                 << shards << " shards";
      }
    }
  }
  use_kernels(configured);
}

// The second axis: with every layer cut into neuron blocks (a count that divides no layer
// of 784-24-10, one that divides 24 and not 10, the most that 10 outputs take), every
// deterministic pattern still gives sequential's weights for the same (shards, blocks),
// on every backend; model_parallel and hybrid, whose threads split the blocks, at 1 to 16
// threads.
TEST_P(Deterministic, BitIdenticalToSequentialWithNeuronBlocks) {
  const Kernels configured = kernels();
  const bool split_by_blocks = GetParam() == "model_parallel" || GetParam() == "hybrid";
  for (Kernels k : available_kernels()) {
    use_kernels(k);
    const std::string backend = kernel_backend();
    for (auto [shards, blocks] : {std::pair{1, 7}, std::pair{3, 4}, std::pair{2, 10}}) {
      const Result want = train("sequential", 1, shards, 6, blocks);
      for (int threads : split_by_blocks ? std::vector<int>{1, 2, 3, 4, 8, 16} : std::vector<int>{2, 3}) {
        const Result got = train(GetParam(), threads, shards, 6, blocks);
        EXPECT_EQ(got.checksum, want.checksum)
            << backend << ", " << threads << " threads, " << shards << " shards, " << blocks << " blocks";
      }
    }
  }
  use_kernels(configured);
}

// Blocks change the operations (smaller products), so they may change the last bits:
// what must not change is the training itself.
TEST(NeuronBlocks, TrainAsWellAsOneBlock) {
  const Result one = train("sequential", 1, 2, 6, 1), seven = train("sequential", 1, 2, 6, 7);
  EXPECT_LT((one.weights - seven.weights).cwiseAbs().maxCoeff(), kArrivalTolerance);
  EXPECT_NEAR(one.loss, seven.loss, 1e-4 * one.loss);
}

// hybrid's plan: the groups' shards tile the batch's shards, each group's threads tile the
// blocks, and every one of p threads has work for every p up to shards x blocks.
TEST(NeuronBlocks, HybridPlanGivesEveryThreadWorkUpToShardsTimesBlocks) {
  for (auto [shards, blocks] : {std::pair{4, 4}, std::pair{1, 10}, std::pair{3, 5}, std::pair{6, 1}, std::pair{2, 7}})
    for (int p = 1; p <= shards * blocks; ++p) {
      const std::vector<HybridShare> plan = hybrid_plan(shards, blocks, p);
      const std::string where =
          std::to_string(shards) + " shards x " + std::to_string(blocks) + " blocks at p = " + std::to_string(p);
      ASSERT_EQ(plan.size(), std::size_t(p)) << where;
      int next_shard = 0, next_block = 0;
      for (std::size_t t = 0; t < plan.size(); ++t) {
        const HybridShare& s = plan[t];
        EXPECT_GE(s.shards.second, 1) << where << ", thread " << t;
        EXPECT_GE(s.blocks.second, 1) << where << ", thread " << t;
        if (s.rank == 0) {  // a new group: its shards follow the last group's
          EXPECT_EQ(s.shards.first, next_shard) << where;
          next_shard = s.shards.first + s.shards.second;
          next_block = 0;
        }
        EXPECT_EQ(s.blocks.first, next_block) << where << ", thread " << t;
        next_block = s.blocks.first + s.blocks.second;
        if (s.rank + 1 == s.group_size) {
          EXPECT_EQ(next_block, blocks) << where << ", group " << s.group;
        }
      }
      EXPECT_EQ(next_shard, shards) << where;
    }
}

// Bad block counts are refused when the step is built, with the layer sizes named.
TEST(NeuronBlocks, ZeroOrMoreThanTheNarrowestLayerIsAUsageError) {
  Model m({{784, 24, 10}});
  EXPECT_EQ(max_blocks(m.spec.layers), 10);
  for (int bad : {0, -1, 11}) EXPECT_THROW(Step(m, data().train, 64, 2, {}, bad), UsageError) << bad;
  EXPECT_NO_THROW(Step(m, data().train, 64, 2, {}, 10));
  for (int rows : {10, 24, 7})
    for (int blocks : {1, 3, 7}) {
      if (blocks > rows) continue;
      int next = 0;  // the blocks tile the rows, in order, none empty, sizes differing by at most one
      for (int j = 0; j < blocks; ++j) {
        auto [first, count] = block_rows(rows, blocks, j);
        EXPECT_EQ(first, next);
        EXPECT_GE(count, rows / blocks);
        EXPECT_LE(count, rows / blocks + 1);
        next = first + count;
      }
      EXPECT_EQ(next, rows);
    }
}

// Close to `want`: bit for bit for a deterministic pattern, within kArrivalTolerance for
// one that sums in arrival order, and within kAsyncTolerance for asynchronous SGD, whose
// threads' updates overlap (a stale gradient, a lost update) by design.
void expect_weights(const std::string& pattern, const Params& got, const Params& want, const std::string& where) {
  ASSERT_EQ(got.size(), want.size());
  if (find_pattern(pattern).asynchronous) {
    ASSERT_TRUE(got.allFinite()) << pattern << ", " << where;
    EXPECT_LT((got - want).cwiseAbs().maxCoeff(), kAsyncTolerance) << pattern << ", " << where;
  } else if (find_pattern(pattern).deterministic)
    EXPECT_EQ(std::memcmp(got.data(), want.data(), sizeof(float) * std::size_t(want.size())), 0)
        << pattern << ", " << where << ": weights differ from sequential's";
  else
    EXPECT_LT((got - want).cwiseAbs().maxCoeff(), kArrivalTolerance) << pattern << ", " << where;
}

TEST_P(Arrival, CloseToSequentialWithinTolerance) {
  // Summation order only changes rounding: after 6 steps the weights stay within
  // 1e-4 of sequential's and the mean loss within 1e-4 relative.
  for (int threads : {1, 2, 4}) {
    const Result want = train("sequential", 1, 8);
    const Result got = train(GetParam(), threads, 8);
    expect_weights(GetParam(), got.weights, want.weights, std::to_string(threads) + " threads");
    EXPECT_NEAR(got.loss, want.loss, 1e-4 * want.loss) << threads << " threads";
  }
}

// The weights after a fault test's sequence (a failing epoch, then a clean one) on one
// pattern: the failed step must leave nothing behind that changes the next one.
Params after_failure_then_clean(const std::string& pattern, int threads, Fault fault, int blocks = 1, int shards = 4) {
  Small small(blocks, shards);
  Trainer& t = small.trainer;
  gdtest::Watchdog dog(pattern + " failure, then a clean epoch", 30s);
  auto p = find_pattern(pattern).make(threads);
  t.step().fault = fault;
  EXPECT_THROW(t.epoch(*p), ShardError) << pattern;
  t.step().fault = {};
  t.epoch(*p);
  return small.model.w;
}

TEST_P(Every, WorkerFailureReachesTheCallerNamingTheShard) {
  // Shard 2 alone fails, or every shard does: then the lowest shard's error wins (one
  // the user can count on), except in tbb, whose loop rethrows the first exception any
  // body threw.
  for (int threads : {1, 2, 4}) {
    if (GetParam() == "sequential" && threads != 1) continue;
    for (auto kind : {Fault::Kind::throw_error, Fault::Kind::nan_input})
      for (int failing : {2, -1}) {
        Small small;
        Trainer& t = small.trainer;
        gdtest::Watchdog dog(std::string(GetParam()) + " fault", 30s);
        {
          auto p = find_pattern(GetParam()).make(threads);
          t.step().fault = {kind, failing, -1};
          const std::string where = fault_case(threads, kind, failing);
          try {
            t.epoch(*p);
            ADD_FAILURE() << "no error reached the caller, " << where;
          } catch (const ShardError& e) {
            const int want = failing >= 0 ? failing : 0;
            if (failing < 0 && GetParam() == "tbb") {
              EXPECT_GE(e.shard, 0) << where;
              EXPECT_LT(e.shard, 4) << where;
            } else {
              EXPECT_EQ(e.shard, want) << where;
            }
            EXPECT_NE(std::string(e.what()).find("shard " + std::to_string(e.shard) + ": "), std::string::npos)
                << e.what();
            EXPECT_NE(std::string(e.what()).find(kind == Fault::Kind::nan_input ? "non-finite" : "injected failure"),
                      std::string::npos)
                << e.what();
          }
          // The pattern is still usable after a failed step...
          t.step().fault = {};
          EXPECT_NO_THROW(t.epoch(*p));
        }  // ...and destructs cleanly (a hang here trips the watchdog).
      }
  }
  // ...and the failed step changed nothing: the clean epoch after it ends where
  // sequential's does after the same failure.
  const int threads = GetParam() == "sequential" ? 1 : 2;
  for (auto kind : {Fault::Kind::throw_error, Fault::Kind::nan_input})
    expect_weights(GetParam(), after_failure_then_clean(GetParam(), threads, {kind, 2, -1}),
                   after_failure_then_clean("sequential", 1, {kind, 2, -1}), "after a failed step");
}

// The same with neuron blocks: block 2 of one shard fails, or every block of every shard
// does (then shard 0's block 0 is named, except in tbb), and the error says which block.
// With 4 shards hybrid's groups have one thread each; with 1 shard its one group holds
// every thread, which splits the blocks, as model_parallel's threads do. Then the failed
// step changed nothing: the clean epoch after it ends where sequential's does.
TEST_P(Every, AFailingNeuronBlockReachesTheCallerNamingIt) {
  for (int shards : {4, 1}) {
    for (int threads : {1, 2, 4}) {
      if (GetParam() == "sequential" && threads != 1) continue;
      for (auto kind : {Fault::Kind::throw_error, Fault::Kind::nan_input})
        for (int failing : {shards - 2, -1}) {  // shard 2 of 4, or the one shard
          if (shards == 1 && failing >= 0) failing = 0;
          Small small(4, shards);
          Trainer& t = small.trainer;
          gdtest::Watchdog dog(std::string(GetParam()) + " block fault", 30s);
          auto p = find_pattern(GetParam()).make(threads);
          Fault f{kind, failing, -1};
          f.block = failing < 0 ? -1 : 2;
          t.step().fault = f;
          const std::string where = fault_case(threads, kind, failing) + " of " + std::to_string(shards) + ", block " +
                                    std::to_string(f.block);
          try {
            t.epoch(*p);
            ADD_FAILURE() << "no error reached the caller, " << where;
          } catch (const ShardError& e) {
            const std::string what = e.what();
            if (failing < 0 && GetParam() == "tbb") {
              EXPECT_NE(what.find(": block "), std::string::npos) << what;
            } else {
              const int want_shard = std::max(failing, 0), want_block = std::max(f.block, 0);
              EXPECT_EQ(e.shard, want_shard) << where;
              EXPECT_NE(
                  what.find("shard " + std::to_string(want_shard) + ": block " + std::to_string(want_block) + ": "),
                  std::string::npos)
                  << where << ": " << what;
            }
            EXPECT_NE(what.find(kind == Fault::Kind::nan_input ? "non-finite" : "injected failure"), std::string::npos)
                << what;
          }
          t.step().fault = {};
          EXPECT_NO_THROW(t.epoch(*p)) << where;
        }
    }
    const int threads = GetParam() == "sequential" ? 1 : 2;
    for (auto kind : {Fault::Kind::throw_error, Fault::Kind::nan_input}) {
      Fault f{kind, shards - 1, -1};
      f.block = 2;
      expect_weights(GetParam(), after_failure_then_clean(GetParam(), threads, f, 4, shards),
                     after_failure_then_clean("sequential", 1, f, 4, shards),
                     "after a failed block, " + std::to_string(shards) + " shards");
    }
  }
}

// A shard's neuron block 15 ms slower than the rest, in the caller's share (shard 1 of 4,
// block 0 of 2, at p = 2: the caller runs the first shards in the patterns that split
// shards, and the first blocks in model_parallel) or in a worker's (shard 3, block 1):
// either way the step must wait for it, and give sequential's weights.
TEST_P(Every, StragglerShardStillGivesTheRightAnswer) {
  auto run = [&](const std::string& pattern, int slow_shard, int slow_block) {
    Small small(2);
    Trainer& t = small.trainer;
    gdtest::Watchdog dog(pattern + " straggler", 30s);
    if (slow_shard >= 0) t.step().fault = {Fault::Kind::slow, slow_shard, -1, 15ms, slow_block};
    auto p = find_pattern(pattern).make(pattern == "sequential" ? 1 : 2);
    t.epoch(*p);
    return Params(small.model.w);
  };
  const Params want = run("sequential", -1, 0);
  for (auto [shard, block] : {std::pair{1, 0}, std::pair{3, 1}})
    expect_weights(GetParam(), run(GetParam(), shard, block), want,
                   "shard " + std::to_string(shard) + " block " + std::to_string(block) + " slow");
}

// Step::busy records which threads ran step work, for how long, and how many at once.
// It checks two promises: a pattern never runs more than the p threads it is given at
// the same time (no hidden extra workers), and a straggling shard shows up as load
// imbalance. Three neuron blocks give each of model_parallel's threads a block, so the
// straggler (block 0 of shard 1) slows one of three working threads there too.
TEST_P(Every, NeverMoreThanItsThreadsAtOnceAndShowsAStraggler) {
  const bool seq = GetParam() == "sequential";
  const int threads = seq ? 1 : 3;
  Model m({{784, 16, 10}});
  m.init(1);
  Step step(m, data().train, 96, 8, {}, 3);
  std::vector<int> order(96);
  for (int i = 0; i < 96; ++i) order[std::size_t(i)] = i;
  step.busy.count_concurrency = true;
  gdtest::Watchdog dog(std::string(GetParam()) + " busy times", 30s);
  auto p = find_pattern(GetParam()).make(threads);
  for (int k = 0; k < 5; ++k) {
    step.busy.reset();
    step.prepare(order.data(), 96);
    p->step(step);
    EXPECT_GE(step.busy.peak(), 1);
    EXPECT_LE(step.busy.peak(), threads) << "step " << k << ": more threads at once than the " << threads
                                         << " asked for";
    for (double b : step.busy.seconds()) EXPECT_GT(b, 0.0);
  }
  // Shard 1 sleeps 30 ms in every step: one thread carries it, so max / mean busy time
  // is about p (3) and surely above 2; at p = 1 it is exactly 1.
  step.fault = {Fault::Kind::slow, 1, -1, 30ms};
  step.busy.reset();
  step.prepare(order.data(), 96);
  p->step(step);
  const std::vector<double> busy = step.busy.seconds();
  double sum = 0, max = 0;
  for (double b : busy) sum += b, max = std::max(max, b);
  EXPECT_GE(max, 0.030);
  if (seq) {
    EXPECT_DOUBLE_EQ(max / (sum / threads), 1.0);
  } else {
    EXPECT_LE(step.busy.peak(), threads);
    EXPECT_GT(max / (sum / threads), 2.0) << "busy times: " << ::testing::PrintToString(busy);
  }
}

// The other half of "exactly the thread count it is given": no fewer either. Every
// shard sleeps, so a thread's share takes milliseconds without needing a CPU, and all
// p threads of a step sit in step work at the same time, even where p is more than
// the CPUs this process may use (p is one more, the case a library's default thread
// limit gets wrong).
// model_parallel's threads split neuron blocks, not shards: it gets a block for every
// thread, as many as the 10 outputs allow, and is held to keep that many at work. So does
// hybrid, with fewer shards than threads: its groups' threads split the blocks.
TEST_P(Every, RunsAllItsThreadsAtOnce) {
  const bool seq = GetParam() == "sequential";
  const int threads = seq ? 1 : available_cpus() + 1;
  Model m({{784, 16, 10}});
  m.init(1);
  const bool by_blocks = GetParam() == "model_parallel" || GetParam() == "hybrid";
  const int blocks = by_blocks ? std::min(threads, max_blocks(m.spec.layers)) : 1;
  const int shards = GetParam() == "hybrid" ? std::max(1, threads / 2) : 2 * threads;  // none idles
  const int batch = std::max(96, shards);
  Step step(m, data().train, batch, shards, {}, blocks);
  std::vector<int> order(static_cast<std::size_t>(batch));
  std::iota(order.begin(), order.end(), 0);
  step.busy.count_concurrency = true;
  step.fault = {Fault::Kind::slow, -1, -1, 10ms, -1};
  gdtest::Watchdog dog(std::string(GetParam()) + " at once", 30s);
  auto p = find_pattern(GetParam()).make(threads);
  step.busy.reset();
  for (int k = 0; k < 3; ++k) {
    step.prepare(order.data(), batch);
    p->step(step);
  }
  // model_parallel has work for as many threads as blocks; hybrid's groups have at most 3 threads here
  EXPECT_EQ(step.busy.peak(), GetParam() == "model_parallel" ? blocks : threads)
      << "most threads in step work at once, over 3 steps";
}

// FirstError, which carries a worker's exception to the caller in most patterns: the
// lowest shard's error wins whatever order the threads report in, and rethrow()
// clears it for the next step.
TEST(FirstError, LowestShardWinsInAnyOrderOfCapture) {
  for (const std::vector<int>& order : std::vector<std::vector<int>>{{2, 0, 3}, {0, 2, 3}, {3, 2, 0}}) {
    FirstError errors;
    EXPECT_FALSE(errors.failed());
    for (int s : order) errors.capture(s, std::make_exception_ptr(ShardError(s, "failed")));
    EXPECT_TRUE(errors.failed());
    try {
      errors.rethrow();
      ADD_FAILURE() << "nothing rethrown";
    } catch (const ShardError& e) {
      EXPECT_EQ(e.shard, 0) << ::testing::PrintToString(order);
    }
    EXPECT_FALSE(errors.failed());
    EXPECT_NO_THROW(errors.rethrow());
  }
}

// The concurrency counter that the test above relies on: three threads held inside step
// work together by a latch must read as 3.
TEST(BusyClock, CountsThreadsInsideStepWorkAtOnce) {
  BusyClock clock;
  clock.count_concurrency = true;
  std::latch all_inside(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&] {
      BusyClock::Scope timed(clock);
      all_inside.arrive_and_wait();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(clock.peak(), 3);
  clock.reset();
  for (int t = 0; t < 3; ++t) std::thread([&] { BusyClock::Scope timed(clock); }).join();
  EXPECT_EQ(clock.peak(), 1) << "one after another";
}

// A pattern that starts threads every step has more threads than slots within one
// repetition: their time must still be counted.
TEST(BusyClock, ThreadsBeyondItsSlotsStillCount) {
  BusyClock clock;
  const int n = BusyClock::kMaxThreads + 10;
  for (int i = 0; i < n; ++i)
    std::thread([&] {
      BusyClock::Scope timed(clock);
      std::this_thread::sleep_for(100us);
    }).join();
  const std::vector<double> busy = clock.seconds();
  ASSERT_EQ(busy.size(), std::size_t(BusyClock::kMaxThreads) + 1);
  double sum = 0;
  for (double b : busy) sum += b;
  EXPECT_GE(sum, n * 100e-6);
  EXPECT_GE(busy.back(), 10 * 100e-6) << "the 10 threads beyond the slots";
}

// spin_until, the poll before a blocking wait in thread_condvar, thread_semaphore and
// the pools: it must see a flag that another thread sets while it polls...
TEST(SpinWait, SeesAFlagSetWhileItPolls) {
  std::atomic<bool> flag = false;
  std::atomic<bool> polling = false;
  std::jthread setter([&] {
    while (!polling) std::this_thread::yield();
    std::this_thread::sleep_for(1ms);
    flag = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(spin_until(
      [&] {
        polling = true;
        return flag.load();
      },
      std::chrono::seconds(30)));
  EXPECT_TRUE(flag);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1ms) << "it went on before the flag was set";
}

// ... and give up once its budget is spent, so the caller goes on to sleep.
TEST(SpinWait, GivesUpWhenItsBudgetIsSpent) {
  long polls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(spin_until([&] { return ++polls < 0; }, std::chrono::milliseconds(5)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 5ms);
  EXPECT_GT(polls, 64) << "it polled, then read the clock";
}

// Spinning pays only while every thread has a CPU of its own: the CPUs this process
// may use, so a thread confined to one CPU (as by taskset) must not spin with two.
TEST(SpinWait, PaysOnlyWhileEveryThreadHasACpuItMayUse) {
  std::jthread confined([] {
    cpu_set_t all, one;
    ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &all)) {
        CPU_SET(c, &one);
        break;
      }
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    EXPECT_TRUE(spin_pays(1));
    EXPECT_FALSE(spin_pays(2)) << "two threads on one CPU";
  });
}

// The project's pool with spinning workers: a task that comes long after the spin gave
// up must still wake a worker, and a burst of tasks must all run once.
TEST(SpinWait, SpinningPoolWorkersStillSleepAndWake) {
  gdtest::Watchdog dog("SpinningPoolWorkersStillSleepAndWake", 60s);
  ThreadPool pool(2, true);
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(5ms);  // 25 times the budget: the workers are asleep
    EXPECT_EQ(pool.submit([i] { return i; }).get(), i);
  }
  std::vector<std::future<int>> burst;
  for (int i = 0; i < 200; ++i) burst.push_back(pool.submit([i] { return i * i; }));
  for (int i = 0; i < 200; ++i) EXPECT_EQ(burst[std::size_t(i)].get(), i * i);
}

namespace {
// Inside an MPI rank (`--inner`) a thread pattern sees a Step::RankView. These run ranks in
// one process, on one step: RanksInTurn runs every rank's view in turn and then the
// combine and update the ranks' owners would (all their block sums are in this step's
// buffers already); OneRank runs one rank's view only.
class RanksInTurn final : public Pattern {
 public:
  RanksInTurn(std::unique_ptr<Pattern> inner, int ranks) : inner_(std::move(inner)), ranks_(ranks) {}
  void step(Step& step) override {
    for (int r = 0; r < ranks_; ++r) {
      Step::RankView view(step, r, ranks_);
      inner_->step(step);
    }
    for (int k = 0; k < step.slices(); ++k) {
      step.combine_slice(k);
      step.update_slice(k);
    }
  }

 private:
  std::unique_ptr<Pattern> inner_;
  int ranks_;
};

class OneRank final : public Pattern {
 public:
  OneRank(std::unique_ptr<Pattern> inner, int rank, int ranks) : inner_(std::move(inner)), rank_(rank), ranks_(ranks) {}
  void step(Step& step) override {
    Step::RankView view(step, rank_, ranks_);
    inner_->step(step);
  }

 private:
  std::unique_ptr<Pattern> inner_;
  int rank_, ranks_;
};

std::vector<std::string> inner_names() {
  std::vector<std::string> out;
  for (const auto& p : all_patterns()) try {
      find_inner_pattern(p.name);
      out.emplace_back(p.name);
    } catch (const UsageError&) {
    }
  return out;
}
}  // namespace

// A pattern that fits inside a rank gives sequential's bits at any ranks x threads: had its
// view let it combine or update a slice, a slice would be updated twice (and its sum read
// before every rank had run its shards).
TEST(InsideARank, EachPatternThatFitsGivesSequentialsBits) {
  const auto fits = inner_names();
  EXPECT_GE(fits.size(), 8u);
  for (const std::string& name : fits)
    for (int shards : {3, 8}) {
      const Result want = train("sequential", 1, shards);
      for (int ranks : {1, 2, 3})
        for (int threads : {1, 2, 3}) {
          Model m({{784, 24, 10}});
          m.init(3);
          TrainConfig cfg;
          cfg.batch = 96;
          cfg.shards = shards;
          cfg.max_steps = 6;
          Trainer t(m, data().train, cfg);
          gdtest::Watchdog dog(name + " inside ranks", 60s);
          RanksInTurn p(make_inner_pattern(name, threads), ranks);
          t.epoch(p);
          EXPECT_EQ(m.checksum(), want.checksum)
              << name << ": " << ranks << " ranks x " << threads << " threads, " << shards << " shards";
        }
    }
}

// ...and its threads run the rank's block of shards, no other: with shard 3 of 4 failing,
// rank 0 of 2 (shards 0 and 1) steps cleanly, and rank 1 reports shard 3.
TEST(InsideARank, ARanksThreadsRunOnlyItsBlock) {
  for (const std::string& name : inner_names())
    for (int threads : {1, 2}) {
      Small small;
      Trainer& t = small.trainer;
      gdtest::Watchdog dog(name + " in one rank", 30s);
      t.step().fault = {Fault::Kind::throw_error, 3, -1};
      OneRank first(make_inner_pattern(name, threads), 0, 2);
      EXPECT_NO_THROW(t.epoch(first)) << name << ", " << threads << " threads";
      OneRank second(make_inner_pattern(name, threads), 1, 2);
      try {
        t.epoch(second);
        ADD_FAILURE() << name << ": rank 1's shard 3 did not run";
      } catch (const ShardError& e) {
        EXPECT_EQ(e.shard, 3) << name;
      }
    }
}

TEST(InsideARank, PatternsThatDoNotFitAreAUsageErrorListingThoseThatDo) {
  for (const char* name : {"mpi", "mpi_allreduce", "sequential", "tbb", "thread_mutex", "hybrid", "nonsense"}) {
    try {
      find_inner_pattern(name);
      ADD_FAILURE() << name << " was taken";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("cannot run inside a rank: choose one of"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("openmp"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(make_inner_pattern("", 2), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Patterns, Deterministic, ::testing::ValuesIn(names(true)), param_name);
INSTANTIATE_TEST_SUITE_P(Patterns, Arrival, ::testing::ValuesIn(names(false)), param_name);
INSTANTIATE_TEST_SUITE_P(Patterns, Every, ::testing::ValuesIn([] {
                           std::vector<std::string> all;
                           for (const auto& p : all_patterns()) all.emplace_back(p.name);
                           return all;
                         }()),
                         param_name);

TEST(Registry, ListsEveryPatternOnceWithItsFile) {
  std::map<std::string, int> seen;
  for (const auto& p : all_patterns()) {
    ++seen[std::string(p.name)];
    EXPECT_TRUE(std::filesystem::exists(std::string(GDLAB_SOURCE_DIR) + "/" + std::string(p.file))) << p.file;
    EXPECT_FALSE(p.mechanism.empty());
  }
  for (const char* n : {"sequential", "thread_mutex", "thread_condvar", "thread_semaphore", "thread_pool", "asio_pool",
                        "async_futures", "coroutines", "openmp", "openmp_reduction", "tbb", "boost_thread"})
    EXPECT_EQ(seen[n], 1) << n;
  // The flag decides which bar a pattern's tests hold it to (bit-identical or within a
  // tolerance), so it is pinned here, not taken on trust from the registry.
  const std::set<std::string> not_deterministic{"thread_mutex", "openmp_reduction", "hogwild", "mpi_allreduce"};
  for (const auto& p : all_patterns())
    EXPECT_EQ(p.deterministic, !not_deterministic.count(std::string(p.name))) << p.name;
  for (const auto& p : rank_patterns())
    EXPECT_EQ(p.deterministic, !not_deterministic.count(std::string(p.name))) << p.name;
  // The barrier rounds that the registry prices model_parallel and hybrid with are the
  // step's phases for a model of any depth: phases + 2, and phases + 3 (the rounds of all p),
  // where threads outnumber shards. With no more threads than shards, hybrid's groups have
  // one thread each, which run whole shards: 3 rounds.
  for (std::vector<int> layers : {std::vector<int>{784, 10}, {784, 256, 128, 10}, {784, 64, 64, 64, 64, 10}}) {
    Model m({layers});
    const Step step(m, data().train, 64, 1, {}, 2);
    const int depth = int(layers.size()) - 1;
    auto rounds = [&](std::string_view name, int threads, int shards) {
      double n = 0;
      for (const PrimitiveUse& u : find_pattern(name).pays) {
        EXPECT_EQ(u.primitive, primitive::kStdBarrier) << name;
        if (u.applies(threads, shards)) n += u.times(depth);
      }
      return n;
    };
    for (auto [threads, shards] : {std::pair{2, 1}, std::pair{4, 4}, std::pair{8, 4}}) {
      EXPECT_EQ(rounds("model_parallel", threads, shards), step.phases() + 2) << depth << " layers";
      EXPECT_EQ(rounds("hybrid", threads, shards), threads > shards ? step.phases() + 3 : 3)
          << depth << " layers, " << threads << " threads, " << shards << " shards";
    }
  }
}

// What each pattern pays per step names rows that bench_primitives really produces (the
// report prices the patterns with them): run it briefly on 2 threads and look them up.
TEST(Registry, WhatEachPatternPaysIsMeasuredByBenchPrimitives) {
  const std::string out =
      (std::filesystem::temp_directory_path() / ("gdlab-prims-" + std::to_string(getpid()) + ".json")).string();
  const std::string cmd = std::string(GDLAB_BENCH_PRIMITIVES) +
                          " --benchmark_filter=threads:2 --benchmark_min_time=0.001 --benchmark_out_format=json"
                          " --benchmark_out=" +
                          out + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out);
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(out);
  std::set<std::string> measured;
  for (const auto& p : primitives_from_benchmark_json(json, out)) measured.insert(p.name);
  ASSERT_FALSE(measured.empty());
  for (const auto& p : all_patterns()) {
    EXPECT_EQ(p.pays.empty(), p.name == "sequential") << p.name << ": only sequential pays nothing per step";
    for (const PrimitiveUse& u : p.pays) {
      EXPECT_TRUE(measured.count(std::string(u.primitive)))
          << p.name << " pays '" << u.primitive << "', which bench_primitives does not measure";
      EXPECT_GT(u.per_step, 0) << p.name;
    }
    EXPECT_EQ(what_it_pays(p.name).data(), p.pays.data()) << p.name;
  }
  EXPECT_TRUE(what_it_pays("no_such_pattern").empty());
}

// ---- the registry as the one description of a pattern --------------------------------------

namespace {

const std::string kRegenerate =
    "The registry (patterns/registry.cpp) is the source: regenerate README.md's table with "
    "`build/release/bench/gdlab patterns --markdown` and paste it over the old one.";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The first cell of a table row: "| openmp | ..." -> "openmp".
std::string first_cell(const std::string& row) {
  const auto end = row.find(" |", 2);
  return row.size() > 2 && end != std::string::npos ? row.substr(2, end - 2) : row;
}

// Words separated by single spaces.
std::string squeeze(const std::string& text) {
  std::istringstream in(text);
  std::string out;
  for (std::string w; in >> w;) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

// README.md's table of patterns is the registry's, row for row: `gdlab patterns --markdown`
// prints it from the rows, so a change to a row changes the README only when it is pasted.
TEST(Registry, ReadmeTableOfPatternsIsGdlabPatternsMarkdown) {
  const std::vector<std::string> want = lines_of(patterns_markdown());
  ASSERT_EQ(want.size(), all_patterns().size() + rank_patterns().size() + 2);  // the header line, the rule, a row each
  const std::vector<std::string> readme = lines_of(read_text(std::string(GDLAB_SOURCE_DIR) + "/README.md"));
  std::vector<std::string> table;
  for (auto at = std::find(readme.begin(), readme.end(), want[0]); at != readme.end() && at->starts_with("|"); ++at)
    table.push_back(*at);
  ASSERT_FALSE(table.empty()) << "README.md has no line '" << want[0] << "' to start the table of patterns. "
                              << kRegenerate;
  EXPECT_EQ(table[1], want[1]) << "README.md's table of patterns: the rule under the header line differs. "
                               << kRegenerate;
  std::map<std::string, std::string> rows;  // README.md's rows by pattern
  for (std::size_t i = 2; i < table.size(); ++i) rows[first_cell(table[i])] = table[i];
  for (std::size_t i = 2; i < want.size(); ++i) {
    const std::string name = first_cell(want[i]);
    const auto row = rows.find(name);
    if (row == rows.end()) {
      ADD_FAILURE() << "README.md's table of patterns has no row for '" << name << "'. " << kRegenerate;
      continue;
    }
    EXPECT_EQ(row->second, want[i]) << "README.md's row for pattern '" << name
                                    << "' differs from its registry row (left: README.md, right: the registry). "
                                    << kRegenerate;
    rows.erase(row);
  }
  for (const auto& [name, row] : rows)
    ADD_FAILURE() << "README.md's table of patterns has a row for '" << name << "', which the registry does not have. "
                  << kRegenerate;
  if (!testing::Test::HasFailure()) {
    EXPECT_EQ(table, want) << "README.md's table of patterns lists the rows in another order. " << kRegenerate;
  }
}

// The file header's "Per step it pays:" says what the row's per_step says (the README's
// last column), so the student who reads the file reads the same cost.
TEST(Registry, EachFileHeaderSaysWhatItsRowPaysPerStep) {
  std::vector<PatternInfo const*> rows;
  for (const auto& p : all_patterns()) rows.push_back(&p);
  for (const auto& p : rank_patterns()) rows.push_back(&p);
  ASSERT_FALSE(rank_patterns().empty());
  for (const PatternInfo* row : rows) {
    const PatternInfo& p = *row;
    std::string header;  // the comment lines at the top of the file, joined
    for (const std::string& line : lines_of(read_text(std::string(GDLAB_SOURCE_DIR) + "/" + std::string(p.file)))) {
      if (!line.starts_with("//")) break;
      header += line.substr(2) + " ";
    }
    const std::string says = "Per step it pays: " + squeeze(plain_text(p.per_step));
    EXPECT_TRUE(squeeze(header).find(says) != std::string::npos)
        << p.file << "'s header does not say \"" << says << "\", as the registry's row for '" << p.name
        << "' (patterns/registry.cpp, per_step) does: make the two say the same.";
  }
}

// Each text of a row is one line that fits a table cell, and the markdown is only code
// marks: the terminal's listing drops them.
TEST(Registry, RowTextsAreOneLineAndPrintWithoutMarkdownInTheTerminal) {
  for (const auto& p : all_patterns())
    for (std::string_view text : {p.mechanism, p.per_step, p.library}) {
      EXPECT_FALSE(text.empty()) << p.name;
      EXPECT_EQ(text.find('\n'), std::string_view::npos) << p.name << ": " << text;
      EXPECT_EQ(std::count(text.begin(), text.end(), '`') % 2, 0) << p.name << ": unpaired ` in " << text;
      const std::string plain = plain_text(text);
      EXPECT_EQ(plain.find_first_of("`*"), std::string::npos) << p.name << ": " << plain;
    }
  EXPECT_EQ(plain_text("one `omp parallel` region, **no**"), "one omp parallel region, no");
  const std::string md = patterns_markdown();
  for (const std::string& row : lines_of(md)) EXPECT_EQ(std::count(row.begin(), row.end(), '|'), 6) << row;
}

// The library column names a library, and the build says which version: the registry's
// text has no version in it to go stale (the results file records the same versions).
TEST(Registry, LibraryHasNoVersionInItsTextAndTheBuildsVersionInTheListing) {
  const std::regex version(R"(\d+\.\d+|\b(19|20)\d\d\b)");
  const auto versions = library_versions();
  for (const auto& p : all_patterns()) {
    EXPECT_FALSE(std::regex_search(std::string(p.library), version))
        << p.name << "'s library '" << p.library << "' names a version: name the library, set version_of";
    if (p.version_of.empty()) {
      EXPECT_EQ(library_of_build(p), p.library) << p.name;
      continue;
    }
    const auto v = versions.find(std::string(p.version_of));
    ASSERT_NE(v, versions.end()) << p.name << ": library_versions() has no '" << p.version_of << "'";
    EXPECT_TRUE(std::regex_search(v->second, std::regex(R"(^\d+\.\d+)"))) << p.version_of << ": " << v->second;
    EXPECT_EQ(library_of_build(p), std::string(p.library) + " " + v->second) << p.name;
  }
  EXPECT_EQ(library_of_build(find_pattern("tbb")), "oneTBB " + versions.at("onetbb"));
  EXPECT_EQ(capture_environment("").libraries, versions);
}

// hogwild is held to what it promises, an accuracy: after ten epochs of the two spirals its
// test accuracy is at most 5 points below sequential's at 1, 2 and 4 threads (a model that
// learned nothing stays near 50%), and at one thread (no overlap, so no stale gradient and no
// lost update) its weights are sequential's within rounding. The spirals are learned to the
// end: a half-trained model (where lost updates, a smaller effective learning rate, show
// as a lower accuracy at any moment) would make the comparison a race.
TEST(Asynchronous, HogwildTrainsAsWellAsSequentialWithinTolerance) {
  static const DataSplit spirals = make_spirals(4, 300);
  auto accuracy = [](const std::string& pattern, int threads, Params* weights) {
    Model m({{2, 32, 32, 2}, Activation::tanh});
    m.init(3);
    TrainConfig cfg;
    cfg.batch = 32;
    cfg.shards = 4;
    Trainer t(m, spirals.train, cfg);
    gdtest::Watchdog dog(pattern + " ten epochs", 60s);
    auto p = find_pattern(pattern).make(threads);
    for (int e = 0; e < 10; ++e) t.epoch(*p);
    if (weights) *weights = m.w;
    return evaluate(m, spirals.test).accuracy;
  };
  Params want, got;
  const double base = accuracy("sequential", 1, &want);
  EXPECT_GT(base, 0.9);  // the fixture learns: two classes, so chance is 0.5
  for (int threads : {1, 2, 4}) EXPECT_GE(accuracy("hogwild", threads, &got), base - 0.05) << threads << " threads";
  accuracy("hogwild", 1, &got);
  EXPECT_LT((got - want).cwiseAbs().maxCoeff(), 1e-3f) << "one thread: sequential's step, but for rounding";
}
