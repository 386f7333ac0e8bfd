#include "train/model.hpp"

#include <fmt/format.h>
#include <algorithm>
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

RowMajorMap Model::W(std::size_t l, Params& p) const {
  const auto& b = layout.blocks[l];
  return RowMajorMap(p.data() + b.w, b.out, b.in);
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
    rows_.push_back(size);
    a_.push_back(Params::Zero(Eigen::Index(size) * max_columns));
    dz_.push_back(Params::Zero(Eigen::Index(size) * max_columns));
  }
}

RowMajorMap Workspace::a(std::size_t l, int n) { return {a_[l].data(), rows_[l], n}; }
RowMajorMap Workspace::dz(std::size_t l, int n) { return {dz_[l].data(), rows_[l], n}; }

void put_samples(RowMajorMap x, int first, int count, const float* samples, const int* which, int row, int rows) {
  constexpr int kGroup = 16;  // floats in a 64-byte cache line
  const std::size_t F = std::size_t(x.rows()), f0 = std::size_t(row), f1 = rows < 0 ? F : f0 + std::size_t(rows);
  const float* from[kGroup];
  for (int c = first; c < first + count; c += kGroup) {
    const int g = std::min(kGroup, first + count - c);
    for (int k = 0; k < g; ++k) from[k] = samples + std::size_t(which[c - first + k]) * F;
    for (std::size_t f = f0; f < f1; ++f) {
      float* to = x.data() + f * std::size_t(x.cols()) + std::size_t(c);  // row f, columns c .. c + g
      for (int k = 0; k < g; ++k) to[k] = from[k][f];
    }
  }
}

std::pair<int, int> block_rows(int rows, int blocks, int j) {
  const int base = rows / blocks, extra = rows % blocks;
  return {j * base + std::min(j, extra), base + (j < extra ? 1 : 0)};
}

int max_blocks(const std::vector<int>& layers) {
  return layers.size() < 2 ? 0 : *std::min_element(layers.begin() + 1, layers.end());
}

int default_blocks(const std::vector<int>& layers) {
  if (layers.size() < 3) return 1;  // no hidden layer
  const int narrowest_hidden = *std::min_element(layers.begin() + 1, layers.end() - 1);
  return std::clamp(narrowest_hidden / 64, 1, max_blocks(layers));
}

const Workspace::Products& Workspace::products(const Model& m, int n, Params* grad, int blocks) {
  const auto key = std::make_tuple(n, m.w.data(), grad ? grad->data() : nullptr, blocks);
  if (auto it = products_.find(key); it != products_.end()) return it->second;
  Products p;
  const float* w = m.w.data();
  const std::size_t L = m.layout.blocks.size();
  p.forward.resize(L);
  p.weights.resize(L);
  p.inputs.resize(L);
  // gemm.hpp takes column-major matrices: a row-major r x c matrix is its c x r transpose,
  // column-major. So a row-major product C = A B runs as C^T = B^T A^T, and rows
  // [r, r + rows) of W_l (out x in) or of a layer's values (out x n) are one run of
  // memory, from r * in or r * n.
  for (std::size_t l = 0; l < L; ++l) {
    const Layout::Block& b = m.layout.blocks[l];
    float* a_in = a_[l].data();
    for (int j = 0; j < blocks; ++j) {
      const auto [r, rows] = block_rows(b.out, blocks, j);
      const std::size_t row_run = std::size_t(r) * std::size_t(b.in), value_run = std::size_t(r) * std::size_t(n);
      // (rows j of Z_l)^T = A_{l-1}^T (rows j of W_l)^T
      p.forward[l].emplace_back(GemmShape{n, rows, b.in, Op::none, Op::none, n, b.in, n}, a_in, w + b.w + row_run,
                                a_[l + 1].data() + value_run);
      if (!grad) continue;
      // (rows j of dW_l)^T = A_{l-1} (rows j of dZ_l)^T
      p.weights[l].emplace_back(GemmShape{b.in, rows, n, Op::transpose, Op::none, n, n, b.in}, a_in,
                                dz_[l + 1].data() + value_run, grad->data() + b.w + row_run);
      if (l == 0) continue;
      // (rows q of dA_{l-1})^T = dZ_l^T (columns q of W_l); columns [q, q + cols) of W_l
      // are columns of W_l's column-major transpose, one run each from q.
      const auto [q, cols] = block_rows(b.in, blocks, j);
      p.inputs[l].emplace_back(GemmShape{n, cols, b.out, Op::none, Op::transpose, n, b.in, n}, dz_[l + 1].data(),
                               w + b.w + q, dz_[l].data() + std::size_t(q) * std::size_t(n));
    }
  }
  return products_.emplace(key, std::move(p)).first->second;
}

ShardTotals forward_backward(const Model& m, Workspace& ws, int n, const int* labels, const float* targets,
                             float batch_size, Params* grad) {
  if (n == 0) {
    if (grad) grad->setZero();
    return {};
  }
  const Workspace::Products& p = ws.products(m, n, grad);
  const std::size_t L = m.layout.blocks.size();
  for (std::size_t l = 0; l < L; ++l) forward_block(m, ws, p, n, l, 0, 1);
  ShardTotals t = loss_block(m, ws, n, 0, 1, labels, targets, batch_size);
  if (grad)
    for (std::size_t l = L; l-- > 0;) {
      weights_block(m, ws, p, n, l, 0, 1, grad);
      if (l > 0) deltas_block(m, ws, p, n, l, 0, 1);
    }
  return t;
}

// Forward: Z_l = W_l A_{l-1} + b_l, then the activation (hidden layers only), on rows j.
void forward_block(const Model& m, Workspace& ws, const Workspace::Products& p, int n, std::size_t l, int j,
                   int blocks) {
  const auto [r, rows] = block_rows(m.layout.blocks[l].out, blocks, j);
  Params& w = const_cast<Params&>(m.w);  // read-only use; Map needs a non-const array
  p.forward[l][std::size_t(j)].run();
  RowMajorMap out = ws.a(l + 1, n);
  auto z = out.middleRows(r, rows);
  z.colwise() += m.b(l, w).segment(r, rows);
  if (l + 1 == m.layout.blocks.size()) return;
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
// Block j writes its rows of dZ_L in every column: a column's softmax needs all of the
// column's outputs, so each block computes it whole and keeps its own rows, and the
// blocks' rows of dW_L need no barrier before them. The loss and the hits are counted
// over block j's columns, so that a NaN is reported by the block whose columns hold it.
ShardTotals loss_block(const Model& m, Workspace& ws, int n, int j, int blocks, const int* labels, const float* targets,
                       float batch_size) {
  const std::size_t L = m.layout.blocks.size();
  RowMajorMap out = ws.a(L, n), dz = ws.dz(L, n);
  const int k = static_cast<int>(out.rows());
  const auto [r, rows] = block_rows(k, blocks, j);
  const auto [first, count] = block_rows(n, blocks, j);
  ShardTotals t;
  t.samples = count;
  const float scale = 1.0f / batch_size;
  if (m.spec.loss == Loss::softmax_ce) {
    for (int c = 0; c < n; ++c) {
      const int label = labels[c];
      if (label < 0 || label >= k) throw std::out_of_range("label out of range");
      auto o = out.col(c);
      Eigen::Index best = 0;
      const float mx = o.maxCoeff(&best);
      float sum = 0;  // added in row order; a block's own rows take their exponentials again
      for (int i = 0; i < k; ++i) sum += std::exp(o[i] - mx);
      for (int i = r; i < r + rows; ++i) dz(i, c) = std::exp(o[i] - mx) * (scale / sum) - (i == label ? scale : 0.0f);
      if (c >= first && c < first + count) {
        t.loss += std::log(double(sum)) - double(o[label] - mx);
        if (best == label) ++t.correct;
      }
    }
  } else {
    // Rows r of (outputs - targets), scaled; the loss is half the squared error of columns j.
    for (int c = 0; c < n; ++c) {
      const float* y = targets + std::size_t(c) * std::size_t(k);
      for (int i = r; i < r + rows; ++i) dz(i, c) = (out(i, c) - y[i]) * scale;
      if (c < first || c >= first + count) continue;
      for (int i = 0; i < k; ++i) t.loss += 0.5 * double(out(i, c) - y[i]) * double(out(i, c) - y[i]);
      if (k > 1) {
        Eigen::Index best = 0;
        out.col(c).maxCoeff(&best);
        if (best == std::max_element(y, y + k) - y) ++t.correct;  // the first of equal targets, as maxCoeff
      }
    }
  }
  return t;
}

// Backward, on rows j: dW_l = dZ_l A_{l-1}^T and db_l = the row sums of dZ_l, from rows j
// of dZ_l, which block j itself wrote (in the loss, or in deltas_block of the layer above).
void weights_block(const Model& m, Workspace& ws, const Workspace::Products& p, int n, std::size_t l, int j, int blocks,
                   Params* grad) {
  const auto [r, rows] = block_rows(m.layout.blocks[l].out, blocks, j);
  p.weights[l][std::size_t(j)].run();
  m.b(l, *grad).segment(r, rows) = ws.dz(l + 1, n).middleRows(r, rows).rowwise().sum();
}

// dZ_{l-1} = (W_l^T dZ_l) * act', on rows j of layer l-1: from all of dZ_l.
void deltas_block(const Model& m, Workspace& ws, const Workspace::Products& p, int n, std::size_t l, int j,
                  int blocks) {
  const auto [q, cols] = block_rows(m.layout.blocks[l].in, blocks, j);
  p.inputs[l][std::size_t(j)].run();
  RowMajorMap deltas = ws.dz(l, n), values = ws.a(l, n);
  auto dprev = deltas.middleRows(q, cols);
  auto prev = values.middleRows(q, cols);
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

}  // namespace gd
