// hogwild - asynchronous SGD without a lock (Niu, Recht, Re and Wright, 2011): p threads,
// p-1 of them in the project's pool (shared/train/thread_pool.hpp) plus the caller. Thread
// t's mini-batches are its block of shards of every batch (shard_block(t, p)): a fixed
// stream of its own. It copies the shared weights into a private snapshot, runs its shards
// against the snapshot, and at once applies its own momentum update to the shared weights,
// with no combine, no lock and no barrier between the threads: the only meeting is the end
// of Pattern::step, where the trainer hands over the next batch.
//
// Not deterministic, by design. Each thread's gradient is scaled by the whole batch (as a
// shard's is), and the threads' velocities add up to sequential's, so without overlap the
// p updates would add up to sequential's one step. With overlap, two things differ:
//   stale:  a thread's gradient comes from weights that another thread's update has since
//           changed (it took its snapshot before that update landed, or halfway through it);
//   lost:   an update is a load then a store of each float, not one atomic read-modify-
//           write, so when two threads write the same float at the same time one of the two
//           changes can vanish.
// On a sparse problem the threads rarely touch the same weights, so both are rare; on this
// dense MLP every update writes every weight, so both happen on every step (lesson 19).
//
// Every access to the shared weights while the threads run goes through
// std::atomic_ref<float> with relaxed order: a data race is undefined behaviour in C++ even
// where the hardware would tolerate it, and relaxed atomics cost the same plain loads and
// stores on x86. That is also why each thread copies a snapshot: the kernel library reads
// the weights with plain loads, which another thread's stores would race with.
//
// A failed shard stops its own thread's update only: other threads' updates of that step
// may have landed already, as they would in any asynchronous trainer.
// Per step it pays: p-1 task submissions (a lock and a notify each) and as many future
// waits, and one copy of the weights per thread (the snapshot).
#include <atomic>
#include <future>
#include <memory>
#include <vector>

#include "train/pattern.hpp"
#include "train/thread_pool.hpp"

namespace gd {

class HogwildPattern final : public Pattern {
 public:
  explicit HogwildPattern(int threads) : pool_(threads - 1), mine_(std::size_t(threads)) {}

  // [lesson:hogwild_step]
  void step(Step& step) override {
    const int p = int(mine_.size());
    std::vector<std::future<void>> futures;
    for (int t = 1; t < p; ++t) futures.push_back(pool_.submit([&step, t, this] { train_share(step, t); }));
    std::exception_ptr mine_failed;
    try {
      train_share(step, 0);  // the caller's share, while the pool runs the others
    } catch (...) {
      mine_failed = std::current_exception();
    }
    for (auto& f : futures) f.wait();  // no thread may still touch the step after it returns
    if (mine_failed) std::rethrow_exception(mine_failed);
    for (auto& f : futures) f.get();  // the lowest share's error: the lowest shard's
  }

 private:
  void train_share(Step& step, int t) {
    auto [first, last] = step.shard_block(t, int(mine_.size()));
    if (first == last) return;
    Private& me = mine_[std::size_t(t)];
    const std::size_t n = step.param_floats();
    float* shared = step.weights();
    if (!me.snapshot) me.snapshot = std::make_unique<Model>(step.model_spec()), me.velocity = Params::Zero(n);
    float* snap = me.snapshot->w.data();
    for (std::size_t i = 0; i < n; ++i) snap[i] = std::atomic_ref<float>(shared[i]).load(std::memory_order_relaxed);

    for (int s = first; s < last; ++s) step.run_shard_with(s, *me.snapshot);

    // The update: this thread's gradient (its shards' sum, added up in its first shard's
    // buffer, which only this thread touches), its share of the weight decay, then each
    // shared float loaded, moved and stored, with no lock.
    BusyClock::Scope timed(step.busy);
    float* g = step.shard_gradient(first);
    for (int s = first + 1; s < last; ++s) {
      const float* more = step.shard_gradient(s);
      for (std::size_t i = 0; i < n; ++i) g[i] += more[i];
    }
    const Hyper h = step.hyper();
    const float decay = h.weight_decay * float(samples(step, first, last)) / float(step.samples());
    float* v = me.velocity.data();
    for (std::size_t i = 0; i < n; ++i) {
      std::atomic_ref<float> w(shared[i]);
      const float now = w.load(std::memory_order_relaxed);
      v[i] = h.momentum * v[i] + (g[i] + decay * now);
      w.store(now - h.lr * v[i], std::memory_order_relaxed);
    }
  }
  // [/lesson:hogwild_step]

  static int samples(const Step& step, int first, int last) {
    int n = 0;
    for (int s = first; s < last; ++s) n += step.shard_range(s).second;
    return n;
  }

  struct Private {  // one thread's own: its snapshot of the weights and its momentum
    std::unique_ptr<Model> snapshot;
    Params velocity;
  };
  ThreadPool pool_;
  std::vector<Private> mine_;
};

std::unique_ptr<Pattern> make_hogwild(int threads) { return std::make_unique<HogwildPattern>(threads); }

}  // namespace gd
