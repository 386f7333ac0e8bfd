// boost_thread - Boost.Thread: the caller and a boost::thread_group of p-1 persistent
// threads share each phase; a boost::barrier of p separates the phases.
//
// Deterministic. Diff against thread_condvar.cpp: the same schedule, with the barrier
// from the library instead of written by hand. boost::thread_group maps to a vector of
// std::thread (or std::jthread), boost::barrier to std::barrier.
// Per step it pays: three rounds of a boost::barrier of p threads.
#include <boost/thread/barrier.hpp>
#include <boost/thread/thread.hpp>
#include <memory>

#include "train/first_error.hpp"
#include "train/pattern.hpp"

namespace gd {

class BoostThread final : public Pattern {
 public:
  // [lesson:boost_setup]
  explicit BoostThread(int threads) : p_(threads), barrier_(unsigned(threads)) {
    for (int t = 1; t < p_; ++t) group_.create_thread([this, t] { work(t); });
  }
  // [/lesson:boost_setup]

  ~BoostThread() override {
    stop_ = true;
    barrier_.wait();
    group_.join_all();
  }

  // [lesson:boost_work]
  void step(Step& step) override {
    step_ = &step;
    barrier_.wait();  // go: the workers start this step
    phases(0);        // the caller does worker 0's share
    errors_.rethrow();
  }

 private:
  void work(int t) {  // workers 1 .. p-1, one step per iteration
    for (;;) {
      barrier_.wait();
      if (stop_) return;
      phases(t);
    }
  }

  void phases(int t) {
    Step& step = *step_;
    auto [first, last] = step.shard_block(t, p_);  // this thread's shards
    try {
      step.run_shards(first, last);
    } catch (...) {
      errors_.capture(first, std::current_exception());
    }
    barrier_.wait();  // every shard done
    if (!errors_.failed())
      for (int k = t; k < step.slices(); k += p_) {
        step.combine_slice(k);
        step.update_slice(k);
      }
    barrier_.wait();  // every slice done
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
