// The sequential kernel benchmark: one trainer step against the bare GEMMs of the same
// shapes, one thread, for 784-256-128-10.
//
//   build/release/bench/bench_kernels
//
// A step is 8 GEMMs (n = batch columns):
//   forward   Z1 = W1 X      (256x784)(784xn)     Z2 = W2 A1  (128x256)(256xn)   Z3 = W3 A2  (10x128)(128xn)
//   backward  dW3 = dZ3 A2^T   dW2 = dZ2 A1^T   dW1 = dZ1 X^T   (out x n)(n x in)
//             dA2 = W3^T dZ3   dA1 = W2^T dZ2                   (in x out)(out x n)
// about 2 * 235k * n * 2 = 1.0 MFLOP per sample. "GFLOP/s" counts those FLOPs, so the
// trainer's figure shows how close the whole step (activations, softmax, gather,
// combine, update) comes to its GEMMs alone. The gap is what no scheduler can win back.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cstdio>
#include <map>
#include <numeric>
#include <string>

#include "registry.hpp"
#include "train/data.hpp"
#include "train/memory.hpp"
#include "train/step.hpp"
#include "train/trainer.hpp"

#ifdef GDLAB_BENCH_OPENBLAS
#include <cblas.h>
#endif

namespace {

constexpr int kIn = 784, kH1 = 256, kH2 = 128, kOut = 10;

double flops_per_step(int n) {
  const double m1 = double(kH1) * kIn, m2 = double(kH2) * kH1, m3 = double(kOut) * kH2;  // out x in per layer
  const double forward = m1 + m2 + m3, weight_grads = m1 + m2 + m3, input_grads = m2 + m3;
  return 2.0 * n * (forward + weight_grads + input_grads);  // a multiply-add is 2 FLOPs
}

void set_rate(benchmark::State& state, int n) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_step(n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetItemsProcessed(state.iterations() * n);
}

// The trainer's step with the sequential pattern, one shard: the library as the patterns use it.
void trainer_step(benchmark::State& state) {
  const int n = int(state.range(0));
  static const gd::DataSplit d = gd::make_synthetic(1);
  std::vector<int> order(d.train.size());
  std::iota(order.begin(), order.end(), 0);
  gd::Model model({{kIn, kH1, kH2, kOut}});
  model.init(1);
  gd::Step step(model, d.train, n, 1, {});
  auto pattern = gd::find_pattern("sequential").make(1);
  const long runs = long(order.size()) / n;
  long k = 0;
  for (auto _ : state) {
    step.prepare(order.data() + (k++ % runs) * n, n);
    pattern->step(step);
  }
  set_rate(state, n);
  state.SetLabel("gdlab Step, sequential, 1 shard");
}

struct Shapes {
  Eigen::MatrixXf W1{kH1, kIn}, W2{kH2, kH1}, W3{kOut, kH2};
  Eigen::MatrixXf X, A1, A2, Z3, dZ3, dZ2, dZ1, dA2, dA1;
  Eigen::MatrixXf dW1{kH1, kIn}, dW2{kH2, kH1}, dW3{kOut, kH2};
  explicit Shapes(int n)
      : X(Eigen::MatrixXf::Random(kIn, n)),
        A1(kH1, n),
        A2(kH2, n),
        Z3(kOut, n),
        dZ3(Eigen::MatrixXf::Random(kOut, n)),
        dZ2(Eigen::MatrixXf::Random(kH2, n)),
        dZ1(Eigen::MatrixXf::Random(kH1, n)),
        dA2(kH2, n),
        dA1(kH1, n) {
    W1.setRandom();
    W2.setRandom();
    W3.setRandom();
  }
};

void eigen_gemms(benchmark::State& state) {
  const int n = int(state.range(0));
  Shapes s(n);
  for (auto _ : state) {
    s.A1.noalias() = s.W1 * s.X;
    s.A2.noalias() = s.W2 * s.A1;
    s.Z3.noalias() = s.W3 * s.A2;
    s.dW3.noalias() = s.dZ3 * s.A2.transpose();
    s.dA2.noalias() = s.W3.transpose() * s.dZ3;
    s.dW2.noalias() = s.dZ2 * s.A1.transpose();
    s.dA1.noalias() = s.W2.transpose() * s.dZ2;
    s.dW1.noalias() = s.dZ1 * s.X.transpose();
    benchmark::DoNotOptimize(s.dW1.data());
  }
  set_rate(state, n);
  state.SetLabel("Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                 ", the 8 GEMMs of a step");
}

#ifdef GDLAB_BENCH_OPENBLAS
// C = op(A) op(B), column-major, as Eigen stores them.
void sgemm(const Eigen::MatrixXf& A, bool ta, const Eigen::MatrixXf& B, bool tb, Eigen::MatrixXf& C) {
  const int m = int(C.rows()), n = int(C.cols()), k = ta ? int(A.rows()) : int(A.cols());
  cblas_sgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, A.data(),
              int(A.rows()), B.data(), int(B.rows()), 0.0f, C.data(), int(C.rows()));
}

void openblas_gemms(benchmark::State& state) {
  const int n = int(state.range(0));
  Shapes s(n);
  for (auto _ : state) {
    sgemm(s.W1, false, s.X, false, s.A1);
    sgemm(s.W2, false, s.A1, false, s.A2);
    sgemm(s.W3, false, s.A2, false, s.Z3);
    sgemm(s.dZ3, false, s.A2, true, s.dW3);
    sgemm(s.W3, true, s.dZ3, false, s.dA2);
    sgemm(s.dZ2, false, s.A1, true, s.dW2);
    sgemm(s.W2, true, s.dZ2, false, s.dA1);
    sgemm(s.dZ1, false, s.X, true, s.dW1);
    benchmark::DoNotOptimize(s.dW1.data());
  }
  set_rate(state, n);
  state.SetLabel("OpenBLAS (serial) cblas_sgemm, the 8 GEMMs of a step");
}
BENCHMARK(openblas_gemms)
    ->ArgName("batch")
    ->Arg(16)
    ->Arg(64)
    ->Arg(256)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);
#endif

BENCHMARK(trainer_step)
    ->ArgName("batch")
    ->Arg(16)
    ->Arg(64)
    ->Arg(256)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(eigen_gemms)
    ->ArgName("batch")
    ->Arg(16)
    ->Arg(64)
    ->Arg(256)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);

// Keeps each benchmark's time per iteration (the median when repeated) while printing
// as usual, so that main can print the ratios the question is about.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> seconds;  // "trainer_step/batch:256" -> seconds per iteration
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (!r.aggregate_name.empty() && r.aggregate_name != "median") continue;
      const std::string key = r.run_name.function_name + "/" + r.run_name.args;
      if (r.aggregate_name == "median" || !seconds.count(key)) seconds[key] = r.GetAdjustedRealTime() * 1e-6;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  gd::keep_freed_memory();  // the same allocator settings as the gdlab tool (shared/train/memory.hpp)
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  // Throughput of the whole trainer step relative to its GEMMs alone: 1.0 would mean the
  // step costs exactly its 8 GEMMs; above 1.0 the trainer's kernels beat that library.
  bool header = false;
  for (const char* lib : {"openblas_gemms", "eigen_gemms"})
    for (int n : {16, 64, 256}) {
      const std::string args = "batch:" + std::to_string(n);
      auto step = reporter.seconds.find("trainer_step/" + args),
           gemm = reporter.seconds.find(std::string(lib) + "/" + args);
      if (step == reporter.seconds.end() || gemm == reporter.seconds.end()) continue;
      if (!header) std::printf("\ntrainer step throughput / GEMM-only throughput (same shapes, one thread):\n");
      header = true;
      std::printf("  %-15s batch %3d: %.2f\n", lib, n, gemm->second / step->second);
    }
  return 0;
}
