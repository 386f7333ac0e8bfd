// Lesson 19: asynchronous SGD. Two parts.
//  1. Lost updates. Two threads add 1.0 to shared floats through std::atomic_ref<float>
//     with relaxed order: as hogwild does, a load and then a store (no data race, yet an
//     addition can vanish between the two), and with fetch_add (one read-modify-write: none
//     can). Dense: every update writes all 64 floats, as a dense MLP's update writes every
//     weight. Sparse: every update writes 8 floats picked at random from 65536.
//  2. Time to accuracy. sequential, thread_pool at 2 threads (synchronous, deterministic)
//     and hogwild at 2 threads train 784-256-128-10 at batch 256 until the test accuracy
//     reaches a target, with the runs of gdlab matrix --target-accuracy: the test set is
//     evaluated every K steps, inside the clock. Five runs each (seeds 1..5, interleaved);
//     the score drops the fastest and the slowest run and averages the other three.
//   lesson_19_demo [--quick]   (quick: 4096 synthetic samples; else
//                               Fashion-MNIST if installed, else 60000 synthetic samples)
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lesson.hpp"
#include "measure/accuracy.hpp"
#include "registry.hpp"
#include "train/data.hpp"
#include "train/trainer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// ---- 1. Lost updates ----

// [lesson:load_store]
// hogwild's update of one shared float: two atomic operations, not one. Another thread's
// store can land between the load and the store, and this store then overwrites it.
void add_load_store(float& shared, float delta) {
  std::atomic_ref<float> w(shared);
  const float now = w.load(std::memory_order_relaxed);
  w.store(now + delta, std::memory_order_relaxed);
}

// One atomic read-modify-write: no other store can come in between, nothing is lost.
void add_fetch_add(float& shared, float delta) {
  std::atomic_ref<float>(shared).fetch_add(delta, std::memory_order_relaxed);
}
// [/lesson:load_store]

struct Lost {
  double lost = 0, made = 0, seconds = 0;
};

// Two threads run body(thread) at once; the floats start at 0 and every addition adds 1.0,
// so the floats' sum is the number of additions that landed.
template <class Body>
Lost two_threads(std::vector<float>& shared, double additions, Body body) {
  std::fill(shared.begin(), shared.end(), 0.0f);
  std::atomic<int> ready{0};
  const auto t0 = Clock::now();
  {
    auto run = [&](int t) {
      ++ready;
      while (ready.load() < 2) std::this_thread::yield();  // start together, so they overlap
      body(t);
    };
    std::jthread a(run, 0), b(run, 1);
  }
  Lost r;
  r.seconds = lesson::seconds_since(t0);
  double sum = 0;
  for (float f : shared) sum += f;
  r.made = additions;
  r.lost = additions - sum;
  return r;
}

bool lost_updates(int rounds) {
  constexpr int kDense = 64, kSparse = 1 << 16, kPicks = 8;
  fmt::print("1. Lost updates: 2 threads, {} float additions each, through std::atomic_ref<float>, relaxed\n\n",
             rounds * kDense);
  fmt::print("{:<44} {:>12} {:>9} {:>13}\n", "update", "lost", "lost %", "ns/addition");
  std::vector<float> dense(kDense), sparse(kSparse);
  const double made = 2.0 * rounds * kDense;
  auto dense_with = [&](void (*add)(float&, float)) {
    return two_threads(dense, made, [&](int) {
      for (int r = 0; r < rounds; ++r)
        for (float& w : dense) add(w, 1.0f);
    });
  };
  const Lost ls = dense_with(add_load_store), fa = dense_with(add_fetch_add);
  const Lost sp = two_threads(sparse, made, [&](int t) {
    std::mt19937 pick(std::uint32_t(t + 1));  // each thread its own stream of "features"
    for (int u = 0; u < rounds * kDense / kPicks; ++u)
      for (int k = 0; k < kPicks; ++k) add_load_store(sparse[pick() % kSparse], 1.0f);
  });
  auto row = [&](const char* what, const Lost& l) {
    fmt::print("{:<44} {:>12.0f} {:>8.3f}% {:>13.1f}\n", what, l.lost, 100.0 * l.lost / l.made,
               1e9 * l.seconds / (l.made / 2));
  };
  row("dense, load + store (hogwild's update)", ls);
  row("dense, fetch_add", fa);
  row("sparse, load + store (8 random of 65536)", sp);
  fmt::print("\n");
  return fa.lost == 0;  // one read-modify-write never loses an addition
}

// ---- 2. Time to accuracy ----

struct Setup {
  double target = 0;   // test accuracy to reach
  int every = 0;       // evaluate every K steps
  int max_epochs = 0;  // a run that has not reached the target by then is "not reached"
};

bool time_to_target(const gd::DataSplit& data, const Setup& s) {
  struct Contender {
    const char* pattern;
    int threads;
    std::vector<gd::AccuracyRun> runs;
  };
  std::vector<Contender> cs = {{"sequential", 1, {}}, {"thread_pool", 2, {}}, {"hogwild", 2, {}}};
  fmt::print(
      "2. Time to {:.0f}% test accuracy: {} ({} train, {} test samples), 784-256-128-10, batch 256,\n"
      "test set evaluated every {} steps inside the clock, at most {} epochs; {} run(s) each, seeds 1..{},\n"
      "interleaved; {} CPUs\n\n",
      100 * s.target, data.train.name, data.train.size(), data.test.size(), s.every, s.max_epochs, gd::kAccuracyRuns,
      gd::kAccuracyRuns, std::thread::hardware_concurrency());
  // The runs of gdlab matrix --target-accuracy (shared/measure/accuracy.hpp), interleaved.
  gd::AccuracyPlan plan;
  plan.spec = gd::ModelSpec{{784, 256, 128, 10}};
  plan.batch = 256;
  plan.shards = gd::default_shards(256);
  plan.target = s.target;
  plan.eval_every = s.every;
  plan.epochs = s.max_epochs;
  for (int r = 0; r < gd::kAccuracyRuns; ++r)
    for (Contender& c : cs) {
      auto pattern = gd::find_pattern(c.pattern).make(c.threads);  // set-up, outside the run's clock
      c.runs.push_back(gd::run_to_accuracy(*pattern, plan, data.train, data.test, std::uint64_t(r + 1)).value());
    }

  fmt::print("{:<12} {:>2}  {:<34} {:>8}  {:<26} {:>8} {:>6}\n", "pattern", "p", "seconds to target, run by run",
             "score s", "steps to target", "ms/step", "eval");
  for (const Contender& c : cs) {
    std::string secs, steps;
    double train_s = 0, eval_s = 0, total_s = 0;
    long all_steps = 0;
    for (const gd::AccuracyRun& r : c.runs) {
      secs += r.reached ? fmt::format("{:>6.2f}", r.seconds) : "   n/r";
      steps += r.reached ? fmt::format("{:>5}", r.steps) : "  n/r";
      train_s += r.seconds - r.eval_seconds;
      eval_s += r.eval_seconds;
      total_s += r.seconds;
      all_steps += r.steps;
    }
    const std::optional<double> sc = gd::accuracy_score(c.runs);
    fmt::print("{:<12} {:>2}  {:<34} {:>8}  {:<26} {:>8.2f} {:>5.0f}%\n", c.pattern, c.threads, secs,
               sc ? fmt::format("{:.2f}", *sc) : "not reached", steps, 1e3 * train_s / double(all_steps),
               100 * eval_s / total_s);
  }
  fmt::print(
      "\nn/r: not reached within {} epochs. score: the mean of the runs left after dropping the fastest and\n"
      "the slowest. ms/step: the runs' time outside the evaluations per step; eval: the evaluations' share\n"
      "of the time.\n",
      s.max_epochs);

  // thread_pool is deterministic: with the same seed it makes sequential's weights, bit for
  // bit, so it must reach the target at the same step with the same accuracy.
  bool same = true;
  for (int r = 0; r < gd::kAccuracyRuns; ++r)
    same = same && cs[0].runs[std::size_t(r)].steps == cs[1].runs[std::size_t(r)].steps &&
           cs[0].runs[std::size_t(r)].accuracy == cs[1].runs[std::size_t(r)].accuracy;
  fmt::print("thread_pool {} sequential's steps and accuracies in every run{}\n", same ? "made" : "did NOT make",
             same ? " (the same weights, bit for bit)" : "");
  return same;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const bool exact = lost_updates(quick ? 20000 : 200000);

  gd::DataSplit data;
  Setup s;
  if (!quick && std::filesystem::exists(gd::kFashionMnistDir)) {
    data = gd::load_data("fashion-mnist", 1);
    s = {0.84, 50, 10};
  } else {
    data = gd::make_synthetic(1, quick ? 4096 : 60000, quick ? 1000 : 10000);
    s = quick ? Setup{0.60, 4, 10} : Setup{0.77, 50, 10};
  }
  const bool same = time_to_target(data, s);
  return exact && same ? 0 : 1;
}
