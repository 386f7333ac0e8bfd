// libFuzzer target: the results-file reader (shared/measure/results.cpp). Any input must give a
// validated Results or a gd::UsageError, whatever the JSON holds.
#include <cstdint>

#include "fuzz_common.hpp"
#include "measure/results.hpp"
#include "train/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gdfuzz::TempFile file(data, size, "results");
  try {
    gd::read_results(file.path());
  } catch (const gd::UsageError&) {
  }
  return 0;
}
