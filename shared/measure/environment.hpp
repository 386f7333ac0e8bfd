// What a results file records about the machine and the build it was measured on.
#pragma once
#include <chrono>
#include <map>
#include <string>

#include "measure/results.hpp"

namespace gd {

double process_cpu_seconds();  // CLOCK_PROCESS_CPUTIME_ID: all threads of the process
// The versions of the libraries this build was compiled against, from CMake (keys as in
// Environment::libraries): the results file and `gdlab patterns` both print these.
std::map<std::string, std::string> library_versions();
Environment capture_environment(const std::string& command_line);

// How long one cache line takes to go to another core and back, in nanoseconds: two
// threads pass a counter back and forth, and the median of a few bursts is returned. It
// is what a barrier round, a lock hand-off or a read of the other core's results costs at
// least, and on a virtual machine it changes when the host moves the vCPUs: gdlab matrix
// records it before its first repetition and after its last (Environment::core_round_trip_ns).
// 0 with one CPU, or when a burst of 1000 trips did not finish within `budget` (the other
// thread had no CPU).
double core_round_trip_ns(std::chrono::microseconds budget = std::chrono::milliseconds(100));

}  // namespace gd
