#include "train/trainer.hpp"

#include <chrono>
#include <numeric>
#include <random>
#include <string>

#include "train/error.hpp"

namespace gd {

void shuffle_indices(std::vector<int>& v, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

Trainer::Trainer(Model& model, const Dataset& train, TrainConfig cfg)
    : model_(model),
      train_(train),
      cfg_(cfg),
      step_(model, train, cfg.batch, cfg.shards, cfg.hyper, cfg.blocks),
      order_(train.size()),
      in_batch_(std::size_t(cfg.batch)) {
  std::iota(in_batch_.begin(), in_batch_.end(), 0);
  if (cfg.prefetch < 0 || cfg.prefetch > 1024) throw UsageError("--prefetch must be between 0 and 1024");
  check_augment(cfg.augment, train);
}

long Trainer::steps_per_epoch() const {
  long full = long((train_.size() + cfg_.batch - 1) / cfg_.batch);
  return cfg_.max_steps > 0 ? std::min(full, cfg_.max_steps) : full;
}

EpochStats Trainer::epoch(Pattern& pattern, const std::function<void(long, long)>& progress,
                          const std::function<bool()>& stop) {
  EpochStats st;
  st.epoch = ++epoch_;
  const auto t0 = std::chrono::steady_clock::now();  // the epoch's wall time counts the shuffle too
  std::iota(order_.begin(), order_.end(), 0);
  const std::uint64_t epoch_seed = cfg_.seed * 1000003ull + std::uint64_t(st.epoch);
  shuffle_indices(order_, epoch_seed);
  const long steps = steps_per_epoch();
  // With prefetch, a producer prepares the batches from here on (and stops when `ahead`
  // goes, at the end of the epoch or when a step throws).
  std::optional<Prefetcher> ahead;
  if (cfg_.prefetch > 0) ahead.emplace(train_, order_, cfg_.batch, steps, cfg_.augment, epoch_seed, cfg_.prefetch);
  std::chrono::steady_clock::duration preparing{};
  double loss = 0;
  long correct = 0;
  std::chrono::steady_clock::duration in_steps{};
  for (long k = 0; k < steps; ++k) {
    const std::size_t first = std::size_t(k) * cfg_.batch;
    const int n = int(std::min<std::size_t>(cfg_.batch, order_.size() - first));
    if (ahead) {
      step_.prepare(in_batch_.data(), n, &ahead->next());
    } else if (cfg_.augment != Augment::none) {
      const auto p0 = std::chrono::steady_clock::now();
      prepare_batch(train_, order_.data() + first, n, cfg_.augment, epoch_seed, long(first), prepared_);
      preparing += std::chrono::steady_clock::now() - p0;
      step_.prepare(in_batch_.data(), n, &prepared_);
    } else {
      step_.prepare(order_.data() + first, n);  // the step gathers straight from the data set
    }
    const auto s0 = std::chrono::steady_clock::now();
    pattern.step(step_);
    in_steps += std::chrono::steady_clock::now() - s0;
    if (ahead) ahead->release();
    ShardTotals t = step_.totals();
    loss += t.loss;
    correct += t.correct;
    st.samples += n;
    st.steps = k + 1;
    if (progress) progress(k + 1, steps);
    if (stop && stop()) {
      st.interrupted = true;
      break;
    }
  }
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  st.step_seconds = std::chrono::duration<double>(in_steps).count();
  st.prepare_seconds = ahead ? ahead->producer_seconds() : std::chrono::duration<double>(preparing).count();
  st.loss = st.samples ? loss / double(st.samples) : 0;
  st.train_accuracy = st.samples ? double(correct) / double(st.samples) : 0;
  st.samples_per_second = st.seconds > 0 ? double(st.samples) / st.seconds : 0;
  return st;
}

Evaluation evaluate(const Model& model, const Dataset& data) {
  constexpr int kChunk = 512;
  Workspace ws(model.spec, kChunk);
  std::vector<int> labels(kChunk), samples(kChunk);
  double loss = 0;
  long correct = 0;
  const int O = data.outputs;
  for (std::size_t first = 0; first < data.size(); first += kChunk) {
    const int n = int(std::min<std::size_t>(kChunk, data.size() - first));
    std::iota(samples.begin(), samples.begin() + n, int(first));
    put_samples(ws.a(0, n), 0, n, data.x.data(), samples.data());
    if (data.classification) std::copy_n(&data.labels[first], n, labels.data());
    const float* targets = data.classification ? nullptr : &data.targets[first * O];
    ShardTotals t = forward_backward(model, ws, n, labels.data(), targets, 1.0f, nullptr);
    loss += t.loss;
    correct += t.correct;
  }
  Evaluation e;
  if (data.size()) {
    e.loss = loss / double(data.size());
    e.accuracy = double(correct) / double(data.size());
  }
  return e;
}

}  // namespace gd
