// The trainer with the sequential pattern: it learns, it is reproducible, shards matter.
#include <gtest/gtest.h>

#include "data.hpp"
#include "error.hpp"
#include "registry.hpp"
#include "trainer.hpp"

using namespace gd;

namespace {
struct Outcome {
  std::uint64_t checksum;
  EpochStats last;
  double test_accuracy;
};

Outcome train(const DataSplit& d, ModelSpec spec, int batch, int shards, int epochs, Hyper h = {}, long max_steps = 0) {
  Model m(spec);
  m.init(1);
  TrainConfig cfg;
  cfg.batch = batch;
  cfg.shards = shards;
  cfg.hyper = h;
  cfg.max_steps = max_steps;
  Trainer t(m, d.train, cfg);
  auto p = find_pattern("sequential").make(1);
  Outcome r{};
  for (int e = 0; e < epochs; ++e) r.last = t.epoch(*p);
  r.test_accuracy = t.evaluate(d.test).accuracy;
  r.checksum = m.checksum();
  return r;
}
}  // namespace

TEST(Trainer, SyntheticIsLearnableInOneEpoch) {
  DataSplit d = make_synthetic(1, 6000, 1000);
  Outcome r = train(d, {{784, 64, 10}}, 64, 1, 1);
  EXPECT_GT(r.test_accuracy, 0.6) << "chance is 0.1";
  EXPECT_LT(r.test_accuracy, 0.999) << "the synthetic set should not be trivial";
}

TEST(Trainer, LearnsTheClassics) {
  Outcome x = train(make_xor(1), {{2, 8, 2}, Activation::tanh}, 16, 1, 30, {0.1f, 0.9f, 0});
  EXPECT_GT(x.test_accuracy, 0.97);
  Outcome s = train(make_spirals(1), {{2, 32, 32, 2}}, 32, 1, 60, {0.05f, 0.9f, 0});
  EXPECT_GT(s.test_accuracy, 0.9);
  DataSplit lin = make_linear(1);
  Model m({{8, 16, 1}, Activation::relu, Loss::mse});
  m.init(1);
  TrainConfig cfg;
  cfg.batch = 32;
  cfg.hyper = {0.01f, 0.9f, 0};
  Trainer t(m, lin.train, cfg);
  auto p = find_pattern("sequential").make(1);
  double first = t.evaluate(lin.test).loss;
  for (int e = 0; e < 20; ++e) t.epoch(*p);
  EXPECT_LT(t.evaluate(lin.test).loss, 0.05 * first);
}

TEST(Trainer, SameSeedSameWeightsBitForBit) {
  DataSplit d = make_synthetic(2, 1000, 100);
  Outcome a = train(d, {{784, 32, 10}}, 100, 4, 2);
  Outcome b = train(d, {{784, 32, 10}}, 100, 4, 2);
  EXPECT_EQ(a.checksum, b.checksum);
}

TEST(Trainer, ShardCountChangesRoundingNotLearning) {
  DataSplit d = make_synthetic(2, 2000, 500);
  Outcome a = train(d, {{784, 32, 10}}, 128, 1, 1);
  Outcome b = train(d, {{784, 32, 10}}, 128, 4, 1);
  EXPECT_NE(a.checksum, b.checksum) << "a different shard count sums in a different order";
  EXPECT_NEAR(a.last.loss, b.last.loss, 1e-3);
  EXPECT_NEAR(a.test_accuracy, b.test_accuracy, 0.02);
}

TEST(Trainer, PartialLastBatchAndSmallShards) {
  DataSplit d = make_synthetic(3, 1000, 100);  // 1000 = 3 x 300 + 100
  Outcome r = train(d, {{784, 16, 10}}, 300, 7, 1);
  EXPECT_EQ(r.last.steps, 4);
  EXPECT_EQ(r.last.samples, 1000);
}

TEST(Trainer, BadConfigurationIsAUsageError) {
  DataSplit d = make_xor(1);
  Model m({{2, 4, 2}});
  TrainConfig cfg;
  cfg.batch = 4;
  cfg.shards = 5;
  EXPECT_THROW(Trainer(m, d.train, cfg), UsageError);
  Model wrong({{3, 4, 2}});
  cfg.shards = 1;
  EXPECT_THROW(Trainer(wrong, d.train, cfg), UsageError);
  EXPECT_THROW(find_pattern("nope"), UsageError);
  EXPECT_THROW(find_pattern("sequential").make(2), UsageError);
}

TEST(Trainer, DefaultShardsKeepShardsAround64Samples) {
  EXPECT_EQ(default_shards(16), 1);
  EXPECT_EQ(default_shards(64), 1);
  EXPECT_EQ(default_shards(256), 4);
  EXPECT_EQ(default_shards(1024), 16);
}
