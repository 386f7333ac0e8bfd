// Lesson 09 exercise. run_together below awaits each task before it starts the next:
// correct, but never parallel. Start them all, then await them all, so that
// `./gdlab check 09` passes.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "exercise.hpp"

namespace asio = boost::asio;

asio::awaitable<void> run_together(asio::thread_pool& pool, const std::vector<std::function<void()>>& tasks) {
  for (const auto& task : tasks)
    co_await asio::co_spawn(
        pool,
        [&task]() -> asio::awaitable<void> {
          task();
          co_return;
        },
        asio::use_awaitable);
}
