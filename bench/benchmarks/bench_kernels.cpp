// How close the step's kernels come to the machine: one thread, 784-256-128-10.
//
//   build/release/bench/bench_kernels                       # everything, then the summary table
//   build/release/bench/bench_kernels --benchmark_filter='peak|/batch:256'
//   build/release/bench/bench_kernels --benchmark_repetitions=1   # one run each, in order
//
// Three things in one run:
//   peak      the core's FMA throughput: 12 independent chains of vector fused multiply-adds
//             (AVX-512 where the build targets it), so no chain waits on another;
//   gemms     the 8 GEMMs of one step through the trainer's kernel interface (train/gemm.hpp),
//             for each backend the build has and each batch;
//   step      the trainer's whole step (sequential pattern) on each backend, at 1 shard and at
//             the default shard count.
// The summary after the runs gives GFLOP/s and the fraction of peak for each, and the time per
// step spent outside the GEMMs: the step's time minus its GEMMs' time at the same shard width.
//
// That difference subtracts two measurements taken at different moments, so by default every
// benchmark runs 5 repetitions in a random interleaved order and the summary uses medians: a
// slow minute then falls on all of them alike instead of on one. The summary also prints the
// difference's noise: the median absolute deviations of the two, added (one slow repetition
// hardly moves either). An outside time within its noise is reported as noise, not as a
// figure; one beyond it is printed as it is, negative too (then the GEMMs alone ran slower
// than the step: a sign of a noisy machine). Pass --benchmark_repetitions to choose yourself.
//
// A step is 8 GEMMs (n = batch columns):
//   forward   Z1 = W1 X      (256x784)(784xn)     Z2 = W2 A1  (128x256)(256xn)   Z3 = W3 A2  (10x128)(128xn)
//   backward  dW3 = dZ3 A2^T   dW2 = dZ2 A1^T   dW1 = dZ1 X^T   (out x n)(n x in)
//             dA2 = W3^T dZ3   dA1 = W2^T dZ2                   (in x out)(out x n)
// about 2 * 235k * n * 2 = 1.0 MFLOP per sample. Every "GFLOP/s" here counts those FLOPs.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "measure/trainee.hpp"
#include "registry.hpp"
#include "train/data.hpp"
#include "train/gemm.hpp"
#include "train/memory.hpp"
#include "train/model.hpp"
#include "train/step.hpp"

#ifdef GDLAB_BENCH_OPENBLAS
#include <cblas.h>
#endif

namespace {

constexpr int kIn = 784, kH1 = 256, kH2 = 128, kOut = 10;
constexpr int kBatches[] = {16, 64, 256};

double flops_per_step(int n) {
  const double m1 = double(kH1) * kIn, m2 = double(kH2) * kH1, m3 = double(kOut) * kH2;  // out x in per layer
  const double forward = m1 + m2 + m3, weight_grads = m1 + m2 + m3, input_grads = m2 + m3;
  return 2.0 * n * (forward + weight_grads + input_grads);  // a multiply-add is 2 FLOPs
}

void set_rate(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- peak ----------------------------------------------------------------------------
// 12 accumulators, each a chain of dependent FMAs: with an FMA latency of 4 cycles and two
// FMA units, 8 chains keep both busy; 12 leave room.
#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec splat(float x) { return _mm512_set1_ps(x); }
inline float first(Vec v) { return _mm512_cvtss_f32(v); }
constexpr const char* kIsa = "AVX-512";
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline float first(Vec v) { return _mm256_cvtss_f32(v); }
constexpr const char* kIsa = "AVX2";
#else
#define GDLAB_NO_VECTOR_FMA
#endif

#ifndef GDLAB_NO_VECTOR_FMA
void peak_fma(benchmark::State& state) {
  constexpr int kChains = 12, kInner = 1000;
  // acc = acc * 1 + 1e-9 stays a normal number however long it runs (a product that
  // shrank towards denormals would slow the FMAs down); `one` is opaque, so the compiler
  // cannot turn the FMA into an add.
  float one = 1.0f;
  benchmark::DoNotOptimize(one);
  const Vec a = splat(one), b = splat(1e-9f * one);
  Vec acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = splat(float(i));
  for (auto _ : state) {
    for (int k = 0; k < kInner; ++k)
      for (int i = 0; i < kChains; ++i) acc[i] = fma(acc[i], a, b);
  }
  float sink = 0;
  for (int i = 0; i < kChains; ++i) sink += first(acc[i]);
  benchmark::DoNotOptimize(sink);
  set_rate(state, 2.0 * kLanes * kChains * kInner);
  state.SetLabel(std::string(kIsa) + " FMA, 12 chains, one thread");
}
BENCHMARK(peak_fma)->UseRealTime()->Unit(benchmark::kMicrosecond);
#endif

// ---- the 8 GEMMs through the kernel interface ----------------------------------------
// Each operand in a buffer aligned as the trainer's own (gd::Params, Eigen's aligned
// storage): a kernel reading misaligned columns would run measurably slower than the step.
struct Operands {
  gd::Params W1, W2, W3, X, A1, A2, Z3, dZ3, dZ2, dZ1, dA2, dA1, dW1, dW2, dW3;
  std::vector<gd::Gemm> gemms;
  static gd::Params filled(long n, float v) { return gd::Params::Constant(n, v); }
  explicit Operands(int n)
      : W1(filled(kH1 * kIn, 0.01f)),
        W2(filled(kH2 * kH1, 0.01f)),
        W3(filled(kOut * kH2, 0.01f)),
        X(filled(kIn * n, 0.5f)),
        A1(filled(kH1 * n, 0)),
        A2(filled(kH2 * n, 0)),
        Z3(filled(kOut * n, 0)),
        dZ3(filled(kOut * n, 0.1f)),
        dZ2(filled(kH2 * n, 0.1f)),
        dZ1(filled(kH1 * n, 0.1f)),
        dA2(filled(kH2 * n, 0)),
        dA1(filled(kH1 * n, 0)),
        dW1(filled(kH1 * kIn, 0)),
        dW2(filled(kH2 * kH1, 0)),
        dW3(filled(kOut * kH2, 0)) {
    using gd::Op;
    auto add = [&](gd::GemmShape s, const gd::Params& a, const gd::Params& b, gd::Params& c) {
      gemms.emplace_back(s, a.data(), b.data(), c.data());
    };
    add({kH1, n, kIn}, W1, X, A1);
    add({kH2, n, kH1}, W2, A1, A2);
    add({kOut, n, kH2}, W3, A2, Z3);
    add({kOut, kH2, n, Op::none, Op::transpose}, dZ3, A2, dW3);
    add({kH2, n, kOut, Op::transpose, Op::none}, W3, dZ3, dA2);
    add({kH2, kH1, n, Op::none, Op::transpose}, dZ2, A1, dW2);
    add({kH1, n, kH2, Op::transpose, Op::none}, W2, dZ2, dA1);
    add({kH1, kIn, n, Op::none, Op::transpose}, dZ1, X, dW1);
  }
};

void gemms(benchmark::State& state, gd::Kernels k) {
  gd::use_kernels(k);  // no Gemm exists between benchmarks
  const int n = int(state.range(0));
  {
    Operands o(n);  // the kernels are made here, outside the timed loop
    for (auto _ : state) {
      for (const gd::Gemm& g : o.gemms) g.run();
      benchmark::DoNotOptimize(o.dW1.data());
    }
  }
  set_rate(state, flops_per_step(n));
  state.SetLabel(gd::kernel_backend() + ", the 8 GEMMs of a step");
}

// ---- the trainer's step ----------------------------------------------------------------
const gd::DataSplit& data() {
  static const gd::DataSplit d = gd::make_synthetic(1);
  return d;
}

void step(benchmark::State& state, gd::Kernels k) {
  gd::use_kernels(k);
  const int n = int(state.range(0)), shards = state.range(1) == 0 ? gd::default_shards(n) : int(state.range(1));
  {
    const gd::Dataset& train = data().train;
    gd::Trainee t(gd::ModelSpec{{kIn, kH1, kH2, kOut}}, 1, train, gd::shuffled_order(train.size(), 1), n, shards);
    auto pattern = gd::find_pattern("sequential").make(1);
    for (int w = 0; w < 3; ++w) t.run_step(*pattern);  // warm-up, not timed
    for (auto _ : state) t.run_step(*pattern);
  }
  set_rate(state, flops_per_step(n));
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["shards"] = shards;
  state.SetLabel(gd::kernel_backend() + ", gdlab Step, sequential");
}

#ifdef GDLAB_BENCH_OPENBLAS
// The same 8 GEMMs through Debian's serial OpenBLAS, for comparison only: it is not safe to
// call from two threads at once (built without USE_LOCKING), so the trainer cannot use it.
void openblas_gemms(benchmark::State& state) {
  const int n = int(state.range(0));
  Operands o(n);
  auto sgemm = [](const gd::Gemm& g, const float* a, const float* b, float* c) {
    const gd::GemmShape& s = g.shape();
    const bool ta = s.a == gd::Op::transpose, tb = s.b == gd::Op::transpose;
    cblas_sgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f, a,
                ta ? s.k : s.m, b, tb ? s.n : s.k, 0.0f, c, s.m);
  };
  const float* a[] = {o.W1.data(), o.W2.data(),  o.W3.data(), o.dZ3.data(),
                      o.W3.data(), o.dZ2.data(), o.W2.data(), o.dZ1.data()};
  const float* b[] = {o.X.data(),   o.A1.data(), o.A2.data(),  o.A2.data(),
                      o.dZ3.data(), o.A1.data(), o.dZ2.data(), o.X.data()};
  float* c[] = {o.A1.data(),  o.A2.data(),  o.Z3.data(),  o.dW3.data(),
                o.dA2.data(), o.dW2.data(), o.dA1.data(), o.dW1.data()};
  for (auto _ : state) {
    for (std::size_t i = 0; i < o.gemms.size(); ++i) sgemm(o.gemms[i], a[i], b[i], c[i]);
    benchmark::DoNotOptimize(o.dW1.data());
  }
  set_rate(state, flops_per_step(n));
  state.SetLabel("OpenBLAS (serial) cblas_sgemm, the 8 GEMMs of a step, for comparison");
}
#endif

// The median absolute deviation of the repetitions: a spread that one outlier cannot inflate,
// as it inflates a standard deviation. Google Benchmark prints it as "_mad".
double mad(const std::vector<double>& v) {
  auto median = [](std::vector<double> x) {
    std::sort(x.begin(), x.end());
    const std::size_t h = x.size() / 2;
    return x.size() % 2 ? x[h] : (x[h - 1] + x[h]) / 2;
  };
  const double m = median(v);
  std::vector<double> d;
  for (double x : v) d.push_back(std::abs(x - m));
  return median(d);
}

void register_all() {
  for (gd::Kernels k : gd::available_kernels()) {
    const std::string name(gd::kernels_name(k));
    auto* g = benchmark::RegisterBenchmark(("gemms/" + name).c_str(), gemms, k);
    g->ArgName("batch")->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);
    g->ComputeStatistics("mad", mad);
    for (int n : kBatches) g->Arg(n);
    // The step at the same widths as the GEMMs above: 1 shard, and the default (0 = batch/64).
    auto* s = benchmark::RegisterBenchmark(("step/" + name).c_str(), step, k);
    s->ArgNames({"batch", "shards"})->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);
    s->ComputeStatistics("mad", mad);
    for (int n : kBatches) {
      s->Args({n, 1});
      if (gd::default_shards(n) > 1) s->Args({n, 0});
    }
  }
#ifdef GDLAB_BENCH_OPENBLAS
  benchmark::RegisterBenchmark("gemms/openblas", openblas_gemms)
      ->ArgName("batch")
      ->Arg(16)
      ->Arg(64)
      ->Arg(256)
      ->UseRealTime()
      ->MeasureProcessCPUTime()
      ->Unit(benchmark::kMicrosecond);
#endif
}

// Keeps each benchmark's real time per iteration (the median when repeated) and its
// coefficient of variation (0 for a single run) while printing as usual, for the summary.
class Keeper : public benchmark::ConsoleReporter {
 public:
  struct Time {
    double seconds = 0, mad = 0;
  };
  std::map<std::string, Time> times;  // "step/onednn/batch:256/shards:1" -> its time
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      const std::string key = r.run_name.function_name + "/" + r.run_name.args;
      if (r.aggregate_name == "mad")
        times[key].mad = r.GetAdjustedRealTime() * 1e-6;
      else if (r.aggregate_name == "median" || (r.aggregate_name.empty() && !times.count(key)))
        times[key].seconds = r.GetAdjustedRealTime() * 1e-6;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  Time find(const std::string& key) const {
    auto it = times.find(key);
    return it == times.end() ? Time{} : it->second;
  }
};

void print_summary(const Keeper& k) {
  const double peak_s = k.find("peak_fma/").seconds;
#ifndef GDLAB_NO_VECTOR_FMA
  const double peak = peak_s > 0 ? 2.0 * kLanes * 12 * 1000 / peak_s * 1e-9 : 0;  // GFLOP/s
#else
  const double peak = 0;
#endif
  auto rate = [](int n, double seconds) { return seconds > 0 ? flops_per_step(n) / seconds * 1e-9 : 0; };
  auto share = [&](double gflops) { return peak > 0 ? gflops / peak : 0; };
  std::printf("\nSummary (one thread; GFLOP/s counts the step's 8 GEMMs, %.2f MFLOP a sample)\n",
              flops_per_step(1) * 1e-6);
  if (peak > 0) std::printf("  measured FMA peak: %.1f GFLOP/s\n", peak);
  std::printf("  %-8s %5s %6s | %9s %5s | %9s %5s %7s | %11s %7s %6s\n", "kernels", "batch", "shards", "GEMMs", "peak",
              "step", "peak", "k/s", "outside us", "noise", "share");
  for (gd::Kernels kernels : gd::available_kernels()) {
    const std::string name(gd::kernels_name(kernels));
    for (int n : kBatches)
      for (int s : {1, gd::default_shards(n)}) {
        const std::string at = "/batch:" + std::to_string(n) + "/shards:" + (s == 1 ? "1" : "0");
        const Keeper::Time step = k.find("step/" + name + at);
        // The GEMMs at this shard width: s sets of n / s columns each, as the step runs them.
        const Keeper::Time gemm = k.find("gemms/" + name + "/batch:" + std::to_string(n / s));
        const double t_step = step.seconds, t_gemms = s * gemm.seconds;
        if (t_step <= 0 || t_gemms <= 0) continue;
        const double g = rate(n, t_gemms), st = rate(n, t_step), outside = t_step - t_gemms;
        const double noise = step.mad + s * gemm.mad;  // the two spreads, added
        std::printf("  %-8s %5d %6d | %9.1f %4.0f%% | %9.1f %4.0f%% %7.1f | %11.1f %7.1f ", name.c_str(), n, s, g,
                    100 * share(g), st, 100 * share(st), n / t_step * 1e-3, outside * 1e6, noise * 1e6);
        if (std::abs(outside) <= noise)
          std::printf("%6s\n", "noise");
        else
          std::printf("%5.0f%%\n", 100 * outside / t_step);
        if (gd::default_shards(n) == 1) break;  // the default is 1 shard: one row
      }
  }
  std::printf(
      "  (GEMMs at shards > 1: that many GEMM sets of batch/shards columns, as the step runs them;\n"
      "   outside = step time - GEMM time: activations, softmax, gather, combine, update;\n"
      "   noise = the median absolute deviations of both, added: an outside time within it is not a figure.)\n");
}

}  // namespace

int main(int argc, char** argv) {
  gd::keep_freed_memory();  // the same allocator settings as the gdlab tool (shared/train/memory.hpp)
  register_all();
  // Interleaved repetitions unless the command line chooses (see the top of this file).
  std::vector<char*> args(argv, argv + argc);
  const bool chosen = std::any_of(args.begin(), args.end(), [](const char* a) {
    return std::string_view(a).rfind("--benchmark_repetitions", 0) == 0;
  });
  std::string reps = "--benchmark_repetitions=5", interleave = "--benchmark_enable_random_interleaving=true",
              aggregates = "--benchmark_display_aggregates_only=true";
  if (!chosen) args.insert(args.begin() + 1, {reps.data(), interleave.data(), aggregates.data()});
  int count = int(args.size());
  args.push_back(nullptr);
  argv = args.data();
  argc = count;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Keeper keeper;
  benchmark::RunSpecifiedBenchmarks(&keeper);
  benchmark::Shutdown();
  print_summary(keeper);
  return 0;
}
