// Eigen backend of gemm.hpp: each run is one Eigen product on maps of the operands.
// Eigen runs it on the calling thread (the project builds Eigen without its own threads).
#include <fmt/format.h>
#include <Eigen/Core>

#include "train/gemm.hpp"

namespace gd {

struct Gemm::Impl {
  GemmShape s;
  const float *a, *b;
  float* c;
};

Gemm::Gemm(GemmShape shape, const float* a, const float* b, float* c)
    : impl_(std::make_unique<Impl>(Impl{shape, a, b, c})) {}
Gemm::~Gemm() = default;
Gemm::Gemm(Gemm&&) noexcept = default;
Gemm& Gemm::operator=(Gemm&&) noexcept = default;
const GemmShape& Gemm::shape() const { return impl_->s; }

void Gemm::run() const {
  using Map = Eigen::Map<const Eigen::MatrixXf>;
  const GemmShape& s = impl_->s;
  const bool ta = s.a == Op::transpose, tb = s.b == Op::transpose;
  Map a(impl_->a, ta ? s.k : s.m, ta ? s.m : s.k);
  Map b(impl_->b, tb ? s.n : s.k, tb ? s.k : s.n);
  Eigen::Map<Eigen::MatrixXf> c(impl_->c, s.m, s.n);
  if (!ta && !tb)
    c.noalias() = a * b;
  else if (!ta)
    c.noalias() = a * b.transpose();
  else if (!tb)
    c.noalias() = a.transpose() * b;
  else
    c.noalias() = a.transpose() * b.transpose();
}

std::string kernel_backend() {
  return fmt::format("Eigen {}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
}

}  // namespace gd
