#include <fmt/format.h>

#include "train/gemm.hpp"

namespace gd {

std::string to_string(const GemmShape& s) {
  return fmt::format("{}x{}x{} ({}, {})", s.m, s.n, s.k, s.a == Op::transpose ? "A^T" : "A",
                     s.b == Op::transpose ? "B^T" : "B");
}

}  // namespace gd
