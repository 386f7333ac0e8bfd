// coroutines - C++20 coroutines on Boost.Asio. The step is one coroutine: it
// co_spawns one awaitable per block of shards, awaits the whole group
// (experimental::parallel_group), then does the same for the slices.
//
// A coroutine is not parallel by itself: it is a function that can suspend. The
// parallelism comes from the threads that run its executors: here an asio::thread_pool
// of p-1 threads runs groups 1 .. p-1, and the caller runs the step coroutine and
// group 0 on an io_context of its own. `co_await` only says "resume me when these are
// done" without blocking a thread. Deterministic. Diff against asio_pool.cpp (the
// same p-1 pool threads plus the caller, driven by callbacks and a latch).
// Per step it pays: 2p coroutine spawns, 2(p-1) posts to the pool and the resumptions.
// Each spawn allocates a coroutine frame, a post wakes a pool thread that fell asleep in
// Asio's queue, and the caller polls its queue for up to 200 us before it sleeps, which it
// does only if its own group finished long before.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <vector>

#include "train/pattern.hpp"
#include "train/spin_wait.hpp"

namespace gd {

namespace asio = boost::asio;

class Coroutines final : public Pattern {
 public:
  explicit Coroutines(int threads)
      : p_(threads), spin_(spin_pays(threads)), pool_(std::size_t(threads - 1)) {}  // + the caller
  ~Coroutines() override { pool_.join(); }

  // [lesson:run_step]
  void step(Step& step) override {
    // The caller runs its own io_context until the step coroutine has finished.
    std::exception_ptr error;
    bool finished = false;
    asio::co_spawn(caller_, whole_step(step), [&](std::exception_ptr e) {
      error = e;
      finished = true;
    });
    while (!finished) {
      // poll_one() runs a ready handler, if any, and never blocks: poll for a while
      // before run_one() sleeps until the next one (shared/train/spin_wait.hpp).
      if (spin_ && spin_until([&] { return caller_.poll_one() != 0; })) continue;
      caller_.run_one();
    }
    if (error) std::rethrow_exception(error);
  }
  // [/lesson:run_step]

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

  // Spawns group(0) on the caller's io_context and group(1) ... group(p-1) on the
  // pool, and suspends until all have finished; then rethrows the first group's
  // exception, if any.
  // [lesson:all_groups]
  template <class Group>
  asio::awaitable<void> all_groups(Group group) {
    // blocking.never: every group is queued, none runs inline. co_spawn starts a
    // coroutine with dispatch, so on the caller's own executor group 0 would run to
    // its end right here, before the other groups were even spawned.
    using Op = decltype(asio::co_spawn(asio::any_io_executor(), group(0), asio::deferred));
    std::vector<Op> ops;
    for (int t = 0; t < p_; ++t) {
      asio::any_io_executor ex = pool_.get_executor();
      if (t == 0) ex = caller_.get_executor();
      ops.push_back(asio::co_spawn(asio::require(ex, asio::execution::blocking.never), group(t), asio::deferred));
    }
    auto [order, errors] = co_await asio::experimental::make_parallel_group(std::move(ops))
                               .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }
  // [/lesson:all_groups]

  int p_;
  bool spin_;
  asio::thread_pool pool_;
  asio::io_context caller_{1};  // run by the caller only (concurrency hint 1)
  // [lesson:never_idle]
  // An io_context counts its outstanding work, and when the count falls to zero it
  // stops itself: from then on run_one() returns at once, until restart(). Any thread
  // can make the count fall: every copy of a work-tracking executor counts, and
  // parallel_group drops such a copy on the pool thread that finished last, just after
  // posting the coroutine's resumption to the caller. Restarting the io_context at each
  // step would race with that late stop, and the caller would poll a stopped queue for
  // ever. So it holds one unit of work from construction to destruction, and never stops.
  asio::executor_work_guard<asio::io_context::executor_type> never_idle_{caller_.get_executor()};
  // [/lesson:never_idle]
};

std::unique_ptr<Pattern> make_coroutines(int threads) { return std::make_unique<Coroutines>(threads); }

}  // namespace gd
