#include "train/step.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "train/error.hpp"

namespace gd {

namespace {
constexpr std::size_t kSliceFloats = 8192;  // 32 KiB: a multiple of 16 floats, fits L1/L2 well
constexpr int kChunk = 256;                 // the combine sums a slice in chunks this long
constexpr int kMaxDepth = 32;               // tree levels: enough for any int shard count
constexpr std::size_t kFoldChunk = 2048;    // floats per buffer the fold adds at a time: 8 KiB

// The fixed tree: shards [a, b) are the sum of [a, mid) and [mid, b).
int tree_mid(int a, int b) { return a + (b - a + 1) / 2; }
}  // namespace

int default_shards(int batch) { return std::max(1, batch / 64); }

void BusyClock::reset() {
  static std::atomic<std::uint64_t> ids{0};
  id_ = ++ids;
  next_ = 0;
  peak_ = 0;
  overflow_ = 0;
  for (Slot& s : slots_) s.seconds = 0;
}

void BusyClock::enter() {
  const int now = ++active_;
  int peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
}

void BusyClock::leave(std::chrono::steady_clock::duration d) {
  if (count_concurrency) --active_;
  thread_local std::uint64_t owner = 0;  // the clock (and its reset) this thread's slot belongs to
  thread_local int slot = -1;
  if (owner != id_) {
    owner = id_;
    slot = next_.fetch_add(1, std::memory_order_relaxed);
  }
  const double seconds = std::chrono::duration<double>(d).count();
  if (slot < kMaxThreads)
    slots_[std::size_t(slot)].seconds += seconds;
  else
    overflow_.fetch_add(seconds);
}

std::vector<double> BusyClock::seconds() const {
  const int n = std::min(next_.load(std::memory_order_relaxed), kMaxThreads);
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(slots_[std::size_t(i)].seconds);
  if (next_.load(std::memory_order_relaxed) > kMaxThreads) out.push_back(overflow_.load());
  return out;
}

Step::Step(Model& model, const Dataset& data, int batch, int shards, Hyper hyper, int blocks)
    : model_(model), data_(data), hyper_(hyper), batch_(batch), blocks_(blocks) {
  if (batch < 1) throw UsageError("a batch needs at least one sample (got " + std::to_string(batch) + ")");
  if (shards < 1 || shards > batch)
    throw UsageError("a batch of " + std::to_string(batch) + " cannot be split into " + std::to_string(shards) +
                     " shards: each shard needs at least one sample");
  if (std::size_t(data.features) != model.inputs())
    throw UsageError("the data has " + std::to_string(data.features) + " features but the model's input layer is " +
                     std::to_string(model.inputs()));
  if (std::size_t(data.outputs) != model.outputs())
    throw UsageError("the data has " + std::to_string(data.outputs) + (data.classification ? " classes" : " outputs") +
                     " but the model's output layer is " + std::to_string(model.outputs()));
  if (!data.classification && model.spec.loss == Loss::softmax_ce)
    throw UsageError("regression data needs the mse loss, not softmax cross-entropy");
  if (blocks < 1)
    throw UsageError("a layer cannot be split into " + std::to_string(blocks) + " neuron blocks: it needs at least 1");
  if (blocks > max_blocks(model.spec.layers))
    throw UsageError(std::to_string(blocks) + " neuron blocks do not fit layers " + layers_string(model.spec.layers) +
                     ": the narrowest has " + std::to_string(max_blocks(model.spec.layers)) +
                     " neurons, and every block needs at least one");
  const int max_cols = (batch + shards - 1) / shards;
  for (int s = 0; s < shards; ++s) {
    ws_.emplace_back(model.spec, max_cols);
    shard_grad_.push_back(Params::Zero(model.layout.size));
    shard_labels_.emplace_back(max_cols);
    shard_targets_.emplace_back(std::size_t(max_cols) * model.outputs());
  }
  block_totals_.assign(std::size_t(shards), std::vector<ShardTotals>(std::size_t(blocks)));
  held_.resize(shards);
  grad_ = Params::Zero(model.layout.size);
  velocity_ = Params::Zero(model.layout.size);
  for (std::size_t b = 0; b < model.layout.size; b += kSliceFloats) slice_begin_.push_back(b);
  slice_begin_.push_back(model.layout.size);
  update_source_.assign(slice_begin_.size() - 1, grad_.data());
  // Every shard's matrix products for a full batch and for the short last batch of an
  // epoch, made here so that no step pays for making them (a kernel library may compile
  // each shape). Another sample count makes its own on first use.
  for (int n : {batch, int(data.size() % std::size_t(batch))}) {
    if (n == 0) continue;
    for (int s = 0; s < shards; ++s) {
      const int count = block_rows(n, shards, s).second;
      if (count > 0) ws_[std::size_t(s)].products(model, count, &shard_grad_[std::size_t(s)], blocks);
    }
  }
}

void Step::prepare(const int* indices, int n, const Dataset* from) {
  if (from && (from->features != data_.features || from->classification != data_.classification))
    throw std::logic_error("Step::prepare: a batch of another shape than the step's data");
  source_ = from ? from : &data_;
  indices_ = indices;
  n_ = n;
  // Until a combine says otherwise, the update reads gradient() (openmp_reduction fills it).
  std::fill(update_source_.begin(), update_source_.end(), grad_.data());
  for (int s = 0; s < shards(); ++s) held_[std::size_t(s)] = s + 1;  // each buffer: its own shard
  ++step_no_;
}

std::pair<int, int> Step::shard_block(int t, int p) const {
  if (view_ranks_ > 0) {  // inside a rank: its workers are r*p .. r*p + p-1 of R*p
    t += view_rank_ * p;
    p *= view_ranks_;
  }
  const long S = shards();  // rounded up, so the first threads get the extra shards
  return {int((S * t + p - 1) / p), int((S * (t + 1) + p - 1) / p)};
}

// [lesson:fold]
void Step::run_shards(int first, int last) {
  for (int s = first; s < last; ++s) {
    run_shard(s);
    if (s == first) continue;
    // Every node of the block's tree that shard s completes, added now, while s's
    // gradient is still in this core's cache; a chunk at a time, so the partial sums
    // stay in L1. Each float gets the same additions in the same order as a fold after
    // the whole block would give it, so the bits do not change.
    BusyClock::Scope timed(busy);
    for (std::size_t off = 0, n = param_floats(); off < n; off += kFoldChunk)
      fold(0, shards(), first, last, s + 1, off, std::min(kFoldChunk, n - off));
  }
  mark_folded(0, shards(), first, last);
}

// Adds up, bottom-up, the nodes of the tree that lie inside [first, last) and end at
// shard `end`, at floats [off, off + n), into the buffer of the node's first shard.
// This thread has just written those buffers, so the additions read nothing from
// another core's cache.
void Step::fold(int a, int b, int first, int last, int end, std::size_t off, std::size_t n) {
  if (b - a < 2 || b <= first || last <= a || b < end || a >= end) return;  // nothing here ends at `end`
  const int m = tree_mid(a, b);
  if (end <= m)
    fold(a, m, first, last, end, off, n);  // the nodes ending at `end` lie on one side
  else
    fold(m, b, first, last, end, off, n);
  if (b == end && first <= a && b <= last) {  // the whole node is in the block
    float* ga = shard_grad_[a].data() + off;
    const float* gm = shard_grad_[m].data() + off;  // holds [m, b), folded just above (or one shard)
    for (std::size_t i = 0; i < n; ++i) ga[i] += gm[i];
  }
}
void Step::mark_folded(int a, int b, int first, int last) {
  if (b - a < 2 || b <= first || last <= a) return;
  const int m = tree_mid(a, b);
  mark_folded(a, m, first, last);
  mark_folded(m, b, first, last);
  if (first <= a && b <= last) held_[a] = b;  // buffer a now holds the sum of [a, b)
}
// [/lesson:fold]

std::pair<int, int> Step::shard_range(int s) const {
  return block_rows(n_, shards(), s);  // n samples in S shards: the first n % S get one extra
}

void Step::run_shard(int s) {
  for (int q = 0; q < phases(); ++q)
    for (int j = 0; j < blocks_; ++j) run_block(s, q, j);
}

void Step::run_shard_with(int s, const Model& weights) {
  if (weights.layout.size != model_.layout.size) throw std::logic_error("Step::run_shard_with: another model's shape");
  for (int q = 0; q < phases(); ++q)
    for (int j = 0; j < blocks_; ++j) run_block_with(weights, s, q, j);
}

std::string Step::where(int j) const { return blocks_ > 1 ? "block " + std::to_string(j) + ": " : ""; }

void Step::run_block(int s, int q, int j) { run_block_with(model_, s, q, j); }

void Step::run_block_with(const Model& m, int s, int q, int j) {
  BusyClock::Scope timed(busy);
  try {
    auto [first, count] = shard_range(s);
    const int L = int(m.layout.blocks.size());
    if (count == 0) {  // a short last batch can leave a shard without samples
      if (q == 0 && j == 0) shard_grad_[s].setZero();
      if (q == L + 1) block_totals_[s][j] = {};
      return;
    }
    Workspace& ws = ws_[s];
    const Workspace::Products& p = ws.products(m, count, &shard_grad_[s], blocks_);
    if (q == 0) {
      gather(s, first, count, j);
    } else if (q <= L) {
      forward_block(m, ws, p, count, std::size_t(q - 1), j, blocks_);
    } else if (q == L + 1) {
      ShardTotals& t = block_totals_[s][j];
      t = loss_block(m, ws, count, j, blocks_, shard_labels_[s].data(), shard_targets_[s].data(), float(n_));
      if (!std::isfinite(t.loss))
        throw ShardError(
            s, where(j) + "non-finite loss (NaN or infinity in the data, or training diverged: try a smaller --lr)");
      weights_block(m, ws, p, count, std::size_t(L - 1), j, blocks_, &shard_grad_[s]);
    } else {
      const auto l = std::size_t(2 * L + 1 - q);  // from L - 1 down to 1
      deltas_block(m, ws, p, count, l, j, blocks_);
      weights_block(m, ws, p, count, l - 1, j, blocks_, &shard_grad_[s]);
    }
  } catch (const ShardError&) {
    throw;
  } catch (const std::exception& e) {
    throw ShardError(s, where(j) + e.what());
  }
}

// Gathers block j's share of shard s's samples into its input matrix: features (rows)
// block_rows(F, blocks, j) of every sample, whole rows of the row-major matrix that no
// other block writes, and the labels of its columns (each block's loss reads every
// column's label, once the barriers have ordered every block's gather before it).
// Split by samples instead, two blocks would write parts of one cache line in every row.
void Step::gather(int s, int first, int count, int j) {
  const bool faulty = fault.kind != Fault::Kind::none && (fault.shard == s || fault.shard < 0) &&
                      (fault.block == j || fault.block < 0) && (fault.at_step < 0 || fault.at_step == step_no_);
  if (faulty && fault.kind == Fault::Kind::slow) std::this_thread::sleep_for(fault.delay);
  // A plain exception, as a kernel or an allocation would throw; run_block names the
  // shard and the block.
  if (faulty && fault.kind == Fault::Kind::throw_error) throw std::runtime_error("injected failure");

  RowMajorMap x = ws_[s].a(0, count);
  const int O = int(model_.outputs());
  const auto [row, rows] = block_rows(source_->features, blocks_, j);
  put_samples(x, 0, count, source_->x.data(), indices_ + first, row, rows);
  const auto [column, columns] = block_rows(count, blocks_, j);
  for (int c = column; c < column + columns; ++c) {
    const int i = indices_[first + c];
    if (source_->classification)
      shard_labels_[s][c] = source_->labels[i];
    else
      std::copy_n(&source_->targets[std::size_t(i) * O], O, &shard_targets_[s][std::size_t(c) * O]);
  }
  // In block j's rows and columns, so the loss of block j's columns is the one to fail.
  if (faulty && fault.kind == Fault::Kind::nan_input && columns > 0 && rows > 0)
    x(row, column) = std::numeric_limits<float>::quiet_NaN();
}

// [lesson:combine]
// The sum of shards [a, b) at floats [off, off + n), by the fixed tree: the left half
// plus the right half. Returns where the sum is: a shard buffer when the node is one
// shard or was folded already, else dest (scratch holds the right half on the way).
const float* Step::tree_sum(int a, int b, std::size_t off, int n, float* dest, float* scratch) const {
  if (held_[a] == b) return shard_grad_[a].data() + off;
  const int m = tree_mid(a, b);
  const float* left = tree_sum(a, m, off, n, dest, scratch + kChunk);
  const float* right = tree_sum(m, b, off, n, scratch, scratch + kChunk);
  for (int i = 0; i < n; ++i) dest[i] = left[i] + right[i];
  return dest;
}

// A slice is summed a chunk at a time, so the partial sums stay in L1.
void Step::combine_slice(int k) {
  if (held_[0] == shards()) {  // one thread folded them all: the sum is in shard 0's buffer
    update_source_[std::size_t(k)] = shard_grad_[0].data();
    return;
  }
  BusyClock::Scope timed(busy);
  update_source_[std::size_t(k)] = grad_.data();
  float scratch[kMaxDepth][kChunk];
  float* g = grad_.data();
  for (std::size_t b = slice_begin_[k], e = slice_begin_[k + 1]; b < e; b += kChunk) {
    const int n = int(std::min<std::size_t>(kChunk, e - b));
    const float* sum = tree_sum(0, shards(), b, n, g + b, scratch[0]);
    if (sum != g + b) std::copy_n(sum, n, g + b);
  }
}
// [/lesson:combine]

// Denormals. A weight whose gradient stays zero (an input pixel that is always blank, a
// unit that never fires) has its velocity shrink by mu every step, into the subnormal
// range below FLT_MIN, where many x86 cores take a slow microcode path for every
// multiply: the update alone can then take several times as long as the whole step
// should. The update runs with flush-to-zero and denormals-are-zero set in the calling
// thread's MXCSR (and restored after), so such a velocity becomes 0. Every pattern
// updates through update_slice, so they all flush the same values, and the bits agree.
namespace {
class FlushDenormals {
 public:
#if defined(__SSE__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }  // FTZ (bit 15) | DAZ (bit 6)
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};
}  // namespace

// Momentum SGD on floats [0, n) of w and v, with gradient g: the one formula every
// update of the step uses, so updates by slices and by blocks give the same bits.
namespace {
void momentum_sgd(float* w, float* v, const float* g, std::size_t n, Hyper h) {
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = h.momentum * v[i] + (g[i] + h.weight_decay * w[i]);
    w[i] -= h.lr * v[i];
  }
}
}  // namespace

// Every thread read all the weights in its forward pass, so the cache lines written here
// are held by the other cores too, and a store must wait until their copies are
// invalidated (lesson 13). One such wait at a time would leave the core idle; asking for
// the next block of lines in write mode (a write prefetch) while this block is computed
// lets those invalidations overlap. The arithmetic, and so the result, is unchanged.
void Step::update_slice(int k) {
  BusyClock::Scope timed(busy);
  FlushDenormals ftz;
  const std::size_t b = slice_begin_[k], e = slice_begin_[k + 1];
  const float* g = update_source_[std::size_t(k)];
  constexpr std::size_t kBlock = 256, kLine = 64 / sizeof(float);  // floats: 16 cache lines, one line
  float* w = model_.w.data();
  for (std::size_t i = b; i < std::min(e, b + kBlock); i += kLine) __builtin_prefetch(w + i, /*write=*/1);
  for (std::size_t block = b; block < e; block += kBlock) {
    for (std::size_t i = block + kBlock; i < std::min(e, block + 2 * kBlock); i += kLine) __builtin_prefetch(w + i, 1);
    const std::size_t n = std::min(e, block + kBlock) - block;
    momentum_sgd(w + block, velocity_.data() + block, g + block, n, hyper_);
  }
}

// [lesson:update_block]
// Block j's rows of every layer: one run of the row-major weights and one of the bias.
// Each run is summed over the shards by the fixed tree, a chunk at a time into L1, and
// updated at once, without a trip through gradient(). Per float it is the arithmetic of
// combine_slice and update_slice, so the bits are the same. The thread that ran block j
// of every shard wrote every gradient read here, and the next step's forward pass of
// block j is the only one to read these rows of the weights, so they stay in its cache.
void Step::update_block(int j) {
  BusyClock::Scope timed(busy);
  FlushDenormals ftz;
  float sum[kChunk], scratch[kMaxDepth][kChunk];
  float* w = model_.w.data();
  float* v = velocity_.data();
  auto update_run = [&](std::size_t off, std::size_t n) {
    for (std::size_t b = off, e = off + n; b < e; b += kChunk) {
      const int m = int(std::min<std::size_t>(kChunk, e - b));
      momentum_sgd(w + b, v + b, tree_sum(0, shards(), b, m, sum, scratch[0]), std::size_t(m), hyper_);
    }
  };
  for (const Layout::Block& b : model_.layout.blocks) {
    const auto [r, rows] = block_rows(b.out, blocks_, j);
    update_run(b.w + std::size_t(r) * std::size_t(b.in), std::size_t(rows) * std::size_t(b.in));
    update_run(b.b + std::size_t(r), std::size_t(rows));
  }
}
// [/lesson:update_block]

void Step::clear_gradient() {
  grad_.setZero();
  std::fill(update_source_.begin(), update_source_.end(), grad_.data());
}

void Step::add_shard_to_gradient(int s) {
  BusyClock::Scope timed(busy);
  grad_ += shard_grad_[s];
}

std::vector<std::pair<int, int>> Step::block_nodes(int first, int last) const {
  std::vector<std::pair<int, int>> out;
  // The largest nodes inside [first, last), left to right: exactly those mark_folded leaves
  // on top (a node inside the block whose parent is not).
  auto visit = [&](auto& self, int a, int b) -> void {
    if (b <= first || last <= a || a >= b) return;
    if (first <= a && b <= last) {
      out.push_back({a, b});
      return;
    }
    const int m = tree_mid(a, b);
    self(self, a, m);
    self(self, m, b);
  };
  visit(visit, 0, shards());
  return out;
}

ShardTotals Step::shard_totals(int s) const {
  ShardTotals t;
  for (const ShardTotals& b : block_totals_[std::size_t(s)]) {
    t.loss += b.loss;
    t.correct += b.correct;
    t.samples += b.samples;
  }
  return t;
}

void Step::set_shard_totals(int s, ShardTotals t) {
  auto& blocks = block_totals_[std::size_t(s)];
  std::fill(blocks.begin(), blocks.end(), ShardTotals{});
  blocks[0] = t;
}

ShardTotals Step::totals() const {
  ShardTotals t;
  for (const auto& shard : block_totals_)
    for (const ShardTotals& b : shard) {
      t.loss += b.loss;
      t.correct += b.correct;
      t.samples += b.samples;
    }
  return t;
}

}  // namespace gd
