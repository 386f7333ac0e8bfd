#include "registry.hpp"

#include "error.hpp"

namespace gd {

// One factory per pattern file.
std::unique_ptr<Pattern> make_sequential(int threads);
std::unique_ptr<Pattern> make_thread_mutex(int threads);
std::unique_ptr<Pattern> make_thread_condvar(int threads);
std::unique_ptr<Pattern> make_thread_semaphore(int threads);
std::unique_ptr<Pattern> make_thread_pool(int threads);
std::unique_ptr<Pattern> make_asio_pool(int threads);
std::unique_ptr<Pattern> make_async_futures(int threads);
std::unique_ptr<Pattern> make_coroutines(int threads);
std::unique_ptr<Pattern> make_openmp(int threads);
std::unique_ptr<Pattern> make_openmp_reduction(int threads);
std::unique_ptr<Pattern> make_tbb(int threads);
std::unique_ptr<Pattern> make_boost_thread(int threads);

namespace {
const PatternInfo kPatterns[] = {
    {"sequential", "patterns/sequential.cpp", "one thread runs map, combine and update in order",
     "C++ standard library", true, make_sequential},
    {"thread_mutex", "patterns/thread_mutex.cpp", "std::thread per step; shard gradients added to one sum under a std::mutex",
     "std::thread, std::mutex", false, make_thread_mutex},
    {"thread_condvar", "patterns/thread_condvar.cpp", "the caller + p-1 persistent std::threads; phase barrier of mutex + condition_variable",
     "std::thread, std::condition_variable", true, make_thread_condvar},
    {"thread_semaphore", "patterns/thread_semaphore.cpp", "the caller + p-1 persistent std::threads; start/done semaphore signals",
     "std::thread, std::counting_semaphore", true, make_thread_semaphore},
    {"thread_pool", "patterns/thread_pool.cpp", "the project's pool of p-1 threads + the caller: per phase p-1 tasks with std::future results, share 0 run by the caller",
     "std::thread, std::future", true, make_thread_pool},
    {"asio_pool", "patterns/asio_pool.cpp", "boost::asio::thread_pool of p-1 threads + the caller: per phase p-1 posted handlers and a std::latch, share 0 run by the caller",
     "Boost.Asio 1.81", true, make_asio_pool},
    {"async_futures", "patterns/async_futures.cpp", "std::async(launch::async) per block of shards, every step; futures in order",
     "std::async", true, make_async_futures},
    {"coroutines", "patterns/coroutines.cpp", "one coroutine per step co_spawns an awaitable per block of shards; parallel_group",
     "Boost.Asio 1.81 (C++20)", true, make_coroutines},
    {"openmp", "patterns/openmp.cpp", "#pragma omp parallel, omp for over shards then slices",
     "OpenMP (libgomp)", true, make_openmp},
    {"openmp_reduction", "patterns/openmp_reduction.cpp", "omp parallel for with a reduction clause over the gradient",
     "OpenMP (libgomp)", false, make_openmp_reduction},
    {"tbb", "patterns/tbb.cpp", "tbb::parallel_for over shards then slices in a task_arena of p",
     "oneTBB 2021", true, make_tbb},
    {"boost_thread", "patterns/boost_thread.cpp", "the caller + a boost::thread_group of p-1 threads; boost::barrier phases",
     "Boost.Thread 1.81", true, make_boost_thread},
};
}  // namespace

std::span<const PatternInfo> all_patterns() { return kPatterns; }

const PatternInfo& find_pattern(std::string_view name) {
  for (const auto& p : kPatterns)
    if (p.name == name) return p;
  std::string known;
  for (const auto& p : kPatterns) known += (known.empty() ? "" : ", ") + std::string(p.name);
  throw UsageError("unknown pattern '" + std::string(name) + "' (known: " + known + "; see gdlab patterns)");
}

}  // namespace gd
