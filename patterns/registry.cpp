#include "registry.hpp"

#include "measure/primitive_names.hpp"
#include "train/error.hpp"

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
std::unique_ptr<Pattern> make_model_parallel(int threads);
std::unique_ptr<Pattern> make_hybrid(int threads);
std::unique_ptr<Pattern> make_hogwild(int threads);
std::unique_ptr<Pattern> make_mpi(int threads);
std::unique_ptr<Pattern> make_mpi_allreduce(int threads);

namespace {
// What one step pays, in the rows of bench_primitives (bench/benchmarks/bench_primitives*.cpp): the pattern's per_step
// (which the pattern's header says too), counted in the rows' units. A row is one use by p
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
// One pool phase a step. Not priced: each thread's copy of the weights (memory traffic of
// the model's size, not a primitive's).
constexpr PrimitiveUse kHogwild[] = {{kPoolPhase, 1}};
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
// phases() + 2 rounds, at any shard count, and a model of L layers has 2L + 1 phases:
// 3 + 2L rounds (9 for 3 layers).
constexpr PrimitiveUse kModelBarrier[] = {{kStdBarrier, 3, 2}};
// 3 rounds of all p, and, where a group has more than one thread (more threads than
// shards), phases() rounds of the group's: 4 + 2L in all (10 for 3 layers).
constexpr PrimitiveUse kHybridBarrier[] = {{kStdBarrier, 3}, {kStdBarrier, 1, 2, true}};

// Each row: name, file, mechanism, what a step pays, library, its version's key,
// deterministic, factory, what a step pays priced, and what the threads split when it is
// not the shards. A share is one thread's part of a phase:
// its block of shards (shard_block), then every p-th slice.
const PatternInfo kPatterns[] = {
    {kSequential,
     "patterns/sequential.cpp",
     "one thread: the map of every shard, folding the tree as it goes, then combine and update slice by slice",
     "nothing beyond the arithmetic",
     "C++ standard library",
     "",
     true,
     make_sequential,
     {},
     Axis::none},
    {"thread_mutex", "patterns/thread_mutex.cpp",
     "p `std::jthread`s started every step; thread t maps shards t, t+p, ... and adds each gradient to one sum "
     "under a `std::mutex`, in arrival order; the caller updates",
     "p thread spawns and joins, each new thread paging in its stack again; a whole gradient added under the "
     "mutex per shard",
     "std::jthread, std::mutex", "", false, make_thread_mutex, kSpawn},
    {"thread_condvar", "patterns/thread_condvar.cpp",
     "the caller + p-1 persistent `std::thread`s share each phase; a hand-written mutex + `condition_variable` "
     "barrier between the phases",
     "three rounds of a barrier of p threads", "std::thread, std::condition_variable", "", true, make_thread_condvar,
     kCondvar},
    {"thread_semaphore", "patterns/thread_semaphore.cpp",
     "the caller + p-1 persistent `std::thread`s; per phase the caller releases each worker's "
     "`std::binary_semaphore`, runs share 0, then acquires a `std::counting_semaphore` p-1 times",
     "two phases x (p-1 releases + p-1 acquires)", "std::thread, C++20 semaphores", "", true, make_thread_semaphore,
     kSemaphore},
    {"thread_pool", "patterns/thread_pool.cpp",
     "the project's pool (`shared/train/thread_pool.hpp`) of p-1 threads + the caller: per phase p-1 tasks with "
     "a `std::future` each, share 0 run by the caller",
     "2(p-1) task submissions (a lock and a notify each) and as many future waits", "std::thread, std::future", "",
     true, make_thread_pool, kPool},
    {"asio_pool", "patterns/asio_pool.cpp",
     "`boost::asio::thread_pool` of p-1 threads + the caller: per phase p-1 posted handlers counted by a "
     "`std::latch`, share 0 run by the caller",
     "2(p-1) posts to Asio's scheduler and two latch waits", "Boost.Asio", "boost", true, make_asio_pool, kAsioPool},
    {"async_futures", "patterns/async_futures.cpp",
     "`std::async(std::launch::async)` per share, every step: p for the blocks of shards, then p for the "
     "slices; their futures waited in order",
     "2p thread spawns and joins; the map's p new threads page their stacks in again", "std::async", "", true,
     make_async_futures, kAsync},
    {"coroutines", "patterns/coroutines.cpp",
     "a step coroutine on the caller's `io_context` `co_spawn`s an awaitable per share (share 0 on the caller, "
     "the others on an `asio::thread_pool` of p-1) and awaits each phase's `parallel_group`",
     "2p coroutine spawns, 2(p-1) posts to the pool and the resumptions", "C++20 coroutines on Boost.Asio", "boost",
     true, make_coroutines, kCoroutine},
    {"openmp", "patterns/openmp.cpp",
     "one `omp parallel` region per step: each thread maps its block of shards (by thread number), an "
     "`omp barrier`, then an `omp for` over the slices",
     "one parallel region and two barriers", "OpenMP", "openmp", true, make_openmp, kOmp},
    {"openmp_reduction", "patterns/openmp_reduction.cpp",
     "`omp parallel for` over the shards with a user-defined `reduction` of the gradient, whose private copies "
     "OpenMP adds in an unspecified order; the caller updates",
     "one parallel region, p private gradients zeroed and combined, then a sequential update", "OpenMP", "openmp",
     false, make_openmp_reduction, kOmpReduction},
    {"tbb", "patterns/tbb.cpp",
     "two `tbb::parallel_for`s in a `task_arena` of p: over the shards (a body folds its range), then over the "
     "slices; a `global_control` lifts oneTBB's thread limit to p",
     "two fork-joins in the arena", "oneTBB", "onetbb", true, make_tbb, kTbb},
    {"boost_thread", "patterns/boost_thread.cpp",
     "the caller + a `boost::thread_group` of p-1 persistent threads share each phase; a `boost::barrier` of p "
     "between the phases",
     "three rounds of a `boost::barrier` of p threads", "Boost.Thread", "boost", true, make_boost_thread,
     kBoostBarrierUse},
    {"model_parallel", "patterns/model_parallel.cpp",
     "the caller + p-1 persistent `std::thread`s split every layer: thread t owns a fixed range of neuron blocks "
     "(`--blocks`) and runs them in each phase of every shard, a `std::barrier` of p after every phase; then sums "
     "and updates its own rows",
     "phases + 2 rounds of a `std::barrier` of p threads (9 for 784-256-128-10)", "std::thread, std::barrier", "", true,
     make_model_parallel, kModelBarrier, Axis::model},
    {"hybrid", "patterns/hybrid.cpp",
     "shards x blocks: the caller + p-1 persistent `std::thread`s in min(shards, p) groups; a group takes a block of "
     "shards, its threads each a range of neuron blocks, and meets at its own `std::barrier` after every phase (a "
     "group "
     "of one thread runs whole shards and folds them); a barrier of all p, then every p-th slice (one group: each "
     "thread its own rows)",
     "3 rounds of a std::barrier of p threads and, where a group has more than one thread (p > shards), phases rounds "
     "of the group's (10 in all for 784-256-128-10)",
     "std::thread, std::barrier", "", true, make_hybrid, kHybridBarrier, Axis::both},
    {"hogwild", "patterns/hogwild.cpp",
     "asynchronous SGD: the project's pool of p-1 threads + the caller; thread t runs its block of shards on its own "
     "snapshot of the weights and updates the shared weights at once through relaxed `std::atomic_ref<float>`, "
     "no combine, no lock, no barrier between the threads",
     "p-1 task submissions (a lock and a notify each) and as many future waits, and one copy of the weights per "
     "thread (the snapshot)",
     "std::thread, std::atomic_ref", "", false, make_hogwild, kHogwild, Axis::data, true},
};

// Patterns whose workers are processes: one MPI rank each, --threads threads a rank. They
// run only in a job that mpirun started (gdlab train --ranks N starts it).
const PatternInfo kRankPatterns[] = {
    {"mpi",
     "patterns/mpi.cpp",
     "one process per rank (`mpirun`), each a whole replica: rank r's threads run its block of shards; the owner "
     "of each slice receives the others' block sums of it (`MPI_Isend`/`MPI_Irecv`), combines them by the tree and "
     "updates it; `MPI_Allgatherv` of the weights",
     "a reduce-scatter of the gradient in messages, an all-gather of the weights and one of the shards' losses; "
     "threads - 1 thread spawns and joins in each rank",
     "Open MPI",
     "mpi",
     true,
     make_mpi,
     {}},
    {"mpi_allreduce",
     "patterns/mpi_allreduce.cpp",
     "one process per rank, each a whole replica: rank r's threads run its block of shards, one "
     "`MPI_Allreduce(MPI_SUM)` of the gradient in the library's order, then every rank updates all the weights",
     "one allreduce of the gradient and an all-gather of the shards' losses; threads - 1 thread spawns and joins "
     "in each rank",
     "Open MPI",
     "mpi",
     false,
     make_mpi_allreduce,
     {}},
};

// Both tables, thread patterns first.
template <class F>
const PatternInfo* first_of_all(F&& match) {
  for (const auto& p : kPatterns)
    if (match(p)) return &p;
  for (const auto& p : kRankPatterns)
    if (match(p)) return &p;
  return nullptr;
}
}  // namespace

std::span<const PatternInfo> all_patterns() { return kPatterns; }
std::span<const PatternInfo> rank_patterns() { return kRankPatterns; }

const PatternInfo& find_pattern(std::string_view name) {
  if (const PatternInfo* p = first_of_all([&](const PatternInfo& x) { return x.name == name; })) return *p;
  std::string known;
  for (const auto& p : kPatterns) known += (known.empty() ? "" : ", ") + std::string(p.name);
  for (const auto& p : kRankPatterns) known += ", " + std::string(p.name);
  throw UsageError("unknown pattern '" + std::string(name) + "' (known: " + known + "; see gdlab patterns)");
}

std::span<const PrimitiveUse> what_it_pays(std::string_view name) {
  const PatternInfo* p = first_of_all([&](const PatternInfo& x) { return x.name == name; });
  return p ? p->pays : std::span<const PrimitiveUse>{};
}

Axis axis_of(std::string_view name) {
  const PatternInfo* p = first_of_all([&](const PatternInfo& x) { return x.name == name; });
  return p ? p->axis : Axis::none;
}

}  // namespace gd
