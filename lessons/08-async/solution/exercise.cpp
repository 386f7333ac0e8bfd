// Lesson 08, reference solution: launch::async starts every task on a new thread at
// once; get() on each future, in task order, waits for all and keeps the first error.
#include <exception>
#include <future>

#include "exercise.hpp"

void run_all(const std::vector<std::function<void()>>& tasks) {
  std::vector<std::future<void>> futures;
  for (const auto& t : tasks) futures.push_back(std::async(std::launch::async, t));
  std::exception_ptr first;
  for (auto& f : futures) {
    try {
      f.get();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}
