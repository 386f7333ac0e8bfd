// Data sets: an embedded synthetic set shaped like Fashion-MNIST, the small
// classics, and MNIST-family IDX files (plain or .gz).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gd {

struct Dataset {
  std::string name;
  int features = 0;           // inputs per sample
  int outputs = 0;            // classes (classification) or target width (regression)
  int width = 0, height = 0;  // images: pixels a row and rows (width * height = features); 0: not images
  bool classification = true;
  std::vector<float> x;        // samples x features, row-major: sample i at x[i*features]
  std::vector<int> labels;     // classification: one per sample, in [0, outputs)
  std::vector<float> targets;  // regression: samples x outputs
  std::size_t size() const { return features ? x.size() / features : 0; }
};

struct DataSplit {
  Dataset train, test;
};

// Ten class prototypes on a 28x28 canvas (strokes and blobs) plus per-sample
// jitter, shift and noise: 784 features, 10 classes, learnable but not trivial.
DataSplit make_synthetic(std::uint64_t seed, int train_samples = 20000, int test_samples = 4000);
DataSplit make_xor(std::uint64_t seed);                           // 2 inputs, 2 classes
DataSplit make_spirals(std::uint64_t seed, int per_class = 500);  // 2 inputs, 2 classes
DataSplit make_linear(std::uint64_t seed, int samples = 2000);    // 8 inputs, 1 output, regression

// One IDX pair: images (magic 0x00000803, u8, N x rows x cols) and labels
// (magic 0x00000801, u8, N). Pixels are scaled to [0, 1]; features = rows * cols and
// outputs = the highest label + 1. Throws UsageError with the file's name and what is wrong.
Dataset read_idx_pair(const std::string& images, const std::string& labels, const std::string& name);

// A folder in the MNIST layout: train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
// t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]. Images of any size, the same in
// both splits; labels 0..K-1 with K = the highest label of train and test + 1, from 2 to 256.
DataSplit read_mnist_dir(const std::string& dir);

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// "synthetic", "xor", "spirals", "linear", "fashion-mnist" or a folder path.
DataSplit load_data(const std::string& spec, std::uint64_t seed);

// Keep the first n samples (0 = all).
void truncate(Dataset& d, std::size_t n);

}  // namespace gd
