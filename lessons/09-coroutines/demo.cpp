// Lesson 09: coroutines with Boost.Asio. A coroutine is a function that can suspend; it
// is not parallel by itself. Two CPU-bound coroutines (20 ms of work each):
//   (1) awaited one after the other on a pool of 2 threads,
//   (2) co_spawned together and awaited as a parallel_group on that pool,
//   (3) the same, each coroutine first posting itself to the pool,
//   (4) co_spawned together on an io_context run by ONE thread.
//   lesson_09_demo [--quick]
#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cmath>
#include <cstring>

#include "lesson.hpp"

namespace asio = boost::asio;

namespace {
double burn(std::chrono::milliseconds d) {  // busy work, not a sleep: it needs a core
  const auto end = std::chrono::steady_clock::now() + d;
  double x = 0;
  while (std::chrono::steady_clock::now() < end) x += std::sqrt(x + 1.0);
  return x;
}

asio::awaitable<void> work() {
  burn(std::chrono::milliseconds(20));
  co_return;
}

// [lesson:hop]
// co_spawn starts a coroutine with dispatch: spawned from a thread of the same pool, it
// runs right there, inline, until it first suspends. A post to its executor first makes
// it suspend at once and continue on whichever pool thread is free.
asio::awaitable<void> work_elsewhere() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  burn(std::chrono::milliseconds(20));
}
// [/lesson:hop]

asio::awaitable<void> one_after_the_other(asio::thread_pool& pool) {
  co_await asio::co_spawn(pool, work(), asio::use_awaitable);
  co_await asio::co_spawn(pool, work(), asio::use_awaitable);
}

// [lesson:together]
template <class Work>
asio::awaitable<void> together(asio::thread_pool& pool, Work work) {
  auto [order, e1, e2] = co_await asio::experimental::make_parallel_group(asio::co_spawn(pool, work(), asio::deferred),
                                                                          asio::co_spawn(pool, work(), asio::deferred))
                             .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  (void)order, (void)e1, (void)e2;
}
// [/lesson:together]
}  // namespace

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  asio::thread_pool pool(2);
  auto t0 = std::chrono::steady_clock::now();
  asio::co_spawn(pool, one_after_the_other(pool), asio::use_future).get();
  fmt::print("(1) pool of 2, co_await one, then the other:      {:5.1f} ms\n", 1e3 * lesson::seconds_since(t0));
  t0 = std::chrono::steady_clock::now();
  asio::co_spawn(pool, together(pool, work), asio::use_future).get();
  fmt::print("(2) pool of 2, parallel_group of both:            {:5.1f} ms\n", 1e3 * lesson::seconds_since(t0));
  t0 = std::chrono::steady_clock::now();
  asio::co_spawn(pool, together(pool, work_elsewhere), asio::use_future).get();
  fmt::print("(3) the same, each posting itself to the pool:    {:5.1f} ms\n", 1e3 * lesson::seconds_since(t0));
  pool.join();

  asio::io_context io;  // run by one thread: coroutines take turns, they never overlap
  asio::co_spawn(io, work(), asio::detached);
  asio::co_spawn(io, work(), asio::detached);
  t0 = std::chrono::steady_clock::now();
  io.run();
  fmt::print("(4) io_context on 1 thread, both spawned at once: {:5.1f} ms\n", 1e3 * lesson::seconds_since(t0));
}
