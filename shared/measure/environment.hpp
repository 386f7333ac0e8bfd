// What a results file records about the machine and the build it was measured on.
#pragma once
#include <string>

#include "measure/results.hpp"

namespace gd {

double process_cpu_seconds();    // CLOCK_PROCESS_CPUTIME_ID: all threads of the process
Environment capture_environment(const std::string& command_line);

}  // namespace gd
