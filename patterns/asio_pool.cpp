// asio_pool - the schedule of thread_pool.cpp on boost::asio::thread_pool: one posted
// handler per worker for its block of shards, then one per worker for the slices; a std::latch counts
// them home.
//
// Deterministic. Diff against thread_pool.cpp: Asio owns the queue and the threads;
// without futures, errors travel through a FirstError slot instead.
// Per step it pays: 2p posts to Asio's scheduler and two latch waits (the caller
// sleeps in each).
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <latch>
#include <memory>

#include "first_error.hpp"
#include "pattern.hpp"

namespace gd {

class AsioPool final : public Pattern {
 public:
  explicit AsioPool(int threads) : p_(threads), pool_(std::size_t(threads)) {}
  ~AsioPool() override { pool_.join(); }

  // [lesson:asio_step]
  void step(Step& step) override {
    FirstError errors;
    std::latch shards_done(p_);  // one handler per worker and phase
    for (int t = 0; t < p_; ++t)
      boost::asio::post(pool_, [&, t] {
        auto [first, last] = step.shard_block(t, p_);
        try {
          step.run_shards(first, last);
        } catch (...) {
          errors.capture(first, std::current_exception());
        }
        shards_done.count_down();
      });
    shards_done.wait();
    errors.rethrow();

    std::latch slices_done(p_);
    for (int t = 0; t < p_; ++t)
      boost::asio::post(pool_, [&, t] {
        for (int k = t; k < step.slices(); k += p_) {
          step.combine_slice(k);
          step.update_slice(k);
        }
        slices_done.count_down();
      });
    slices_done.wait();
  }
  // [/lesson:asio_step]

 private:
  int p_;
  boost::asio::thread_pool pool_;
};

std::unique_ptr<Pattern> make_asio_pool(int threads) { return std::make_unique<AsioPool>(threads); }

}  // namespace gd
