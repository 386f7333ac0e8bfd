// What a results file records about the machine and the build it was measured on.
#pragma once
#include <map>
#include <string>

#include "measure/results.hpp"

namespace gd {

double process_cpu_seconds();  // CLOCK_PROCESS_CPUTIME_ID: all threads of the process
// The versions of the libraries this build was compiled against, from CMake (keys as in
// Environment::libraries): the results file and `gdlab patterns` both print these.
std::map<std::string, std::string> library_versions();
Environment capture_environment(const std::string& command_line);

}  // namespace gd
