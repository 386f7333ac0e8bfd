// Lesson 09, reference solution, as patterns/coroutines.cpp does it: co_spawn with
// asio::deferred makes an operation that has not started yet; make_parallel_group starts
// them all, and co_await suspends this coroutine (no thread blocks) until all are done.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "exercise.hpp"

namespace asio = boost::asio;

asio::awaitable<void> run_together(asio::thread_pool& pool, const std::vector<std::function<void()>>& tasks) {
  auto start = [&pool](const std::function<void()>& task) {
    return asio::co_spawn(
        pool,
        [&pool, &task]() -> asio::awaitable<void> {
          // co_spawn dispatches: from a pool thread the task would start inline and block the
          // next spawn. Post first, so that it continues on a free pool thread.
          co_await asio::post(pool, asio::use_awaitable);
          task();
        },
        asio::deferred);
  };
  using Op = decltype(start(tasks.front()));
  std::vector<Op> ops;
  for (const auto& task : tasks) ops.push_back(start(task));
  auto [order, errors] = co_await asio::experimental::make_parallel_group(std::move(ops))
                             .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}
