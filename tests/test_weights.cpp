// The weights file: round trip, and every kind of damage gives a clear UsageError.
#include <gtest/gtest.h>

#include <fstream>

#include "idx_files.hpp"
#include "train/error.hpp"
#include "train/weights.hpp"

using namespace gd;

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST(Weights, RoundTripKeepsEveryBit) {
  auto d = gdtest::temp_dir("weights");
  Model m({{6, 5, 3}, Activation::tanh, Loss::mse});
  m.init(9);
  save_weights((d / "w.bin").string(), m);
  Model back = load_weights((d / "w.bin").string());
  EXPECT_EQ(back.spec.layers, m.spec.layers);
  EXPECT_EQ(back.spec.activation, Activation::tanh);
  EXPECT_EQ(back.spec.loss, Loss::mse);
  EXPECT_EQ(back.checksum(), m.checksum());
  EXPECT_EQ(back.w, m.w);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(d), {}), 1);
  std::filesystem::remove_all(d);
}

TEST(Weights, DamageIsReported) {
  auto d = gdtest::temp_dir("weights-bad");
  Model m({{4, 3, 2}});
  m.init(1);
  save_weights((d / "w.bin").string(), m);
  const std::string good = slurp(d / "w.bin");
  auto expect_error = [&](const std::string& bytes, const std::string& fragment) {
    gdtest::write(d / "bad.bin", bytes);
    try {
      load_weights((d / "bad.bin").string());
      ADD_FAILURE() << "accepted: " << fragment;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error("", "bad magic");
  expect_error("NOTGDLAB" + good.substr(8), "bad magic");
  expect_error("GDLABW01" + good.substr(8), "older gdlab (GDLABW01, column-major weights): train again");
  expect_error(good.substr(0, good.size() - 3), "truncated");
  expect_error(good + "x", "trailing data");
  std::string flipped = good;
  flipped[good.size() - 20] ^= 0x40;
  expect_error(flipped, "checksum mismatch");
  std::string layers = good;
  layers[8] = 100;  // layer count 100
  expect_error(layers, "bad layer count");
  EXPECT_THROW(load_weights((d / "nope.bin").string()), UsageError);
  EXPECT_THROW(save_weights((d / "no/such/dir/w.bin").string(), m), UsageError);
  std::filesystem::remove_all(d);
}
