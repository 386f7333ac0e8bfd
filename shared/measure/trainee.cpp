#include "measure/trainee.hpp"

#include <numeric>

#include "train/error.hpp"
#include "train/trainer.hpp"

namespace gd {

namespace {
Model initialised(const ModelSpec& spec, std::uint64_t seed) {
  Model m(spec);
  m.init(seed);
  return m;
}
}  // namespace

Trainee::Trainee(const ModelSpec& spec, std::uint64_t seed, const Dataset& train, std::vector<int> order_, int batch_,
                 int shards, Hyper hyper, int blocks)
    : model(initialised(spec, seed)),
      step(model, train, batch_, shards, hyper, blocks),
      order(std::move(order_)),
      batch(batch_) {
  if (order.size() < std::size_t(batch))
    throw UsageError("a batch of " + std::to_string(batch) + " is larger than the " + std::to_string(order.size()) +
                     " samples of the order");
}

void Trainee::prepare_next() {
  const long runs = long(order.size()) / batch;
  step.prepare(order.data() + (next++ % runs) * batch, batch);
}

double Trainee::run_step(Pattern& pattern) {
  prepare_next();
  pattern.step(step);
  return step.totals().loss;
}

std::vector<int> shuffled_order(std::size_t n, std::uint64_t seed) {
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), 0);
  shuffle_indices(v, seed);
  return v;
}

}  // namespace gd
