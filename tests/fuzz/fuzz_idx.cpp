// libFuzzer target: the IDX reader (shared/train/data.cpp) on arbitrary image and label files.
// Input layout: 2 bytes (big-endian) give the length of the image file's bytes, the
// rest are the label file. Any input must end in a Dataset or a gd::UsageError:
// never a crash, a hang, an out-of-bounds read or a huge allocation.
#include <cstdint>

#include "fuzz_common.hpp"
#include "train/data.hpp"
#include "train/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::size_t split = (std::size_t(data[0]) << 8 | data[1]);
  data += 2;
  size -= 2;
  if (split > size) split = size;
  gdfuzz::TempFile images(data, split, "img"), labels(data + split, size - split, "lab");
  try {
    gd::Dataset d = gd::read_idx_pair(images.path(), labels.path(), "fuzz");
    if (d.labels.size() != d.size()) __builtin_trap();  // a loaded set is always consistent
  } catch (const gd::UsageError&) {
  }
  return 0;
}
