// The weights file (gdlab train --save / --load). All integers little-endian.
//
//   offset  size      field
//   0       8         magic "GDLABW02"
//   8       4         u32 K, number of layer sizes (2..64)
//   12      4*K       u32 layer sizes, input first (each 1..65536)
//   ..      4         u32 activation: 0 relu, 1 tanh, 2 sigmoid
//   ..      4         u32 loss: 0 softmax cross-entropy, 1 mean squared error
//   ..      8         u64 P, number of parameters = sum over layers of out*in + out
//   ..      4*P       float32 parameters, layer by layer: W (out x in, row-major), then b
//   ..      8         u64 FNV-1a checksum of the parameter bytes (as printed by gdlab train)
//
// The file is written to NAME.tmp and renamed, so a crash never leaves half a file.
#pragma once
#include <string>

#include "train/model.hpp"

namespace gd {

void save_weights(const std::string& path, const Model& m);
Model load_weights(const std::string& path);  // throws UsageError naming what is wrong

}  // namespace gd
