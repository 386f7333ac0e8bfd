// coroutines - C++20 coroutines on Boost.Asio. The step is one coroutine: it
// co_spawns one awaitable per block of shards onto an asio::thread_pool, awaits the
// whole group (experimental::parallel_group), then does the same for the slices.
//
// A coroutine is not parallel by itself: it is a function that can suspend. The
// parallelism comes from the pool it is spawned on; `co_await` only says "resume me
// when these are done" without blocking a thread. Deterministic. Diff against
// asio_pool.cpp (the same pool, driven by callbacks and a latch).
// Per step it pays: 2p coroutine frames and spawns, and the resumptions.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <memory>
#include <vector>

#include "pattern.hpp"

namespace gd {

namespace asio = boost::asio;

class Coroutines final : public Pattern {
 public:
  explicit Coroutines(int threads) : p_(threads), pool_(std::size_t(threads)) {}
  ~Coroutines() override { pool_.join(); }

  void step(Step& step) override {
    // The caller waits on a future. The step coroutine runs on a strand of the pool:
    // its resumptions are serialised, so a group finishing on another pool thread
    // cannot resume it while it is still suspending. The groups run on the pool itself.
    asio::co_spawn(asio::make_strand(pool_), whole_step(step), asio::use_future).get();
  }

 private:
  // [lesson:whole_step]
  asio::awaitable<void> whole_step(Step& step) {
    co_await all_groups([&step, this](int t) -> asio::awaitable<void> {
      auto [first, last] = step.shard_block(t, p_);
      step.run_shards(first, last);
      co_return;
    });
    co_await all_groups([&step, this](int t) -> asio::awaitable<void> {
      for (int k = t; k < step.slices(); k += p_) {
        step.combine_slice(k);
        step.update_slice(k);
      }
      co_return;
    });
  }
  // [/lesson:whole_step]

  // Spawns group(0) ... group(p-1) on the pool and suspends until all have finished;
  // then rethrows the first group's exception, if any.
  // [lesson:all_groups]
  template <class Group>
  asio::awaitable<void> all_groups(Group group) {
    // blocking.never: each group is queued for a pool thread. A plain pool executor
    // would run the first group inline on this thread (co_spawn dispatches), one group
    // after another instead of in parallel.
    auto ex = asio::require(pool_.get_executor(), asio::execution::blocking.never);
    using Op = decltype(asio::co_spawn(ex, group(0), asio::deferred));
    std::vector<Op> ops;
    for (int t = 0; t < p_; ++t) ops.push_back(asio::co_spawn(ex, group(t), asio::deferred));
    auto [order, errors] = co_await asio::experimental::make_parallel_group(std::move(ops))
                               .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }
  // [/lesson:all_groups]

  int p_;
  asio::thread_pool pool_;
};

std::unique_ptr<Pattern> make_coroutines(int threads) { return std::make_unique<Coroutines>(threads); }

}  // namespace gd
