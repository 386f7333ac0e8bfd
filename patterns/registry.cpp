#include "registry.hpp"

#include "train/error.hpp"
#include "measure/primitive_names.hpp"

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
// What one step pays, in the rows of bench/benchmarks/bench_primitives.cpp: the "Per step it pays"
// line of each pattern's header, counted in the rows' units. A row is one use by p
// threads; where no row matches the pattern's mechanism exactly, the nearest one is named
// and the comment says how it differs.
using namespace primitive;
// A spawned thread that runs shards pages its stack in again (the <touch_stack> rows).
// At batch 16 (one shard) only one of the p threads does, so there the row prices p
// threads' faults where one pays them. Not priced: the mutex held while each shard's
// gradient (~1 MB) is added to the shared sum.
constexpr PrimitiveUse kSpawn[] = {{kThreadCreateJoinStack, 1}};
// Three barrier rounds, each one-way (the last to arrive releases the others); the row
// is a round trip (wake p-1, wait for all to answer), so about one and a half of them.
constexpr PrimitiveUse kCondvar[] = {{kSpinCondvarHandoff, 1.5}};
constexpr PrimitiveUse kSemaphore[] = {{kSpinSemaphoreHandoff, 2}};
constexpr PrimitiveUse kPool[] = {{kPoolPhase, 2}};
constexpr PrimitiveUse kAsioPool[] = {{kAsioPhase, 2}};
// The map's tasks run shards and page their stacks in; the combine's and update's touch
// little stack. At batch 16 (one shard) only one of the map's p tasks does: there the
// row prices p tasks' faults where one pays them.
constexpr PrimitiveUse kAsync[] = {{kAsyncGetStack, 1}, {kAsyncGet, 1}};
// One coroutine spawned and resumed through the pool a phase; the pattern spawns one per
// share and waits for them in a parallel_group, so this is its cheapest part only.
constexpr PrimitiveUse kCoroutine[] = {{kAsioCoAwait, 2}};
constexpr PrimitiveUse kOmp[] = {{kOmpRegion, 1}, {kOmpBarrier, 2}};
// Not priced: zeroing p private gradients, OpenMP adding them up, and the update on one
// thread (memory traffic of the step's size, not a primitive's).
constexpr PrimitiveUse kOmpReduction[] = {{kOmpRegion, 1}};
constexpr PrimitiveUse kTbb[] = {{kTbbForkJoin, 2}};
constexpr PrimitiveUse kBoostBarrierUse[] = {{kBoostBarrier, 3}};

const PatternInfo kPatterns[] = {
    {"sequential", "patterns/sequential.cpp", "one thread runs map, combine and update in order",
     "C++ standard library", true, make_sequential, {}},
    {"thread_mutex", "patterns/thread_mutex.cpp", "std::jthread per step; shard gradients added to one sum under a std::mutex",
     "std::thread, std::mutex", false, make_thread_mutex, kSpawn},
    {"thread_condvar", "patterns/thread_condvar.cpp", "the caller + p-1 persistent std::threads; phase barrier of mutex + condition_variable",
     "std::thread, std::condition_variable", true, make_thread_condvar, kCondvar},
    {"thread_semaphore", "patterns/thread_semaphore.cpp", "the caller + p-1 persistent std::threads; start/done semaphore signals",
     "std::thread, std::counting_semaphore", true, make_thread_semaphore, kSemaphore},
    {"thread_pool", "patterns/thread_pool.cpp", "the project's pool of p-1 threads + the caller: per phase p-1 tasks with std::future results, share 0 run by the caller",
     "std::thread, std::future", true, make_thread_pool, kPool},
    {"asio_pool", "patterns/asio_pool.cpp", "boost::asio::thread_pool of p-1 threads + the caller: per phase p-1 posted handlers and a std::latch, share 0 run by the caller",
     "Boost.Asio 1.81", true, make_asio_pool, kAsioPool},
    {"async_futures", "patterns/async_futures.cpp", "std::async(launch::async) per block of shards, every step; futures in order",
     "std::async", true, make_async_futures, kAsync},
    {"coroutines", "patterns/coroutines.cpp", "one coroutine per step co_spawns an awaitable per block of shards; parallel_group",
     "Boost.Asio 1.81 (C++20)", true, make_coroutines, kCoroutine},
    {"openmp", "patterns/openmp.cpp", "#pragma omp parallel, omp for over shards then slices",
     "OpenMP (libgomp)", true, make_openmp, kOmp},
    {"openmp_reduction", "patterns/openmp_reduction.cpp", "omp parallel for with a reduction clause over the gradient",
     "OpenMP (libgomp)", false, make_openmp_reduction, kOmpReduction},
    {"tbb", "patterns/tbb.cpp", "tbb::parallel_for over shards then slices in a task_arena of p",
     "oneTBB 2021", true, make_tbb, kTbb},
    {"boost_thread", "patterns/boost_thread.cpp", "the caller + a boost::thread_group of p-1 threads; boost::barrier phases",
     "Boost.Thread 1.81", true, make_boost_thread, kBoostBarrierUse},
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

std::span<const PrimitiveUse> what_it_pays(std::string_view name) {
  for (const auto& p : kPatterns)
    if (p.name == name) return p.pays;
  return {};
}

}  // namespace gd
