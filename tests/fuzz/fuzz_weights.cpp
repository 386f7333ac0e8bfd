// libFuzzer target: the weights-file reader (shared/train/weights.cpp). Any input must give a
// Model whose checksum matches the file, or a gd::UsageError.
#include <cstdint>

#include "fuzz_common.hpp"
#include "train/error.hpp"
#include "train/weights.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gdfuzz::TempFile file(data, size, "weights");
  try {
    gd::Model m = gd::load_weights(file.path());
    if (m.layout.count == 0) __builtin_trap();
  } catch (const gd::UsageError&) {
  }
  return 0;
}
