// The rows of bench_primitives (bench/benchmarks/bench_primitives*.cpp), by the label each writes (a results file keeps
// it as Primitive::name). patterns/registry.cpp uses the same names to say what each
// pattern pays per step, so the two cannot drift apart.
#pragma once
#include <string_view>

namespace gd::primitive {

inline constexpr std::string_view kThreadCreateJoin = "std::thread create+join";
inline constexpr std::string_view kAsyncGet = "std::async(launch::async) + get";
inline constexpr std::string_view kThreadCreateJoinStack =
    "std::thread create+join, each thread touching 112 KiB of its stack";
inline constexpr std::string_view kAsyncGetStack =
    "std::async(launch::async) + get, each task touching 112 KiB of its stack";
inline constexpr std::string_view kCondvarHandoff = "mutex + condition_variable handoff (wake p-1, wait all)";
inline constexpr std::string_view kSpinCondvarHandoff =
    "spin, then mutex + condition_variable handoff (wake p-1, wait all)";
inline constexpr std::string_view kSemaphoreHandoff = "std::counting_semaphore handoff (wake p-1, wait all)";
inline constexpr std::string_view kSpinSemaphoreHandoff =
    "spin, then std::counting_semaphore handoff (wake p-1, wait all)";
inline constexpr std::string_view kStdBarrier = "std::barrier arrive_and_wait";
inline constexpr std::string_view kBoostBarrier = "Boost.Thread barrier wait";
inline constexpr std::string_view kOmpRegion = "omp parallel region (empty)";
inline constexpr std::string_view kOmpBarrier = "omp barrier";
inline constexpr std::string_view kTbbForkJoin = "oneTBB parallel_for fork-join (p tasks on p threads)";
inline constexpr std::string_view kPoolDispatch = "gd::ThreadPool submit + future get (p tasks)";
inline constexpr std::string_view kPoolPhase =
    "gd::ThreadPool phase: p-1 tasks to p-1 threads + the caller, polling first";
inline constexpr std::string_view kAsioPost = "Asio post to thread_pool + latch (p handlers)";
inline constexpr std::string_view kAsioPhase =
    "Asio phase: p-1 handlers to p-1 threads + the caller, polling the latch";
inline constexpr std::string_view kAsioCoAwait = "Asio co_spawn + co_await post resume";
inline constexpr std::string_view kRewritePlain = "rewrite 1/p of 1 MiB every thread has read, plain stores";
inline constexpr std::string_view kRewritePrefetch = "rewrite 1/p of 1 MiB every thread has read, with write prefetch";

}  // namespace gd::primitive
