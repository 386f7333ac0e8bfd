// Stress: every pattern at 1 to 16 threads (up to 8x oversubscribed on 2 cores) for
// 1000 steps of tiny shards (2 samples each), where synchronisation, not arithmetic,
// is all a step does. Every run must finish, and the deterministic patterns must match
// sequential bit for bit after every epoch along the way.
#include <gtest/gtest.h>

#include "data.hpp"
#include "registry.hpp"
#include "trainer.hpp"
#include "watchdog.hpp"

using namespace gd;
using namespace std::chrono_literals;

namespace {

constexpr int kSteps = 1000;

// Weights checksum after each epoch of a run long enough to take kSteps steps.
std::vector<std::uint64_t> run(const std::string& pattern, int threads) {
  static const DataSplit d = make_xor(9);  // 400 samples: 13 steps of 32 per epoch
  Model m({{2, 8, 2}, Activation::tanh});
  m.init(5);
  TrainConfig cfg;
  cfg.batch = 32;
  cfg.shards = 16;
  cfg.hyper = {0.05f, 0.9f, 0.0f};
  Trainer t(m, d.train, cfg);
  auto p = find_pattern(pattern).make(threads);
  std::vector<std::uint64_t> sums;
  for (long steps = 0; steps < kSteps;) {
    steps += t.epoch(*p).steps;
    sums.push_back(m.checksum());
  }
  return sums;
}

class Stress : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(Stress, OneToSixteenThreadsThousandStepsTinyShards) {
  const PatternInfo& info = find_pattern(GetParam());
  static const std::vector<std::uint64_t> reference = run("sequential", 1);
  for (int threads = 1; threads <= 16; ++threads) {
    if (info.name == "sequential" && threads > 1) break;
    gdtest::Watchdog dog(GetParam() + " at " + std::to_string(threads) + " threads", 120s);
    const std::vector<std::uint64_t> got = run(GetParam(), threads);
    ASSERT_EQ(got.size(), reference.size());
    if (!info.deterministic) continue;
    for (std::size_t e = 0; e < got.size(); ++e)
      ASSERT_EQ(got[e], reference[e]) << threads << " threads: weights differ after epoch " << e + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(Patterns, Stress, ::testing::ValuesIn([] {
                           std::vector<std::string> all;
                           for (const auto& p : all_patterns()) all.emplace_back(p.name);
                           return all;
                         }()),
                         [](const auto& i) { return i.param; });
