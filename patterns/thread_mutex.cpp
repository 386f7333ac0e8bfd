// thread_mutex - raw threads (std::jthread) started for every step; a std::mutex
// guards one shared gradient that every thread adds its shard gradients into.
//
// NOT deterministic: the shards are added in whatever order the threads arrive, and
// float addition is not associative, so the last bits of the weights change from run
// to run. That is the lesson (lesson 03); diff against thread_condvar.cpp, which keeps
// the threads and combines by a fixed tree instead.
// Per step it pays: p thread spawns and joins, each new thread paging in its stack again; a
// whole gradient added under the mutex per shard, while the other threads wait to add
// theirs (bench_primitives prices the spawns, reports/2core-full has the figures).
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "train/first_error.hpp"
#include "train/pattern.hpp"

namespace gd {

class ThreadMutex final : public Pattern {
 public:
  explicit ThreadMutex(int threads) : p_(threads) {}

  void step(Step& step) override {
    step.clear_gradient();
    FirstError errors;
    {
      // [lesson:spawn_per_step]
      std::vector<std::jthread> workers;  // jthread joins on destruction, even if a later spawn throws
      for (int t = 0; t < p_; ++t)
        workers.emplace_back([&, t] {
          for (int s = t; s < step.shards(); s += p_) {
            try {
              step.run_shard(s);
            } catch (...) {
              errors.capture(s, std::current_exception());
              continue;
            }
            // [lesson:arrival_order]
            std::lock_guard lock(m_);  // one thread at a time adds into the shared gradient
            step.add_shard_to_gradient(s);
            // [/lesson:arrival_order]
          }
        });
    }  // all joined here
       // [/lesson:spawn_per_step]
    errors.rethrow();
    for (int k = 0; k < step.slices(); ++k) step.update_slice(k);
  }

 private:
  int p_;
  std::mutex m_;
};

std::unique_ptr<Pattern> make_thread_mutex(int threads) { return std::make_unique<ThreadMutex>(threads); }

}  // namespace gd
