// How many CPUs this process may use: its affinity mask, which taskset and container
// limits narrow, rather than every CPU of the machine. The harness flags cells with more
// threads than this as oversubscribed; the spinning waits (spin_wait.hpp) spin only
// below it.
#pragma once
#include <sched.h>

#include <algorithm>
#include <thread>

namespace gd {

inline int available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace gd
