#include "measure/thread_census.hpp"

#include <time.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace gd {

namespace {
// Linux encodes "the CPU clock of thread tid" as a clockid: the bitwise complement of
// the id shifted left by 3, then 4 (a thread, not a process) | 2 (scheduler time).
// clock_gettime answers it for any thread of the calling process.
clockid_t thread_clock(int tid) { return clockid_t((~unsigned(tid) << 3) | 6u); }
}  // namespace

ThreadTimes thread_cpu_times() {
  ThreadTimes out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const int tid = std::atoi(e.path().filename().c_str());
    timespec ts{};
    if (tid > 0 && clock_gettime(thread_clock(tid), &ts) == 0) out[tid] = double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
  }
  return out;
}

int threads_at_work(const ThreadTimes& before, const ThreadTimes& after, double min_seconds) {
  int n = 0;
  for (const auto& [tid, t] : after) {
    const auto it = before.find(tid);  // a thread born in between worked all its CPU time there
    if (t - (it == before.end() ? 0.0 : it->second) > min_seconds) ++n;
  }
  return n;
}

}  // namespace gd
