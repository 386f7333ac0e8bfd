// The step's matrix products behind one interface: C = op(A) * op(B) on column-major
// float matrices, op = as is or transposed. Each operand has a leading dimension (the
// distance between its columns); 0 means its rows, a contiguous matrix. A larger one
// makes the operand a block of rows of a bigger matrix, as the step's neuron blocks are.
//
// A Gemm binds its shape and its three operands when it is created, so running it is one
// call that allocates nothing. Creating one may compile a kernel (oneDNN's JIT): do it
// outside any timed region; Workspace (model.hpp) creates the step's Gemms once per shape
// and keeps them. One Gemm is run by one thread at a time; different Gemms run at once.
//
// Two backends: oneDNN's matmul and Eigen's product. The build compiles oneDNN's when
// libdnnl-dev is installed, and GDLAB_KERNELS (configure time) says which one a program
// starts with. Within one backend every run of a shape gives the same bits, whichever
// thread runs it, so the step's bit-identity across patterns holds for either.
#pragma once
#include <compare>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gd {

enum class Op { none, transpose };

struct GemmShape {
  int m = 0, n = 0, k = 0;  // C is m x n; op(A) is m x k, op(B) is k x n
  Op a = Op::none, b = Op::none;
  int lda = 0, ldb = 0, ldc = 0;  // 0: the stored operand's rows
  // The leading dimensions in effect: as given, or the stored operand's rows.
  int ld_a() const { return lda ? lda : (a == Op::none ? m : k); }
  int ld_b() const { return ldb ? ldb : (b == Op::none ? k : n); }
  int ld_c() const { return ldc ? ldc : m; }
  auto operator<=>(const GemmShape&) const = default;
};
std::string to_string(const GemmShape&);  // "256x64x784 (A, B^T)", "... ld 256,784,256" when strided

enum class Kernels { onednn, eigen };

class Gemm {
 public:
  // Made by the current backend (kernels()). Throws std::runtime_error naming the shape
  // when the backend cannot make a kernel for it.
  Gemm(GemmShape shape, const float* a, const float* b, float* c);
  ~Gemm();
  Gemm(Gemm&&) noexcept;
  Gemm& operator=(Gemm&&) noexcept;
  void run() const { impl_->run(); }  // C = op(A) * op(B)
  const GemmShape& shape() const { return impl_->shape; }

  struct Impl {
    GemmShape shape;
    virtual ~Impl() = default;
    virtual void run() const = 0;
  };

 private:
  std::unique_ptr<Impl> impl_;
};

// The backends this build has, the configured one first.
std::vector<Kernels> available_kernels();
// The backend new Gemms use.
Kernels kernels();
// Chooses the backend for the Gemms made from now on. Throws std::logic_error while any
// Gemm exists (a run never switches backend half-way), std::invalid_argument for a
// backend this build lacks.
void use_kernels(Kernels k);
// "onednn" / "eigen", and back (nullopt-free: throws std::invalid_argument naming the choices).
std::string_view kernels_name(Kernels k);
Kernels kernels_from_name(std::string_view name);
// The current backend's library and version, e.g. "oneDNN 2.6.3 (avx2)" or "Eigen 3.4.0".
// oneDNN's names the instruction set its kernels were generated for on this CPU.
std::string kernel_backend();

}  // namespace gd
