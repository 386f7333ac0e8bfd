// Which of this process's threads worked, and how much: the check that a pattern owns
// every thread that runs during its cells. A kernel library that starts a team of its
// own (an OpenMP-based one left at its default thread count, say) shows up here as more
// working threads than the pattern's p.
#pragma once
#include <map>

namespace gd {

// CPU seconds of every thread of this process, by thread id, from the kernel's
// per-thread CPU clocks (nanosecond resolution). Reads /proc/self/task: call it outside
// timed regions.
using ThreadTimes = std::map<int, double>;
ThreadTimes thread_cpu_times();

// The threads of `after` whose CPU time grew by more than min_seconds since `before`
// (all of it, for a thread born in between). A thread that started and ended between
// the snapshots is not seen: spawn-per-step patterns are undercounted, never overcounted.
int threads_at_work(const ThreadTimes& before, const ThreadTimes& after, double min_seconds);

}  // namespace gd
