// Data: the embedded sets, the IDX reader on good and bad files, and the real Fashion-MNIST.
#include <gtest/gtest.h>

#include <set>

#include "idx_files.hpp"
#include "train/data.hpp"
#include "train/error.hpp"

using namespace gd;
using namespace gdtest;

namespace {
// Expects UsageError whose message contains every fragment.
template <class F>
void expect_usage_error(F f, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const UsageError& e) {
    for (const auto& frag : fragments) EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Data, SyntheticIsShapedLikeFashionMnistAndSeeded) {
  DataSplit a = make_synthetic(3, 2000, 500), b = make_synthetic(3, 2000, 500), c = make_synthetic(4, 2000, 500);
  EXPECT_EQ(a.train.features, 784);
  EXPECT_EQ(a.train.outputs, 10);
  EXPECT_EQ(a.train.size(), 2000u);
  EXPECT_EQ(a.test.size(), 500u);
  EXPECT_EQ(a.train.x, b.train.x);
  EXPECT_NE(a.train.x, c.train.x);
  std::set<int> classes(a.train.labels.begin(), a.train.labels.end());
  EXPECT_EQ(classes.size(), 10u);
  for (float v : a.train.x) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
}

TEST(Data, ClassicsHaveTheirShapes) {
  auto x = make_xor(1);
  EXPECT_EQ(x.train.features, 2);
  EXPECT_EQ(x.train.outputs, 2);
  auto s = make_spirals(1);
  EXPECT_EQ(s.train.size(), 1000u);
  auto l = make_linear(1);
  EXPECT_FALSE(l.train.classification);
  EXPECT_EQ(l.train.targets.size(), l.train.size());
  EXPECT_THROW(load_data("nonsense", 1), UsageError);
}

TEST(Data, ReadsPlainAndGzippedIdx) {
  for (bool gz : {false, true}) {
    auto dir = mnist_dir(gz ? "gz" : "plain", 20, gz);
    DataSplit d = read_mnist_dir(dir.string());
    EXPECT_EQ(d.train.size(), 20u);
    EXPECT_EQ(d.test.size(), 10u);
    EXPECT_EQ(d.train.features, 784);
    EXPECT_EQ(d.train.labels[13], 3);
    EXPECT_FLOAT_EQ(d.train.x[1], 37.0f / 255.0f);
    std::filesystem::remove_all(dir);
  }
}

// The features come from the images' sides and the classes from the labels: the highest
// label of train and test plus one, so a class that only one split holds still counts.
TEST(Data, IdxFeaturesAndClassesComeFromTheFiles) {
  auto dir = mnist_dir("shape", 12, false, 12, 10, 3);
  DataSplit d = read_mnist_dir(dir.string());
  EXPECT_EQ(d.train.features, 120);
  EXPECT_EQ(d.test.features, 120);
  EXPECT_EQ(d.train.outputs, 3);
  EXPECT_EQ(d.test.outputs, 3);
  EXPECT_EQ(d.train.size(), 12u);
  EXPECT_EQ(d.train.labels[5], 2);

  std::string test_labels = idx_labels(6, 0x801, 3);
  test_labels[8 + 1] = char(6);
  write(dir / "t10k-labels-idx1-ubyte", test_labels);
  d = read_mnist_dir(dir.string());
  EXPECT_EQ(d.train.outputs, 7);
  EXPECT_EQ(d.test.outputs, 7);

  std::string train_labels = idx_labels(12, 0x801, 3);
  train_labels[8 + 4] = char(255);  // the largest a u8 label can be
  write(dir / "train-labels-idx1-ubyte", train_labels);
  d = read_mnist_dir(dir.string());
  EXPECT_EQ(d.train.outputs, 256);
  EXPECT_EQ(d.test.outputs, 256);
  EXPECT_EQ(d.train.labels[4], 255);

  // One class is no classification: every label 0 in both splits.
  write(dir / "train-labels-idx1-ubyte", idx_labels(12, 0x801, 1));
  write(dir / "t10k-labels-idx1-ubyte", idx_labels(6, 0x801, 1));
  expect_usage_error([&] { read_mnist_dir(dir.string()); }, {dir.string(), "at least 2 classes"});
  // Two classes, one of them only in the test split.
  write(dir / "t10k-labels-idx1-ubyte", idx_labels(6, 0x801, 2));
  EXPECT_EQ(read_mnist_dir(dir.string()).train.outputs, 2);
  std::filesystem::remove_all(dir);
}

TEST(Data, BadIdxFilesNameTheFileAndTheProblem) {
  auto d = temp_dir("bad");
  auto img = (d / "img").string(), lab = (d / "lab").string();
  write(lab, idx_labels(4));

  write(img, idx_images(4, 28, 28, 0x1234));
  expect_usage_error([&] { read_idx_pair(img, lab, "x"); }, {img, "bad magic"});

  std::string good = idx_images(4, 28, 28);
  write(img, good.substr(0, good.size() - 10));
  expect_usage_error([&] { read_idx_pair(img, lab, "x"); }, {img, "truncated"});

  write(img, good.substr(0, 9));
  expect_usage_error([&] { read_idx_pair(img, lab, "x"); }, {img, "truncated header"});

  write(img, idx_images(3, 28, 28));
  expect_usage_error([&] { read_idx_pair(img, lab, "x"); }, {lab, "4 labels for 3 images"});

  std::string huge;
  put_be32(huge, 0x803);
  put_be32(huge, 100000000);
  put_be32(huge, 100000);
  put_be32(huge, 28);
  write(img, huge);
  expect_usage_error([&] { read_idx_pair(img, lab, "x"); }, {img, "absurd dimensions"});

  write(img, good);
  write(lab, idx_labels(4, 0x803));
  expect_usage_error([&] { read_idx_pair(img, lab, "x"); }, {lab, "bad magic"});

  write(lab, idx_labels(4) + "xx");
  expect_usage_error([&] { read_idx_pair(img, lab, "x"); }, {lab, "trailing data"});

  // A gzip stream cut short.
  write(d / "full.gz", good, true);
  std::ifstream in(d / "full.gz", std::ios::binary);
  std::string gzbytes((std::istreambuf_iterator<char>(in)), {});
  write(img, gzbytes.substr(0, gzbytes.size() / 2));
  write(lab, idx_labels(4));
  expect_usage_error([&] { read_idx_pair(img, lab, "x"); }, {img});

  expect_usage_error([&] { read_idx_pair((d / "missing").string(), lab, "x"); }, {"missing", "no such file"});
  expect_usage_error([&] { read_mnist_dir(d.string()); }, {"missing train-images-idx3-ubyte"});
  std::filesystem::remove_all(d);
}

// The real data set from Debian's dataset-fashion-mnist (./gdlab test installs it).
TEST(Data, ReadsDebiansFashionMnist) {
  ASSERT_TRUE(std::filesystem::exists(kFashionMnistDir)) << "install dataset-fashion-mnist (./gdlab test does)";
  DataSplit d = load_data("fashion-mnist", 1);
  EXPECT_EQ(d.train.size(), 60000u);
  EXPECT_EQ(d.test.size(), 10000u);
  EXPECT_EQ(d.train.features, 784);
  std::vector<int> count(10);
  for (int l : d.test.labels) ++count[l];
  for (int c : count) EXPECT_EQ(c, 1000);  // Fashion-MNIST's test split is balanced
}
