// boost_thread - Boost.Thread: a boost::thread_group of p persistent threads and a
// boost::barrier of p+1 (the workers and the caller) that separates the phases.
//
// Deterministic. Diff against thread_condvar.cpp: the same schedule, with the barrier
// from the library instead of written by hand. boost::thread_group maps to a vector of
// std::thread (or std::jthread), boost::barrier to std::barrier.
// Per step it pays: three barrier rounds of p+1 threads.
#include <boost/thread/barrier.hpp>
#include <boost/thread/thread.hpp>
#include <memory>

#include "first_error.hpp"
#include "pattern.hpp"

namespace gd {

class BoostThread final : public Pattern {
 public:
  // [lesson:boost_setup]
  explicit BoostThread(int threads) : p_(threads), barrier_(unsigned(threads + 1)) {
    for (int t = 0; t < p_; ++t) group_.create_thread([this, t] { work(t); });
  }
  // [/lesson:boost_setup]

  ~BoostThread() override {
    stop_ = true;
    barrier_.wait();
    group_.join_all();
  }

  void step(Step& step) override {
    step_ = &step;
    barrier_.wait();  // go: map phase
    barrier_.wait();  // every shard done
    barrier_.wait();  // every slice done
    errors_.rethrow();
  }

 private:
  // [lesson:boost_work]
  void work(int t) {
    for (;;) {
      barrier_.wait();
      if (stop_) return;
      Step& step = *step_;
      for (int s = t; s < step.shards(); s += p_) {
        try {
          step.run_shard(s);
        } catch (...) {
          errors_.capture(s, std::current_exception());
        }
      }
      barrier_.wait();
      if (!errors_.failed())
        for (int k = t; k < step.slices(); k += p_) {
          step.combine_slice(k);
          step.update_slice(k);
        }
      barrier_.wait();
    }
  }
  // [/lesson:boost_work]

  int p_;
  boost::barrier barrier_;
  boost::thread_group group_;
  Step* step_ = nullptr;
  bool stop_ = false;
  FirstError errors_;
};

std::unique_ptr<Pattern> make_boost_thread(int threads) { return std::make_unique<BoostThread>(threads); }

}  // namespace gd
