#include "train/model.hpp"

#include <fmt/format.h>
#include <cmath>
#include <cstring>

#include "train/error.hpp"

namespace gd {

Activation parse_activation(const std::string& s) {
  if (s == "relu") return Activation::relu;
  if (s == "tanh") return Activation::tanh;
  if (s == "sigmoid") return Activation::sigmoid;
  throw UsageError("unknown activation '" + s + "' (use relu, tanh or sigmoid)");
}
Loss parse_loss(const std::string& s) {
  if (s == "ce" || s == "softmax_ce" || s == "cross-entropy") return Loss::softmax_ce;
  if (s == "mse") return Loss::mse;
  throw UsageError("unknown loss '" + s + "' (use ce or mse)");
}
std::string to_string(Activation a) {
  switch (a) {
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
    case Activation::sigmoid:
      return "sigmoid";
  }
  return "?";
}
std::string to_string(Loss l) { return l == Loss::mse ? "mse" : "ce"; }

std::vector<int> parse_layers(const std::string& text) {
  std::vector<int> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t dash = text.find('-', pos);
    std::string part = text.substr(pos, dash == std::string::npos ? std::string::npos : dash - pos);
    char* end = nullptr;
    long v = part.empty() ? 0 : std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || v < 1 || v > 65536)
      throw UsageError("bad --layers '" + text + "': expected sizes 1..65536 joined by '-', e.g. 784-256-128-10");
    out.push_back(static_cast<int>(v));
    if (dash == std::string::npos) break;
    pos = dash + 1;
  }
  if (out.size() < 2) throw UsageError("bad --layers '" + text + "': need at least an input and an output size");
  return out;
}

std::string layers_string(const std::vector<int>& l) {
  std::string s;
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (i) s += '-';
    s += std::to_string(l[i]);
  }
  return s;
}

static std::size_t pad16(std::size_t n) { return (n + 15) / 16 * 16; }

std::size_t step_floats(const std::vector<int>& layers, long batch, long shards) {
  // In doubles: 64 layers of 65536 units overflow nothing here, and the answer only
  // has to be compared with a limit.
  double params = 0, units = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    units += layers[l];
    if (l > 0) params += double(layers[l - 1]) * layers[l] + layers[l];
  }
  const double floats = params * (3.0 + double(shards)) + 2.0 * units * double(batch);
  return floats >= 0x1p62 ? std::size_t(1) << 62 : std::size_t(floats);
}

void check_step_fits(const std::vector<int>& layers, long batch, long shards) {
  const std::size_t floats = step_floats(layers, batch, shards);  // compared in floats: bytes could overflow
  const double bytes = double(floats) * sizeof(float);
  if (floats > kMaxStepBytes / sizeof(float))
    throw UsageError(fmt::format(
        "layers {} with batch {} and {} shard{} need about {:.1f} GiB per step, over the "
        "{} GiB limit: use smaller layers, batch or shard count",
        layers_string(layers), batch, shards, shards == 1 ? "" : "s", bytes / double(1 << 30), kMaxStepBytes >> 30));
}

Layout::Layout(const std::vector<int>& layers) {
  std::size_t at = 0;
  for (std::size_t l = 1; l < layers.size(); ++l) {
    Block b{layers[l - 1], layers[l], 0, 0};
    b.w = at;
    at = pad16(at + std::size_t(b.in) * b.out);
    b.b = at;
    at = pad16(at + b.out);
    count += std::size_t(b.in) * b.out + b.out;
    blocks.push_back(b);
  }
  size = at;
}

Model::Model(ModelSpec s) : spec(std::move(s)), layout(spec.layers), w(Params::Zero(layout.size)) {}

MatMap Model::W(std::size_t l, Params& p) const {
  const auto& b = layout.blocks[l];
  return MatMap(p.data() + b.w, b.out, b.in);
}
VecMap Model::b(std::size_t l, Params& p) const {
  const auto& b = layout.blocks[l];
  return VecMap(p.data() + b.b, b.out);
}

void Model::init(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  w.setZero();
  for (std::size_t l = 0; l < layout.blocks.size(); ++l) {
    const auto& b = layout.blocks[l];
    double limit = spec.activation == Activation::relu ? std::sqrt(6.0 / b.in) : std::sqrt(6.0 / (b.in + b.out));
    float* p = w.data() + b.w;
    for (std::size_t i = 0; i < std::size_t(b.in) * b.out; ++i) {
      double u = double(rng() >> 11) * 0x1.0p-53;  // uniform [0, 1), same on every platform
      p[i] = static_cast<float>((2 * u - 1) * limit);
    }
  }
}

std::uint64_t Model::checksum() const {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](const float* p, std::size_t n) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n * sizeof(float); ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  };
  for (const auto& b : layout.blocks) {
    mix(w.data() + b.w, std::size_t(b.in) * b.out);
    mix(w.data() + b.b, b.out);
  }
  return h;
}

std::string checksum_hex(std::uint64_t c) { return fmt::format("{:016x}", c); }

Workspace::Workspace(const ModelSpec& s, int max_columns) {
  for (int size : s.layers) {
    a.emplace_back(size, max_columns);
    dz.emplace_back(size, max_columns);
  }
}

const Workspace::Products& Workspace::products(const Model& m, int n, Params* grad) {
  const auto key = std::make_tuple(n, m.w.data(), grad ? grad->data() : nullptr);
  if (auto it = products_.find(key); it != products_.end()) return it->second;
  Products p;
  const float* w = m.w.data();
  for (std::size_t l = 0; l < m.layout.blocks.size(); ++l) {
    const Layout::Block& b = m.layout.blocks[l];
    p.forward.emplace_back(GemmShape{b.out, n, b.in}, w + b.w, a[l].data(), a[l + 1].data());
    if (!grad) continue;
    p.weights.emplace_back(GemmShape{b.out, b.in, n, Op::none, Op::transpose}, dz[l + 1].data(), a[l].data(),
                           grad->data() + b.w);
    if (l > 0)
      p.inputs.emplace_back(GemmShape{b.in, n, b.out, Op::transpose, Op::none}, w + b.w, dz[l + 1].data(),
                            dz[l].data());
  }
  return products_.emplace(key, std::move(p)).first->second;
}

ShardTotals forward_backward(const Model& m, Workspace& ws, int n, const int* labels, const float* targets,
                             float batch_size, Params* grad) {
  ShardTotals t;
  t.samples = n;
  const std::size_t L = m.layout.blocks.size();
  if (n == 0) {
    if (grad) grad->setZero();
    return t;
  }
  Params& w = const_cast<Params&>(m.w);  // read-only use; Map needs a non-const array
  const Workspace::Products& gemm = ws.products(m, n, grad);

  // Forward: Z_l = W_l A_{l-1} + b_l, then the activation (hidden layers only).
  for (std::size_t l = 0; l < L; ++l) {
    gemm.forward[l].run();
    auto z = ws.a[l + 1].leftCols(n);
    z.colwise() += m.b(l, w);
    if (l + 1 == L) break;
    switch (m.spec.activation) {
      case Activation::relu:
        z = z.cwiseMax(0.0f);
        break;
      case Activation::tanh:
        z = z.array().tanh();
        break;
      case Activation::sigmoid:
        z = (1.0f + (-z.array()).exp()).inverse();
        break;
    }
  }

  // Loss and dLoss/dZ_L (scaled by 1/batch_size so that shard gradients simply add up).
  auto out = ws.a[L].leftCols(n);
  auto dz = ws.dz[L].leftCols(n);
  const float scale = 1.0f / batch_size;
  if (m.spec.loss == Loss::softmax_ce) {
    const int k = static_cast<int>(out.rows());
    for (int j = 0; j < n; ++j) {
      auto o = out.col(j);
      Eigen::Index best = 0;
      float mx = o.maxCoeff(&best);
      if (best == labels[j]) ++t.correct;
      auto d = dz.col(j);
      d = (o.array() - mx).exp();
      float sum = d.sum();
      if (labels[j] < 0 || labels[j] >= k) throw std::out_of_range("label out of range");
      t.loss += std::log(double(sum)) - double(o[labels[j]] - mx);
      d *= scale / sum;
      d[labels[j]] -= scale;
    }
  } else {
    Eigen::Map<const Matrix> y(targets, out.rows(), n);
    dz = out - y;
    t.loss = 0.5 * double(dz.squaredNorm());
    dz *= scale;
    if (out.rows() > 1) {
      for (int j = 0; j < n; ++j) {
        Eigen::Index best = 0, want = 0;
        out.col(j).maxCoeff(&best);
        y.col(j).maxCoeff(&want);
        if (best == want) ++t.correct;
      }
    }
  }
  if (!grad) return t;

  // Backward: dW_l = dZ_l A_{l-1}^T, db_l = row sums of dZ_l, dZ_{l-1} = (W_l^T dZ_l) * act'.
  for (std::size_t l = L; l-- > 0;) {
    auto dzl = ws.dz[l + 1].leftCols(n);
    auto prev = ws.a[l].leftCols(n);
    gemm.weights[l].run();
    m.b(l, *grad) = dzl.rowwise().sum();
    if (l == 0) break;
    auto dprev = ws.dz[l].leftCols(n);
    gemm.inputs[l - 1].run();
    switch (m.spec.activation) {
      case Activation::relu:
        dprev = (prev.array() > 0.0f).select(dprev, 0.0f);
        break;
      case Activation::tanh:
        dprev.array() *= 1.0f - prev.array().square();
        break;
      case Activation::sigmoid:
        dprev.array() *= prev.array() * (1.0f - prev.array());
        break;
    }
  }
  return t;
}

}  // namespace gd
