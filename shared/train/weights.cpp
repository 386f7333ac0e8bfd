#include "train/weights.hpp"

#include <unistd.h>
#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "train/error.hpp"
#include "train/files.hpp"
#include "train/model.hpp"

static_assert(std::endian::native == std::endian::little, "the weights format is little-endian");

namespace gd {

namespace {
constexpr char kMagic[8] = {'G', 'D', 'L', 'A', 'B', 'W', '0', '2'};

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

struct Reader {
  const std::string& path;
  const std::string& b;
  std::size_t at = 0;
  template <class T>
  T get(const char* what) {
    if (b.size() - at < sizeof(T)) throw UsageError(path + ": truncated at " + what);
    T v;
    std::memcpy(&v, b.data() + at, sizeof v);
    at += sizeof v;
    return v;
  }
};
}  // namespace

void save_weights(const std::string& path, const Model& m) {
  std::string s(kMagic, 8);
  put<std::uint32_t>(s, std::uint32_t(m.spec.layers.size()));
  for (int l : m.spec.layers) put<std::uint32_t>(s, std::uint32_t(l));
  put<std::uint32_t>(s, std::uint32_t(m.spec.activation));
  put<std::uint32_t>(s, m.spec.loss == Loss::mse ? 1u : 0u);
  put<std::uint64_t>(s, m.layout.count);
  for (const auto& b : m.layout.blocks) {
    s.append(reinterpret_cast<const char*>(m.w.data() + b.w), std::size_t(b.in) * b.out * 4);
    s.append(reinterpret_cast<const char*>(m.w.data() + b.b), std::size_t(b.out) * 4);
  }
  put<std::uint64_t>(s, m.checksum());
  write_file_atomic(path, s);
}

Model load_weights(const std::string& path) {
  // A training step holds at least 4 floats per parameter (weights, summed gradient,
  // momentum, one shard's gradient: model.hpp), so no model it can train has more than
  // kMaxStepBytes / 16 parameters, and no weights file more than a quarter of
  // kMaxStepBytes of them (4 bytes each), plus its header (at most 64 layer sizes).
  const std::uintmax_t max_file = kMaxStepBytes / 4 + 8 + 4 * (64 + 3) + 8 + 8;
  const std::string bytes = read_file_limited(
      path, max_file, "file",
      fmt::format("larger than {} GiB, more weights than a training step can hold (the {} GiB step limit)",
                  (kMaxStepBytes / 4) >> 30, kMaxStepBytes >> 30));
  Reader r{path, bytes};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), "GDLABW01", 8) == 0)
    throw UsageError(path +
                     ": a weights file of an older gdlab (GDLABW01, column-major weights): train again with --save");
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw UsageError(path + ": not a gdlab weights file (bad magic; expected GDLABW02)");
  r.at = 8;
  auto k = r.get<std::uint32_t>("layer count");
  if (k < 2 || k > 64) throw UsageError(path + ": bad layer count " + std::to_string(k) + " (2..64)");
  ModelSpec spec;
  spec.layers.clear();
  for (std::uint32_t i = 0; i < k; ++i) {
    auto v = r.get<std::uint32_t>("layer sizes");
    if (v < 1 || v > 65536) throw UsageError(path + ": bad layer size " + std::to_string(v) + " (1..65536)");
    spec.layers.push_back(int(v));
  }
  auto act = r.get<std::uint32_t>("activation");
  if (act > 2) throw UsageError(path + ": bad activation code " + std::to_string(act));
  spec.activation = Activation(act);
  auto loss = r.get<std::uint32_t>("loss");
  if (loss > 1) throw UsageError(path + ": bad loss code " + std::to_string(loss));
  spec.loss = loss ? Loss::mse : Loss::softmax_ce;
  if (step_floats(spec.layers, 1, 1) > kMaxStepBytes / sizeof(float))  // the smallest step: batch 1, one shard
    throw UsageError(
        fmt::format("{}: layers {} are more than a training step can hold (over the {} GiB limit even "
                    "at batch 1)",
                    path, layers_string(spec.layers), kMaxStepBytes >> 30));
  Layout layout(spec.layers);
  auto count = r.get<std::uint64_t>("parameter count");
  if (count != layout.count)
    throw UsageError(path + ": parameter count " + std::to_string(count) + " does not match layers " +
                     layers_string(spec.layers) + " (" + std::to_string(layout.count) + ")");
  if (bytes.size() - r.at != count * 4 + 8)
    throw UsageError(path + ": " + (bytes.size() - r.at < count * 4 + 8 ? "truncated" : "trailing data") +
                     " (parameters and checksum need " + std::to_string(count * 4 + 8) + " bytes, found " +
                     std::to_string(bytes.size() - r.at) + ")");
  Model m(spec);
  for (const auto& b : m.layout.blocks) {
    std::memcpy(m.w.data() + b.w, bytes.data() + r.at, std::size_t(b.in) * b.out * 4);
    r.at += std::size_t(b.in) * b.out * 4;
    std::memcpy(m.w.data() + b.b, bytes.data() + r.at, std::size_t(b.out) * 4);
    r.at += std::size_t(b.out) * 4;
  }
  auto sum = r.get<std::uint64_t>("checksum");
  if (sum != m.checksum())
    throw UsageError(path + ": checksum mismatch (file says " + checksum_hex(sum) + ", parameters give " +
                     checksum_hex(m.checksum()) + "): the file is corrupt");
  return m;
}

}  // namespace gd
