// Lesson 09 exercise: await several tasks at once with Boost.Asio coroutines.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <vector>

// A coroutine that runs every task on `pool` and resumes when all have finished. The
// tasks must be able to run at the same time (on different pool threads). If tasks
// threw, rethrows the first task's exception, after all have finished.
boost::asio::awaitable<void> run_together(boost::asio::thread_pool& pool,
                                          const std::vector<std::function<void()>>& tasks);
