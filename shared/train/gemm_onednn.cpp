// oneDNN backend of gemm.hpp: one matmul primitive per Gemm, created with the Gemm.
//
// Threads. This oneDNN is built on OpenMP: left alone, a call would start a team of as
// many threads as there are cores, under every pattern's own threads. The patterns must
// own every thread, so each calling thread is limited to one OpenMP thread with
// omp_set_num_threads(1) before it creates or runs a primitive (that setting belongs to
// the calling thread; the project's own OpenMP regions all name their num_threads, so
// they are not affected). Inside an OpenMP region oneDNN runs on the calling thread anyway.
// The matrix flags any thread that works beside a pattern's own (Flag::hidden_threads).
//
// Layout. C is column-major m x n, which is row-major n x m: oneDNN computes
// C^T = op(B)^T op(A)^T with a row-major destination, the layout its kernels prefer,
// and is given A and B where they are, through strides (it packs what its kernel needs).
//
// Running allocates nothing: the memory objects, the stream and the scratchpad (user
// mode, one per Gemm) are made once, and the C API's execute takes a plain array.
#include <dnnl.h>
#include <fmt/format.h>
#include <omp.h>

#include <dnnl.hpp>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "train/gemm.hpp"

namespace gd {

namespace {
const dnnl::engine& cpu() {
  static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
void one_openmp_thread() {
  if (omp_get_max_threads() != 1) omp_set_num_threads(1);
}

struct OnednnGemm final : Gemm::Impl {
  dnnl::matmul prim;
  dnnl::memory src, wei, dst, pad;
  dnnl::stream stream;
  std::vector<char> scratch;
  dnnl_exec_arg_t args[4];
  int nargs = 3;

  void run() const override {
    one_openmp_thread();
    if (dnnl_primitive_execute(prim.get(), stream.get(), nargs, args) != dnnl_success)
      throw std::runtime_error("oneDNN matmul " + to_string(shape) + " failed");
  }
};
}  // namespace

std::unique_ptr<Gemm::Impl> make_onednn_gemm(GemmShape s, const float* a, const float* b, float* c) {
  using dims = dnnl::memory::dims;
  using dt = dnnl::memory::data_type;
  auto impl = std::make_unique<OnednnGemm>();
  OnednnGemm& x = *impl;
  one_openmp_thread();
  try {
    const long m = s.m, n = s.n, k = s.k, lda = s.ld_a(), ldb = s.ld_b(), ldc = s.ld_c();
    // src = op(B)^T (n x k); wei = op(A)^T (k x m); dst = C^T (n x m), row-major, each
    // described by its strides (row, column) in floats.
    const dnnl::memory::desc src_md({n, k}, dt::f32, s.b == Op::none ? dims{ldb, 1} : dims{1, ldb});
    const dnnl::memory::desc wei_md({k, m}, dt::f32, s.a == Op::none ? dims{lda, 1} : dims{1, lda});
    const dnnl::memory::desc dst_md({n, m}, dt::f32, dims{ldc, 1});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, wei_md, dst_md), attr, cpu());
    x.prim = dnnl::matmul(pd);
    x.src = dnnl::memory(src_md, cpu(), const_cast<float*>(b));
    x.wei = dnnl::memory(wei_md, cpu(), const_cast<float*>(a));
    x.dst = dnnl::memory(dst_md, cpu(), c);
    x.stream = dnnl::stream(cpu());
    x.args[0] = {DNNL_ARG_SRC, x.src.get()};
    x.args[1] = {DNNL_ARG_WEIGHTS, x.wei.get()};
    x.args[2] = {DNNL_ARG_DST, x.dst.get()};
    const dnnl::memory::desc pad_md = pd.scratchpad_desc();
    if (pad_md.get_size() > 0) {
      x.scratch.resize(pad_md.get_size());
      x.pad = dnnl::memory(pad_md, cpu(), x.scratch.data());
      x.args[3] = {DNNL_ARG_SCRATCHPAD, x.pad.get()};
      x.nargs = 4;
    }
  } catch (const dnnl::error& e) {
    throw std::runtime_error("oneDNN has no matmul for " + to_string(s) + ": " + e.what());
  }
  return impl;
}

namespace {
// The instruction set oneDNN generates its kernels for on this CPU. It is part of the
// backend's identity: the kernels differ per instruction set, and so may the order in
// which they sum a product's terms, and with it the weights' bits.
std::string_view onednn_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41:
      return "sse41";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "other";
  }
}
}  // namespace

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("oneDNN {}.{}.{} ({})", v->major, v->minor, v->patch, onednn_isa());
}

}  // namespace gd
