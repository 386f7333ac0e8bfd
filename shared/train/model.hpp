// The multilayer perceptron: its shape, its parameters and the maths of one shard.
//
// Parameters live in ONE flat float array (Params). Layer l owns a weight block
// W_l (out x in, row-major: neuron i's weights are one run of `in` floats) and a bias
// block b_l (out). So a range of neurons (a neuron block, below) owns one run of each
// layer's weights and gradients, which its thread can update on its own. Every block starts on a
// multiple of 16 floats (64 bytes), so a gradient buffer is the same flat array and
// "combine" and "update" are plain loops over slices of it - the seam the patterns
// parallelise (shared/train/step.hpp).
//
// Shapes (n = samples in the shard, columns are samples; Workspace stores them row-major):
//   A_0 = X               in_0  x n
//   Z_l = W_l A_{l-1} + b_l         out_l x n
//   A_l = act(Z_l)        (hidden layers); the last layer is linear (logits)
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "train/gemm.hpp"

namespace gd {

enum class Activation { relu, tanh, sigmoid };
enum class Loss { softmax_ce, mse };

Activation parse_activation(const std::string&);
Loss parse_loss(const std::string&);
std::string to_string(Activation);
std::string to_string(Loss);
// "784-256-128-10" -> {784, 256, 128, 10}; throws UsageError on nonsense.
std::vector<int> parse_layers(const std::string&);
std::string layers_string(const std::vector<int>&);

struct ModelSpec {
  std::vector<int> layers{784, 256, 128, 10};
  Activation activation = Activation::relu;
  Loss loss = Loss::softmax_ce;
};

// Where each layer's blocks sit in the flat parameter array.
struct Layout {
  struct Block {
    int in, out;
    std::size_t w, b;
  };
  std::vector<Block> blocks;
  std::size_t size = 0;   // floats, padding included
  std::size_t count = 0;  // real parameters, padding excluded
  explicit Layout(const std::vector<int>& layers);
};

using Params = Eigen::VectorXf;  // aligned, padded flat array
using Matrix = Eigen::MatrixXf;
using MatMap = Eigen::Map<Matrix>;
using RowMajorMap = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
using VecMap = Eigen::Map<Eigen::VectorXf>;

struct Model {
  ModelSpec spec;
  Layout layout;
  Params w;  // the weights and biases

  explicit Model(ModelSpec s);
  // Glorot-uniform weights (He-uniform for ReLU), zero biases, from the seed alone.
  void init(std::uint64_t seed);
  RowMajorMap W(std::size_t l, Params& p) const;
  VecMap b(std::size_t l, Params& p) const;
  // 64-bit FNV-1a over the bytes of the real parameters: equal checksums <=> same weights.
  std::uint64_t checksum() const;
  std::size_t inputs() const { return spec.layers.front(); }
  std::size_t outputs() const { return spec.layers.back(); }
};

std::string checksum_hex(std::uint64_t);

// The memory one training step holds, in floats: the weights, the summed gradient and the
// momentum, one gradient per shard, and for every sample of the batch each layer's
// activations and deltas. Sizes that pass parse_layers can still need far more memory than
// a machine has (784-65536-65536-10 is 4.3 G parameters), so the tool checks this first.
std::size_t step_floats(const std::vector<int>& layers, long batch, long shards);
inline constexpr std::size_t kMaxStepBytes = std::size_t(4) << 30;  // 4 GiB
// Throws UsageError when a step of this shape would need more than kMaxStepBytes.
void check_step_fits(const std::vector<int>& layers, long batch, long shards);

// Neuron blocks: `blocks` fixed ranges of a layer's rows (its neurons), the first
// rows % blocks of them one row longer. Returns block j's [first row, count).
std::pair<int, int> block_rows(int rows, int blocks, int j);
// The most neuron blocks a model of these layer sizes takes: its narrowest layer's neurons
// (the input layer has none to split).
int max_blocks(const std::vector<int>& layers);
// The default block count for these layers: blocks of about 64 neurons of the narrowest
// hidden layer (so each block's products stay large enough to run near the kernel's
// speed, as default_shards keeps shards at about 64 samples), at least 1 and at most
// max_blocks. 784-256-128-10 gets 2.
int default_blocks(const std::vector<int>& layers);

// Activations of one shard, sized once for the largest shard (no allocation per step),
// and the matrix products that run on them. A layer's values for n samples form an
// out x n row-major matrix: one neuron's n values are one run of memory, so a block of
// neurons (rows) is one run too, and every product of a neuron block reads and writes
// dense matrices (a kernel library runs a dense operand faster than a strided one).
struct Workspace {
  Workspace(const ModelSpec&, int max_columns);
  RowMajorMap a(std::size_t l, int n);   // a(0, n) = the inputs, a(l, n) = layer l's activations
  RowMajorMap dz(std::size_t l, int n);  // dLoss/dZ_l

  // The products of a forward and backward pass over columns [0, n) with m's weights,
  // each layer cut into `blocks` neuron blocks, writing the weight gradients into *grad
  // (null: forward only). Made on first use for each (n, weights, gradient, blocks), then
  // kept: Step makes its shards' ones when it is built. Indexed [layer][block].
  struct Products {
    std::vector<std::vector<Gemm>> forward;  // rows j of Z_l = (rows j of W_l) A_{l-1}
    std::vector<std::vector<Gemm>> weights;  // rows j of dW_l = (rows j of dZ_l) A_{l-1}^T
    // per layer l >= 1: rows j of dA_{l-1} = (columns j of W_l)^T dZ_l, j a block of layer l-1
    std::vector<std::vector<Gemm>> inputs;
  };
  const Products& products(const Model& m, int n, Params* grad, int blocks = 1);

 private:
  std::vector<int> rows_;       // per layer: its neurons
  std::vector<Params> a_, dz_;  // per layer: rows_ x max_columns floats, viewed as rows_ x n
  std::map<std::tuple<int, const float*, float*, int>, Products> products_;
};

// Columns [first, first + count) of x (features x n, row-major) := the samples
// samples[which[k]], each of x.rows() floats; only rows [row, row + rows) of them when
// rows >= 0. A sample is a column here and a row in the data set, so this is a
// transpose: it goes 16 samples at a time, so that each row of x gets a whole cache line
// of 16 floats at once instead of one float per line.
void put_samples(RowMajorMap x, int first, int count, const float* samples, const int* which, int row = 0,
                 int rows = -1);

// What a shard's forward/backward reports (sums over its samples, not means).
struct ShardTotals {
  double loss = 0;  // sum of per-sample losses
  int correct = 0;  // argmax hits (classification only)
  int samples = 0;
};

// Forward over columns [0, n) of ws.a(0, n) (already filled). `targets` holds one
// label per column (classification) or outputs() floats per column (regression).
// When grad is non-null, also backpropagates and WRITES (not adds) the gradient
// of  (sum of the shard's losses) / batch_size  into grad.
ShardTotals forward_backward(const Model& m, Workspace& ws, int n, const int* labels, const float* targets,
                             float batch_size, Params* grad);

// forward_backward in the pieces that neuron blocks split it into (step.hpp states the
// order they must run in). p = ws.products(m, n, grad, blocks).
//   forward_block(l, j):  rows j of layer l's output, from all of A_{l-1}
//   loss_block(j):        rows j of dLoss/dZ_L, from every column's outputs (a column's
//                         softmax needs all of its rows); the loss and hits of columns j
//   weights_block(l, j):  rows j of dW_l and db_l, from rows j of layer l's deltas
//   deltas_block(l, j):   (l >= 1) rows j of dZ_{l-1}, from all of layer l's deltas
void forward_block(const Model& m, Workspace& ws, const Workspace::Products& p, int n, std::size_t l, int j,
                   int blocks);
ShardTotals loss_block(const Model& m, Workspace& ws, int n, int j, int blocks, const int* labels, const float* targets,
                       float batch_size);
void weights_block(const Model& m, Workspace& ws, const Workspace::Products& p, int n, std::size_t l, int j, int blocks,
                   Params* grad);
void deltas_block(const Model& m, Workspace& ws, const Workspace::Products& p, int n, std::size_t l, int j, int blocks);

}  // namespace gd
