// Batch preparation as a stage of its own: the augmentations, the bounded queue, the
// producer thread, and the pipeline's promise that it changes no weights.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>
#include <thread>

#include "registry.hpp"
#include "train/batches.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "train/trainer.hpp"
#include "watchdog.hpp"

using namespace gd;
using namespace std::chrono_literals;

namespace {

const DataSplit& data() {
  static const DataSplit d = make_synthetic(7, 1200, 100);
  return d;
}

// Two epochs of 784-24-10 at batch 96 in 3 shards with the given pattern and pipeline.
std::uint64_t train(const std::string& pattern, int threads, Augment augment, int prefetch) {
  Model m({{784, 24, 10}});
  m.init(3);
  TrainConfig cfg;
  cfg.batch = 96;
  cfg.shards = 3;
  cfg.augment = augment;
  cfg.prefetch = prefetch;
  Trainer t(m, data().train, cfg);
  gdtest::Watchdog dog(pattern + " with a pipeline", 60s);
  auto p = find_pattern(pattern).make(threads);
  for (int e = 0; e < 2; ++e) t.epoch(*p);
  return m.checksum();
}

// One 28 x 28 image, black but for the pixels `lit` says.
Dataset one_image(const std::function<bool(int, int)>& lit) {
  Dataset d;
  d.name = "one image";
  d.features = 784;
  d.width = d.height = 28;
  d.outputs = 10;
  d.x.assign(784, 0.0f);
  d.labels = {3};
  for (int r = 0; r < 28; ++r)
    for (int c = 0; c < 28; ++c)
      if (lit(r, c)) d.x[std::size_t(r * 28 + c)] = 1.0f;
  return d;
}

}  // namespace

// With the producer or without it, the same batches, so the same weights bit for bit: for
// sequential and two thread patterns, without augmentation and with each kind. And the
// augmentations do change the batches (else this test could not tell them apart).
TEST(Pipeline, ChangesNoWeightsForAnyPattern) {
  std::set<std::uint64_t> per_augment;
  for (Augment a : {Augment::none, Augment::shift, Augment::affine}) {
    const std::uint64_t want = train("sequential", 1, a, 0);
    per_augment.insert(want);
    for (auto [pattern, threads] : {std::pair{"sequential", 1}, {"openmp", 2}, {"thread_pool", 3}})
      for (int prefetch : {0, 1, 4}) {
        EXPECT_EQ(train(pattern, threads, a, prefetch), want)
            << pattern << ", augment " << to_string(a) << ", prefetch " << prefetch;
      }
  }
  EXPECT_EQ(per_augment.size(), 3u) << "an augmentation left the batches as they were";
}

// A shift moves the whole image by up to 2 pixels each way, differently for each place in
// the epoch's order, and the same again for the same seed and place.
TEST(Pipeline, ShiftMovesAnImageByUpToTwoPixels) {
  const Dataset d = one_image([](int r, int c) { return r == 14 && c == 14; });
  const int order[] = {0};
  std::set<int> seen;
  for (long place = 0; place < 200; ++place) {
    Dataset out, again;
    prepare_batch(d, order, 1, Augment::shift, 5, place, out);
    prepare_batch(d, order, 1, Augment::shift, 5, place, again);
    EXPECT_EQ(out.x, again.x) << place;
    EXPECT_EQ(out.labels, std::vector<int>{3});
    int lit = 0, where = -1;
    for (int i = 0; i < 784; ++i)
      if (out.x[std::size_t(i)] == 1.0f) ++lit, where = i;
    ASSERT_EQ(lit, 1) << place;
    EXPECT_LE(std::abs(where / 28 - 14), 2) << place;
    EXPECT_LE(std::abs(where % 28 - 14), 2) << place;
    seen.insert(where);
  }
  EXPECT_EQ(seen.size(), 25u) << "every shift of up to 2 pixels each way, over 200 images";
}

// An affine change keeps the centre where it is, keeps pixels in [0, 1], and scales a disk's
// area by the square of a scale in 0.9-1.1, give or take the interpolation.
TEST(Pipeline, AffineRotatesAndScalesAboutTheCentre) {
  const Dataset d = one_image([](int r, int c) { return (r - 13.5) * (r - 13.5) + (c - 13.5) * (c - 13.5) < 36; });
  const int order[] = {0};
  double mass = 0;
  for (float v : d.x) mass += v;
  int changed = 0;
  for (long place = 0; place < 50; ++place) {
    Dataset out;
    prepare_batch(d, order, 1, Augment::affine, 9, place, out);
    double m = 0;
    for (float v : out.x) {
      EXPECT_GE(v, 0.0f);
      EXPECT_LE(v, 1.0f);
      m += v;
    }
    EXPECT_GT(out.x[14 * 28 + 14], 0.99f) << place;
    EXPECT_GT(m / mass, 0.81 * 0.9) << place;
    EXPECT_LT(m / mass, 1.21 * 1.1) << place;
    changed += out.x != d.x;
  }
  EXPECT_GE(changed, 45);
  Dataset xor_data = make_xor(1).train, out;
  const int first[] = {0};
  EXPECT_THROW(prepare_batch(xor_data, first, 1, Augment::affine, 1, 0, out), UsageError);
}

// The queue holds a producer back when it is full (the backpressure), and close() wakes a
// consumer waiting on an empty queue.
TEST(Pipeline, TheQueueHoldsTheProducerBackAndCloseWakesBothSides) {
  gdtest::Watchdog dog("the bounded queue", 30s);
  BoundedQueue<int> q(2);
  EXPECT_TRUE(q.push(1));
  EXPECT_TRUE(q.push(2));
  std::atomic<bool> pushed{false};
  std::jthread producer([&] {
    q.push(3);
    pushed = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(pushed) << "a push into a full queue went through";
  EXPECT_EQ(q.pop(), 1);
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(q.pop(), 2);
  EXPECT_EQ(q.pop(), 3);
  std::jthread consumer([&] { EXPECT_EQ(q.pop(), std::nullopt); });
  std::this_thread::sleep_for(50ms);
  q.close();
  consumer.join();
  EXPECT_FALSE(q.push(4));
}

// The producer's failure reaches the consumer, and a Prefetcher given up in the middle of
// an epoch stops its producer (the watchdog catches a hang).
TEST(Pipeline, AProducersFailureReachesTheConsumerAndStoppingNeverHangs) {
  gdtest::Watchdog dog("the prefetcher", 30s);
  const Dataset xor_data = make_xor(1).train;
  std::vector<int> order(xor_data.size());
  std::iota(order.begin(), order.end(), 0);
  {
    Prefetcher ahead(xor_data, order, 16, 4, Augment::shift, 1, 2);
    EXPECT_THROW(ahead.next(), UsageError);
  }
  std::vector<int> all(data().train.size());
  std::iota(all.begin(), all.end(), 0);
  for (int depth : {1, 3}) {
    Prefetcher ahead(data().train, all, 96, 12, Augment::affine, 1, depth);
    const Dataset& b = ahead.next();
    EXPECT_EQ(b.size(), 96u);
    ahead.release();
  }  // destroyed with the producer waiting for a free buffer, or still preparing
}
