// The trainer with the sequential pattern: it learns, it is reproducible, shards matter.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "registry.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "train/trainer.hpp"

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

TEST(Trainer, SyntheticReachesItsStatedTarget) {
  // README: with the defaults (784-256-128-10, batch 256, 4 shards, lr 0.05, momentum
  // 0.9, seed 1) at least 60% test accuracy after one epoch and 75% after three;
  // chance is 10%, and the set is not trivial (below 95%).
  DataSplit d = make_synthetic(1);
  Model m({{784, 256, 128, 10}});
  m.init(1);
  Trainer t(m, d.train, TrainConfig{});
  auto p = find_pattern("sequential").make(1);
  t.epoch(*p);
  const double one = t.evaluate(d.test).accuracy;
  EXPECT_GE(one, 0.60);
  t.epoch(*p);
  t.epoch(*p);
  const double three = t.evaluate(d.test).accuracy;
  EXPECT_GE(three, 0.75);
  EXPECT_LT(three, 0.95);
}

TEST(Trainer, ShardedGradientEqualsUnshardedWithinRounding) {
  DataSplit d = make_synthetic(4, 512, 10);
  std::vector<int> idx(256);
  for (int i = 0; i < 256; ++i) idx[i] = i;
  auto gradient = [&](int shards) {
    Model m({{784, 64, 10}});
    m.init(2);
    Step step(m, d.train, 256, shards, {});
    step.prepare(idx.data(), 256);
    for (int s = 0; s < step.shards(); ++s) step.run_shard(s);
    for (int k = 0; k < step.slices(); ++k) step.combine_slice(k);
    return Params(Eigen::Map<const Params>(step.summed_gradient(0), Eigen::Index(step.param_floats())));
  };
  const Params one = gradient(1);
  const float scale = one.cwiseAbs().maxCoeff();
  for (int shards : {2, 4, 7, 16}) {
    const Params g = gradient(shards);
    // Float sums of up to 256 terms in another order: a few ulps of the largest entry.
    EXPECT_LE((g - one).cwiseAbs().maxCoeff(), 1e-5f * scale) << shards << " shards";
  }
}

// The combine sums the shards by the tree documented in step.hpp, and a thread that
// folds its block early (run_shards) changes nothing: every way of cutting 7 shards into
// contiguous blocks gives the same bits as mapping them one by one.
TEST(Step, FoldingAnyBlocksGivesTheTreeSumBitForBit) {
  DataSplit d = make_synthetic(4, 512, 10);
  std::vector<int> idx(70);
  for (int i = 0; i < 70; ++i) idx[i] = 3 * i;
  constexpr int S = 7;
  auto gradient = [&](unsigned cuts, Params* shard_sums) {  // bit j of cuts: a block ends after shard j
    Model m({{784, 32, 10}});
    m.init(2);
    Step step(m, d.train, 70, S, {});
    step.prepare(idx.data(), 70);
    if (shard_sums) {
      for (int s = 0; s < S; ++s) step.run_shard(s);
      for (int s = 0; s < S; ++s)
        shard_sums[s] = Eigen::Map<Params>(step.shard_gradient(s), Eigen::Index(step.param_floats()));
    } else {
      for (int first = 0, s = 0; s < S; ++s)
        if (s == S - 1 || (cuts >> s & 1u)) {
          step.run_shards(first, s + 1);
          first = s + 1;
        }
    }
    for (int k = 0; k < step.slices(); ++k) step.combine_slice(k);
    return Params(Eigen::Map<const Params>(step.summed_gradient(0), Eigen::Index(step.param_floats())));
  };
  Params shard[S];
  const Params unfolded = gradient(0, shard);
  // The tree written out: [a, b) = [a, m) + [m, b), m = (a + b + 1) / 2.
  std::function<Params(int, int)> tree = [&](int a, int b) -> Params {
    if (b - a == 1) return shard[a];
    const int m = a + (b - a + 1) / 2;
    return tree(a, m) + tree(m, b);
  };
  const Params want = tree(0, S);
  ASSERT_EQ(std::memcmp(unfolded.data(), want.data(), sizeof(float) * std::size_t(want.size())), 0);
  const Params in_order = shard[0] + shard[1] + shard[2] + shard[3] + shard[4] + shard[5] + shard[6];
  EXPECT_NE(std::memcmp(in_order.data(), want.data(), sizeof(float) * std::size_t(want.size())), 0)
      << "the data should tell the tree from a left-to-right sum";
  for (unsigned cuts = 0; cuts < (1u << (S - 1)); ++cuts) {
    const Params got = gradient(cuts, nullptr);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), sizeof(float) * std::size_t(want.size())), 0) << "cuts " << cuts;
  }
}

// update_block(j) for every block j sums and updates exactly what the slices' combine and
// update do, bit for bit: at one shard and at several (the tree), with blocks that do not
// divide a layer evenly (5 blocks of 37, 16 and 10 neurons), for two steps (so the
// momentum of the first one counts in the second).
TEST(Step, UpdatingByBlocksEqualsUpdatingBySlicesBitForBit) {
  DataSplit d = make_synthetic(4, 512, 10);
  std::vector<int> idx(60);
  for (int i = 0; i < 60; ++i) idx[i] = 7 * i;
  for (int shards : {1, 3, 4})
    for (int blocks : {1, 2, 5}) {
      auto train = [&](bool by_blocks) {
        Model m({{784, 37, 16, 10}});
        m.init(3);
        Step step(m, d.train, 60, shards, Hyper{0.05f, 0.9f, 1e-4f}, blocks);
        for (int t = 0; t < 2; ++t) {
          step.prepare(idx.data() + 30 * t, 30);
          for (int s = 0; s < step.shards(); ++s) step.run_shard(s);
          if (by_blocks)
            for (int j = 0; j < step.blocks(); ++j) step.update_block(j);
          else
            for (int k = 0; k < step.slices(); ++k) step.combine_slice(k), step.update_slice(k);
        }
        return m.w;
      };
      const Params slices = train(false), by_blocks = train(true);
      EXPECT_EQ(std::memcmp(slices.data(), by_blocks.data(), sizeof(float) * std::size_t(slices.size())), 0)
          << shards << " shards, " << blocks << " blocks";
      EXPECT_GT(slices.cwiseAbs().maxCoeff(), 0.0f);
    }
}

// shard_block(t, p) splits the shards into p contiguous blocks in order, sizes differing by
// at most one, thread 0 taking a full one (a single shard goes to thread 0, not to p - 1).
TEST(Step, ShardBlocksSplitTheShardsEvenlyInOrder) {
  DataSplit d = make_synthetic(4, 64, 10);
  Model m({{784, 8, 10}});
  for (int S : {1, 2, 3, 4, 5, 7, 8, 16}) {
    Step step(m, d.train, 64, S, {});
    for (int p = 1; p <= 20; ++p) {
      int next = 0;
      for (int t = 0; t < p; ++t) {
        auto [first, last] = step.shard_block(t, p);
        EXPECT_EQ(first, next) << S << " shards, " << p << " threads, t " << t;
        EXPECT_GE(last - first, S / p) << S << " shards, " << p << " threads, t " << t;
        EXPECT_LE(last - first, (S + p - 1) / p) << S << " shards, " << p << " threads, t " << t;
        if (t == 0) {
          EXPECT_EQ(last, (S + p - 1) / p) << "thread 0 (often the caller) takes a full block";
        }
        next = last;
      }
      EXPECT_EQ(next, S);
    }
  }
}

// A block that is a node of the tree is added up in place: with 4 shards on 2 threads,
// buffer 0 holds g0 + g1 and buffer 2 holds g2 + g3 once run_shards returns.
TEST(Step, RunShardsFoldsItsBlockIntoItsFirstBuffer) {
  DataSplit d = make_synthetic(4, 512, 10);
  std::vector<int> idx(64);
  for (int i = 0; i < 64; ++i) idx[i] = 5 * i;
  Model m({{784, 16, 10}});
  m.init(3);
  Step step(m, d.train, 64, 4, {});
  step.prepare(idx.data(), 64);
  const auto n = Eigen::Index(step.param_floats());
  Params g[4];
  for (int s = 0; s < 4; ++s) {
    step.run_shard(s);
    g[s] = Eigen::Map<Params>(step.shard_gradient(s), n);
  }
  for (int t = 0; t < 2; ++t) {
    auto [first, last] = step.shard_block(t, 2);
    step.run_shards(first, last);
    const Params want = g[first] + g[first + 1];
    EXPECT_EQ(std::memcmp(step.shard_gradient(first), want.data(), sizeof(float) * std::size_t(n)), 0) << "block " << t;
  }
}

TEST(Trainer, LearnsTheClassics) {
  Outcome x = train(make_xor(1), {{2, 8, 2}, Activation::tanh}, 16, 1, 30, {0.1f, 0.9f, 0});
  EXPECT_EQ(x.test_accuracy, 1.0);
  Outcome s = train(make_spirals(1), {{2, 32, 32, 2}}, 32, 1, 60, {0.05f, 0.9f, 0});
  EXPECT_GE(s.test_accuracy, 0.95);
  DataSplit lin = make_linear(1);
  Model m({{8, 16, 1}, Activation::relu, Loss::mse});
  m.init(1);
  TrainConfig cfg;
  cfg.batch = 32;
  cfg.shards = default_shards(32);
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
  cfg.shards = 0;  // the core takes real counts only: the CLI resolves "no --shards"
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
