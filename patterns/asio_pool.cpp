// asio_pool - the schedule of thread_pool.cpp on boost::asio::thread_pool: p-1 pool
// threads plus the caller; each phase posts shares 1 .. p-1 as handlers, the caller
// runs share 0, and a std::latch counts the posted ones home.
//
// Deterministic. Diff against thread_pool.cpp: Asio owns the queue and the threads;
// without futures, errors travel through a FirstError slot instead.
// Per step it pays: 2(p-1) posts to Asio's scheduler and two latch waits. A post wakes a
// pool thread that fell asleep in Asio's queue; the caller polls the latch for up to
// 200 us (shared/train/spin_wait.hpp) and sleeps only if its share finished long before.
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <latch>
#include <memory>

#include "train/first_error.hpp"
#include "train/pattern.hpp"
#include "train/spin_wait.hpp"

namespace gd {

class AsioPool final : public Pattern {
 public:
  explicit AsioPool(int threads)
      : p_(threads), spin_(spin_pays(threads)), pool_(std::size_t(threads - 1)) {}  // + the caller
  ~AsioPool() override { pool_.join(); }

  // [lesson:asio_step]
  void step(Step& step) override {
    FirstError errors;
    run_phase([&](int t) {  // map: share t is worker t's block of shards
      auto [first, last] = step.shard_block(t, p_);
      try {
        step.run_shards(first, last);
      } catch (...) {
        errors.capture(first, std::current_exception());
      }
    });
    errors.rethrow();
    run_phase([&](int t) {  // combine + update: every p-th slice from t
      for (int k = t; k < step.slices(); k += p_) {
        step.combine_slice(k);
        step.update_slice(k);
      }
    });
  }

 private:
  // Shares 1 .. p-1 are posted to the pool and counted home by a latch; the caller
  // runs share 0 itself meanwhile.
  template <class Share>
  void run_phase(const Share& share) {
    std::latch done(p_ - 1);
    for (int t = 1; t < p_; ++t)
      boost::asio::post(pool_, [&share, &done, t] {
        share(t);
        done.count_down();
      });
    share(0);
    if (spin_) spin_until([&done] { return done.try_wait(); });
    done.wait();
  }
  // [/lesson:asio_step]

  int p_;
  bool spin_;
  boost::asio::thread_pool pool_;
};

std::unique_ptr<Pattern> make_asio_pool(int threads) { return std::make_unique<AsioPool>(threads); }

}  // namespace gd
