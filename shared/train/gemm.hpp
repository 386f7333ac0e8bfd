// The step's matrix products behind one interface: C = op(A) * op(B) on column-major
// float matrices stored contiguously (leading dimension = rows), op = as is or transposed.
//
// A Gemm binds its shape and its three operands when it is created, so running it is one
// call that allocates nothing. Creating one may compile a kernel (oneDNN's JIT): do it
// outside any timed region; Workspace (model.hpp) creates the step's Gemms once per shape
// and keeps them. One Gemm is run by one thread at a time; different Gemms run at once.
//
// The backend is chosen when the project is configured (GDLAB_KERNELS=onednn|eigen).
// Within one backend every run of a shape gives the same bits, whichever thread runs it,
// so the step's bit-identity across patterns holds for either backend.
#pragma once
#include <compare>
#include <memory>
#include <string>

namespace gd {

enum class Op { none, transpose };

struct GemmShape {
  int m = 0, n = 0, k = 0;  // C is m x n; op(A) is m x k, op(B) is k x n
  Op a = Op::none, b = Op::none;
  auto operator<=>(const GemmShape&) const = default;
};
std::string to_string(const GemmShape&);  // "256x64x784 (A, B^T)"

class Gemm {
 public:
  // Throws std::runtime_error naming the shape when the backend cannot make a kernel for it.
  Gemm(GemmShape shape, const float* a, const float* b, float* c);
  ~Gemm();
  Gemm(Gemm&&) noexcept;
  Gemm& operator=(Gemm&&) noexcept;
  void run() const;  // C = op(A) * op(B)
  const GemmShape& shape() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The backend compiled in: its name and version, e.g. "oneDNN 2.6.3" or "Eigen 3.4.0".
std::string kernel_backend();

}  // namespace gd
