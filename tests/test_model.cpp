// The maths of one shard: gradients against finite differences, layout, parsing.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "train/error.hpp"
#include "train/model.hpp"

using namespace gd;

namespace {

// Mean loss of the model on the columns of x (labels or targets), no gradient.
double loss_of(const Model& m, const Matrix& x, const std::vector<int>& labels, const std::vector<float>& targets) {
  Workspace ws(m.spec, int(x.cols()));
  ws.a(0, int(x.cols())) = x;
  return forward_backward(m, ws, int(x.cols()), labels.data(), targets.data(), 1.0f, nullptr).loss / double(x.cols());
}

void check_gradient(Activation act, Loss loss) {
  ModelSpec spec{{5, 7, 6, 3}, act, loss};
  Model m(spec);
  m.init(42);
  // Give biases non-zero values so their gradient is exercised too.
  for (std::size_t l = 0; l < m.layout.blocks.size(); ++l) m.b(l, m.w).setConstant(0.05f);
  const int n = 4;
  Matrix x = Matrix::Random(5, n);
  std::vector<int> labels{0, 2, 1, 2};
  std::vector<float> targets(3 * n);
  for (int i = 0; i < 3 * n; ++i) targets[i] = 0.1f * float(i % 5) - 0.2f;

  Workspace ws(spec, n);
  ws.a(0, n) = x;
  Params grad = Params::Zero(m.layout.size);
  forward_backward(m, ws, n, labels.data(), targets.data(), float(n), &grad);

  // Central differences in double-ish precision: compare on every real parameter.
  int checked = 0, skipped = 0;
  for (const auto& b : m.layout.blocks) {
    for (std::size_t i = b.w; i < b.w + std::size_t(b.in) * b.out; i += 3) {
      const float keep = m.w[i];
      auto slope = [&](float h) {
        m.w[i] = keep + h;
        double up = loss_of(m, x, labels, targets);
        m.w[i] = keep - h;
        double down = loss_of(m, x, labels, targets);
        m.w[i] = keep;
        return (up - down) / (2 * h);
      };
      const double numeric = slope(1e-3f), finer = slope(5e-4f);
      // A ReLU kink inside [w-h, w+h] makes the two estimates disagree: the loss is
      // not differentiable there, so the check says nothing about the code. Skip it.
      if (std::abs(numeric - finer) > 1e-3 + 2e-2 * std::abs(numeric)) {
        ++skipped;
        continue;
      }
      EXPECT_NEAR(grad[i], numeric, 1e-3 + 2e-2 * std::abs(numeric)) << "parameter " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
  EXPECT_LE(skipped, checked / 5) << "too many kinks to trust the check";
}

}  // namespace

TEST(Model, GradientMatchesFiniteDifferencesReluCE) { check_gradient(Activation::relu, Loss::softmax_ce); }
TEST(Model, GradientMatchesFiniteDifferencesTanhCE) { check_gradient(Activation::tanh, Loss::softmax_ce); }
TEST(Model, GradientMatchesFiniteDifferencesSigmoidMSE) { check_gradient(Activation::sigmoid, Loss::mse); }

// The gather of a batch: samples (rows of the data) become columns of the input matrix,
// 16 at a time, with a short last group and columns outside [first, first + count) untouched;
// and a range of features only.
TEST(Model, PutSamplesMakesEachSampleAColumn) {
  const int F = 5, n = 40, first = 3, count = 35;  // two groups of 16 and one of 3
  std::vector<float> samples(100 * F);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = float(i);
  std::vector<int> which(count);
  for (int k = 0; k < count; ++k) which[std::size_t(k)] = (k * 37 + 11) % 100;
  std::vector<float> buffer(std::size_t(F) * n, -1.0f);
  RowMajorMap x(buffer.data(), F, n);
  put_samples(x, first, count, samples.data(), which.data());
  for (int f = 0; f < F; ++f)
    for (int c = 0; c < n; ++c) {
      const bool filled = c >= first && c < first + count;
      const float want = filled ? samples[std::size_t(which[std::size_t(c - first)] * F + f)] : -1.0f;
      EXPECT_EQ(x(f, c), want) << "feature " << f << ", column " << c;
    }
  // Features [1, 3) only, as a neuron block's gather writes them: the other rows keep their values.
  std::fill(buffer.begin(), buffer.end(), -1.0f);
  put_samples(x, first, count, samples.data(), which.data(), 1, 2);
  for (int f = 0; f < F; ++f)
    for (int c = 0; c < n; ++c) {
      const bool filled = c >= first && c < first + count && f >= 1 && f < 3;
      const float want = filled ? samples[std::size_t(which[std::size_t(c - first)] * F + f)] : -1.0f;
      EXPECT_EQ(x(f, c), want) << "rows 1-2: feature " << f << ", column " << c;
    }
}

TEST(Model, LayoutAlignsBlocksTo64Bytes) {
  Layout l({784, 256, 128, 10});
  EXPECT_EQ(l.count, 784u * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  for (const auto& b : l.blocks) {
    EXPECT_EQ(b.w % 16, 0u);
    EXPECT_EQ(b.b % 16, 0u);
  }
  EXPECT_GE(l.size, l.count);
}

TEST(Model, InitIsSeededAndChecksumSeesEveryWeight) {
  Model a({{784, 32, 10}}), b({{784, 32, 10}}), c({{784, 32, 10}});
  a.init(7);
  b.init(7);
  c.init(8);
  EXPECT_EQ(a.checksum(), b.checksum());
  EXPECT_NE(a.checksum(), c.checksum());
  b.b(1, b.w)[9] += 1e-7f;  // the very last bias
  EXPECT_NE(a.checksum(), b.checksum());
}

TEST(Model, ParseLayers) {
  EXPECT_EQ(parse_layers("784-256-128-10"), (std::vector<int>{784, 256, 128, 10}));
  EXPECT_EQ(parse_layers("2-8-1"), (std::vector<int>{2, 8, 1}));
  for (const char* bad : {"", "784", "784--10", "784-0-10", "a-b", "784-10-", "-784-10", "1-99999999"})
    EXPECT_THROW(parse_layers(bad), UsageError) << bad;
  EXPECT_THROW(parse_activation("gelu"), UsageError);
  EXPECT_THROW(parse_loss("hinge"), UsageError);
}

// ---- the kernel backends (train/gemm.hpp) ------------------------------------------

// Every backend computes C = op(A) op(B) for the four transpose cases, against a plain
// triple loop, and says which library it is; with contiguous operands and with each one a
// block of rows of a taller matrix (leading dimension = rows + pad), whose other rows
// C's product leaves as they were.
TEST(Kernels, EachBackendMultipliesInAllFourLayouts) {
  const Kernels configured = kernels();
  const int m = 5, n = 7, k = 3;
  for (Kernels backend : available_kernels()) {
    use_kernels(backend);
    EXPECT_EQ(kernel_backend().rfind(backend == Kernels::onednn ? "oneDNN " : "Eigen ", 0), 0u) << kernel_backend();
    if (backend == Kernels::onednn) {  // and the instruction set its kernels were made for, which decides their bits
      EXPECT_TRUE(std::regex_match(kernel_backend(), std::regex(R"(oneDNN \d+\.\d+\.\d+ \((sse41|avx)[a-z0-9_]*\))")))
          << kernel_backend();
    }
    for (int pad : {0, 3})
      for (Op oa : {Op::none, Op::transpose})
        for (Op ob : {Op::none, Op::transpose}) {
          const int ra = (oa == Op::none ? m : k) + pad, rb = (ob == Op::none ? k : n) + pad, rc = m + pad;
          std::vector<float> a(std::size_t(ra) * (oa == Op::none ? k : m)),
              b(std::size_t(rb) * (ob == Op::none ? n : k));
          for (std::size_t i = 0; i < a.size(); ++i) a[i] = float(i % 7) - 3.0f;
          for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(i % 5) * 0.5f - 1.0f;
          // op(A)(i, p) and op(B)(p, j) from column-major storage of A and B.
          auto A = [&](int i, int p) {
            return oa == Op::none ? a[std::size_t(i + p * ra)] : a[std::size_t(p + i * ra)];
          };
          auto B = [&](int p, int j) {
            return ob == Op::none ? b[std::size_t(p + j * rb)] : b[std::size_t(j + p * rb)];
          };
          std::vector<float> c(std::size_t(rc) * n, -99.0f);
          GemmShape shape{m, n, k, oa, ob};
          if (pad) shape.lda = ra, shape.ldb = rb, shape.ldc = rc;
          Gemm g(shape, a.data(), b.data(), c.data());
          g.run();
          for (int i = 0; i < rc; ++i)
            for (int j = 0; j < n; ++j) {
              float want = -99.0f;
              if (i < m) {
                want = 0;
                for (int p = 0; p < k; ++p) want += A(i, p) * B(p, j);
              }
              EXPECT_FLOAT_EQ(c[std::size_t(i + j * rc)], want) << kernel_backend() << " " << to_string(g.shape());
            }
        }
  }
  use_kernels(configured);
}

// A run never changes backend half-way: switching while a Gemm exists is refused.
TEST(Kernels, NoSwitchWhileAGemmExists) {
  const Kernels configured = kernels();
  EXPECT_EQ(available_kernels().front(), configured);
  EXPECT_EQ(kernels_from_name(kernels_name(configured)), configured);
  EXPECT_THROW(kernels_from_name("blas"), std::invalid_argument);
  float a = 2, b = 3, c = 0;
  {
    Gemm g({1, 1, 1}, &a, &b, &c);
    g.run();
    EXPECT_EQ(c, 6.0f);
    for (Kernels other : available_kernels()) {
      if (other != configured) {
        EXPECT_THROW(use_kernels(other), std::logic_error);
      }
    }
    EXPECT_NO_THROW(use_kernels(configured));  // the same backend is no switch
  }
  for (Kernels other : available_kernels()) {
    EXPECT_NO_THROW(use_kernels(other));
    EXPECT_EQ(kernels(), other);
  }
  use_kernels(configured);
}
