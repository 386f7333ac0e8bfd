// Lesson 16 exercise: a model-parallel forward pass. Every layer's neurons are cut into
// blocks, p threads share the blocks, and the threads meet after each layer.
#pragma once
#include <utility>
#include <vector>

// One dense layer: W is out x in, column-major (W[i, k] at w[k * out + i]), b has out floats.
struct Layer {
  int in, out;
  const float* w;
  const float* b;
};

// Neuron i of the layer for sample c: relu(sum over k of W[i, k] a[k, c], plus b[i]), where
// a is the layer's input, in x n, column-major. Given (check.cpp defines it, and watches
// which thread computes which neuron): its sum runs over k in order, so a neuron's value
// does not depend on which thread computes it, nor when.
float neuron(const Layer& layer, const float* a, int i, int c);

// Block j of `rows` rows cut into `blocks` blocks: [first row, count). The blocks tile the
// rows in order, and their sizes differ by at most one: the first rows % blocks blocks
// have one row more. (gd::block_rows in shared/train/model.hpp is this split.)
std::pair<int, int> split_rows(int rows, int blocks, int j);

// The forward pass through `layers` on n samples: acts[0] is the input (layers[0].in x n,
// filled), acts[l + 1] receives layer l's output (layers[l].out x n). Each layer's rows
// are cut into `blocks` blocks (split_rows); p threads run them, thread t the blocks
// split_rows(blocks, p, t), as patterns/model_parallel.cpp deals blocks to its threads.
// Layer l + 1 reads all of layer l's output, so no thread may start a layer before every
// thread has finished the one below. The result must equal the one-thread pass bit for bit.
void forward_blocks(const std::vector<Layer>& layers, const std::vector<float*>& acts, int n, int blocks, int p);
