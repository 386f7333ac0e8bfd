// What both backends share: the choice of backend and the live-Gemm count that guards it.
#include <fmt/format.h>

#include <atomic>
#include <stdexcept>

#include "train/gemm.hpp"

namespace gd {

// Each backend's file defines its maker and its version string.
std::unique_ptr<Gemm::Impl> make_eigen_gemm(GemmShape, const float*, const float*, float*);
std::string eigen_version();
#ifdef GDLAB_HAVE_ONEDNN
std::unique_ptr<Gemm::Impl> make_onednn_gemm(GemmShape, const float*, const float*, float*);
std::string onednn_version();
#endif

namespace {
#ifdef GDLAB_KERNELS_ONEDNN
std::atomic<Kernels> current{Kernels::onednn};
#else
std::atomic<Kernels> current{Kernels::eigen};
#endif
std::atomic<long> live{0};  // Gemms in existence
}  // namespace

std::string to_string(const GemmShape& s) {
  std::string out = fmt::format("{}x{}x{} ({}, {})", s.m, s.n, s.k, s.a == Op::transpose ? "A^T" : "A",
                                s.b == Op::transpose ? "B^T" : "B");
  const GemmShape contiguous{s.m, s.n, s.k, s.a, s.b};
  if (s.ld_a() != contiguous.ld_a() || s.ld_b() != contiguous.ld_b() || s.ld_c() != contiguous.ld_c())
    out += fmt::format(" ld {},{},{}", s.ld_a(), s.ld_b(), s.ld_c());
  return out;
}

std::vector<Kernels> available_kernels() {
  std::vector<Kernels> v{current.load()};
#ifdef GDLAB_HAVE_ONEDNN
  v.push_back(v[0] == Kernels::onednn ? Kernels::eigen : Kernels::onednn);
#endif
  return v;
}

Kernels kernels() { return current.load(); }

void use_kernels(Kernels k) {
  bool have = false;
  for (Kernels a : available_kernels()) have = have || a == k;
  if (!have) throw std::invalid_argument(fmt::format("this build has no {} kernels", kernels_name(k)));
  if (k == current.load()) return;
  if (live.load() != 0)
    throw std::logic_error(
        fmt::format("cannot switch the kernels to {} while {} Gemms exist", kernels_name(k), live.load()));
  current = k;
}

std::string_view kernels_name(Kernels k) { return k == Kernels::onednn ? "onednn" : "eigen"; }

Kernels kernels_from_name(std::string_view name) {
  if (name == "onednn") return Kernels::onednn;
  if (name == "eigen") return Kernels::eigen;
  throw std::invalid_argument(fmt::format("unknown kernels '{}': use onednn or eigen", name));
}

std::string kernel_backend() {
#ifdef GDLAB_HAVE_ONEDNN
  if (current.load() == Kernels::onednn) return onednn_version();
#endif
  return eigen_version();
}

Gemm::Gemm(GemmShape shape, const float* a, const float* b, float* c) {
#ifdef GDLAB_HAVE_ONEDNN
  if (current.load() == Kernels::onednn) impl_ = make_onednn_gemm(shape, a, b, c);
#endif
  if (!impl_) impl_ = make_eigen_gemm(shape, a, b, c);
  impl_->shape = shape;
  ++live;
}
Gemm::~Gemm() {
  if (impl_) --live;
}
Gemm::Gemm(Gemm&&) noexcept = default;
Gemm& Gemm::operator=(Gemm&& o) noexcept {
  if (this == &o) return *this;
  if (impl_) --live;
  impl_ = std::move(o.impl_);
  return *this;
}

}  // namespace gd
