// Eigen backend of gemm.hpp: each run is one Eigen product on maps of the operands.
// Eigen runs it on the calling thread (the project builds Eigen without its own threads).
#include <fmt/format.h>
#include <Eigen/Core>

#include "train/gemm.hpp"

namespace gd {

namespace {
struct EigenGemm final : Gemm::Impl {
  const float *a, *b;
  float* c;
  EigenGemm(const float* a_, const float* b_, float* c_) : a(a_), b(b_), c(c_) {}
  void run() const override {
    using Stride = Eigen::OuterStride<>;
    using Map = Eigen::Map<const Eigen::MatrixXf, 0, Stride>;
    const GemmShape& s = shape;
    const bool ta = s.a == Op::transpose, tb = s.b == Op::transpose;
    Map A(a, ta ? s.k : s.m, ta ? s.m : s.k, Stride(s.ld_a()));
    Map B(b, tb ? s.n : s.k, tb ? s.k : s.n, Stride(s.ld_b()));
    Eigen::Map<Eigen::MatrixXf, 0, Stride> C(c, s.m, s.n, Stride(s.ld_c()));
    if (!ta && !tb)
      C.noalias() = A * B;
    else if (!ta)
      C.noalias() = A * B.transpose();
    else if (!tb)
      C.noalias() = A.transpose() * B;
    else
      C.noalias() = A.transpose() * B.transpose();
  }
};
}  // namespace

std::unique_ptr<Gemm::Impl> make_eigen_gemm(GemmShape, const float* a, const float* b, float* c) {
  return std::make_unique<EigenGemm>(a, b, c);
}

std::string eigen_version() {
  return fmt::format("Eigen {}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
}

}  // namespace gd
