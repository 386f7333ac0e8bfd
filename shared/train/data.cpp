#include "train/data.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "train/error.hpp"

namespace gd {
namespace {

// Uniform [0,1) from raw generator bits: identical on every standard library.
double uniform(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }
double normal(std::mt19937_64& rng) {  // Box-Muller, also library-independent
  double u1 = uniform(rng), u2 = uniform(rng);
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(6.283185307179586 * u2);
}

void fill_synthetic(Dataset& d, int n, const std::vector<std::vector<float>>& proto, std::mt19937_64& rng) {
  d.name = "synthetic";
  d.features = 784;
  d.width = d.height = 28;
  d.outputs = 10;
  d.x.resize(std::size_t(n) * 784);
  d.labels.resize(n);
  for (int i = 0; i < n; ++i) {
    int c = int(rng() % 10);
    int other = int(rng() % 10);
    float mixw = float(0.6 * uniform(rng));                // some of another class mixed in
    int dx = int(rng() % 7) - 3, dy = int(rng() % 7) - 3;  // shifted by up to 3 pixels
    float gain = float(0.7 + 0.6 * uniform(rng));
    float* x = &d.x[std::size_t(i) * 784];
    for (int r = 0; r < 28; ++r)
      for (int q = 0; q < 28; ++q) {
        int sr = std::clamp(r - dy, 0, 27), sq = std::clamp(q - dx, 0, 27);
        float v = gain * ((1 - mixw) * proto[c][sr * 28 + sq] + mixw * proto[other][sr * 28 + sq]);
        v += float(0.5 * normal(rng));
        x[r * 28 + q] = std::clamp(v, 0.0f, 1.0f);
      }
    d.labels[i] = c;
  }
}

void fill_2d(Dataset& d, const std::string& name) {
  d.name = name;
  d.features = 2;
  d.outputs = 2;
}

}  // namespace

DataSplit make_synthetic(std::uint64_t seed, int train_samples, int test_samples) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 7);
  // Each prototype: a few random strokes (line segments) and blobs, blurred.
  std::vector<std::vector<float>> proto(10, std::vector<float>(784, 0.0f));
  for (auto& p : proto) {
    for (int k = 0; k < 4; ++k) {
      double x0 = 4 + 20 * uniform(rng), y0 = 4 + 20 * uniform(rng);
      double x1 = 4 + 20 * uniform(rng), y1 = 4 + 20 * uniform(rng);
      double width = 1.0 + 1.5 * uniform(rng);
      for (int r = 0; r < 28; ++r)
        for (int q = 0; q < 28; ++q) {
          double vx = x1 - x0, vy = y1 - y0, len2 = vx * vx + vy * vy + 1e-9;
          double t = std::clamp(((q - x0) * vx + (r - y0) * vy) / len2, 0.0, 1.0);
          double ex = q - (x0 + t * vx), ey = r - (y0 + t * vy);
          double v = std::exp(-(ex * ex + ey * ey) / (2 * width * width));
          p[r * 28 + q] = std::max(p[r * 28 + q], float(v));
        }
    }
  }
  DataSplit s;
  fill_synthetic(s.train, train_samples, proto, rng);
  fill_synthetic(s.test, test_samples, proto, rng);
  return s;
}

DataSplit make_xor(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  DataSplit s;
  for (Dataset* d : {&s.train, &s.test}) {
    fill_2d(*d, "xor");
    int n = d == &s.train ? 400 : 200;
    for (int i = 0; i < n; ++i) {
      int a = int(rng() & 1), b = int(rng() & 1);
      d->x.push_back(float(a + 0.1 * normal(rng)));
      d->x.push_back(float(b + 0.1 * normal(rng)));
      d->labels.push_back(a ^ b);
    }
  }
  return s;
}

DataSplit make_spirals(std::uint64_t seed, int per_class) {
  std::mt19937_64 rng(seed);
  DataSplit s;
  for (Dataset* d : {&s.train, &s.test}) {
    fill_2d(*d, "spirals");
    int n = d == &s.train ? per_class : per_class / 4;
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < 2; ++c) {
        double r = 0.2 + 2.8 * uniform(rng);
        double angle = 1.75 * r + c * 3.141592653589793;
        d->x.push_back(float(r * std::cos(angle) + 0.05 * normal(rng)));
        d->x.push_back(float(r * std::sin(angle) + 0.05 * normal(rng)));
        d->labels.push_back(c);
      }
  }
  return s;
}

DataSplit make_linear(std::uint64_t seed, int samples) {
  std::mt19937_64 rng(seed);
  std::vector<double> coef(8);
  for (auto& c : coef) c = 2 * uniform(rng) - 1;
  DataSplit s;
  for (Dataset* d : {&s.train, &s.test}) {
    d->name = "linear";
    d->features = 8;
    d->outputs = 1;
    d->classification = false;
    int n = d == &s.train ? samples : samples / 4;
    for (int i = 0; i < n; ++i) {
      double y = 0.5;
      for (int f = 0; f < 8; ++f) {
        double v = normal(rng);
        d->x.push_back(float(v));
        y += coef[f] * v;
      }
      d->targets.push_back(float(y + 0.05 * normal(rng)));
    }
  }
  return s;
}

namespace {

// Reads a whole file, inflating it when it is gzip-compressed (zlib reads plain files too).
std::vector<unsigned char> read_file(const std::string& path, std::size_t limit) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw UsageError(path + ": no such file");
  if (!fs::is_regular_file(path, ec)) throw UsageError(path + ": not a regular file");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw UsageError(path + ": cannot open");
  auto too_large = [&] { return UsageError(path + ": larger than the " + std::to_string(limit >> 20) + " MiB limit"); };
  // A plain (not gzip) file's size is known before reading; a compressed one is checked as it inflates.
  if (gzdirect(f) && fs::file_size(path, ec) > limit) {
    gzclose(f);
    throw too_large();
  }
  std::vector<unsigned char> out;
  std::vector<unsigned char> chunk(1 << 20);
  for (;;) {
    int got = gzread(f, chunk.data(), unsigned(chunk.size()));
    if (got < 0) {
      int code = 0;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      throw UsageError(path + ": corrupt compressed data (" + msg + ")");
    }
    if (got == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + got);
    if (out.size() > limit) {
      gzclose(f);
      throw too_large();
    }
  }
  // A truncated .gz stream reads as a short file without an error from gzread.
  int code = 0;
  gzerror(f, &code);
  gzclose(f);
  if (code != Z_OK && code != Z_BUF_ERROR) throw UsageError(path + ": corrupt compressed data");
  return out;
}

std::uint32_t be32(const std::vector<unsigned char>& b, std::size_t at) {
  return (std::uint32_t(b[at]) << 24) | (std::uint32_t(b[at + 1]) << 16) | (std::uint32_t(b[at + 2]) << 8) | b[at + 3];
}

constexpr std::size_t kMaxIdxBytes = std::size_t(1) << 30;  // 1 GiB of pixels at most
constexpr std::uint32_t kMaxSide = 4096;

}  // namespace

Dataset read_idx_pair(const std::string& images, const std::string& labels, const std::string& name) {
  auto img = read_file(images, kMaxIdxBytes + 16);
  auto lab = read_file(labels, (std::size_t(1) << 28) + 8);
  if (img.size() < 16)
    throw UsageError(images + ": truncated header (" + std::to_string(img.size()) + " bytes, need 16)");
  if (be32(img, 0) != 0x00000803)
    throw UsageError(images + ": bad magic number " + std::to_string(be32(img, 0)) +
                     " (an IDX image file starts with 2051)");
  if (lab.size() < 8)
    throw UsageError(labels + ": truncated header (" + std::to_string(lab.size()) + " bytes, need 8)");
  if (be32(lab, 0) != 0x00000801)
    throw UsageError(labels + ": bad magic number " + std::to_string(be32(lab, 0)) +
                     " (an IDX label file starts with 2049)");
  std::uint32_t n = be32(img, 4), rows = be32(img, 8), cols = be32(img, 12);
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide || n == 0 ||
      std::uint64_t(n) * rows * cols > kMaxIdxBytes)
    throw UsageError(images + ": absurd dimensions " + std::to_string(n) + " x " + std::to_string(rows) + " x " +
                     std::to_string(cols));
  std::uint64_t want = 16 + std::uint64_t(n) * rows * cols;
  if (img.size() < want)
    throw UsageError(images + ": truncated (" + std::to_string(img.size()) + " bytes, header promises " +
                     std::to_string(want) + ")");
  if (img.size() > want)
    throw UsageError(images + ": " + std::to_string(img.size() - want) + " bytes of trailing data");
  std::uint32_t nl = be32(lab, 4);
  if (nl != n)
    throw UsageError(labels + ": " + std::to_string(nl) + " labels for " + std::to_string(n) + " images in " + images);
  if (lab.size() != 8 + std::size_t(n))
    throw UsageError(labels + ": " + (lab.size() < 8 + std::size_t(n) ? "truncated" : "trailing data") + " (" +
                     std::to_string(lab.size()) + " bytes, header promises " + std::to_string(8 + std::size_t(n)) +
                     ")");
  Dataset d;
  d.name = name;
  d.features = int(rows * cols);
  d.width = int(cols);
  d.height = int(rows);
  d.outputs = 0;
  d.x.resize(std::size_t(n) * rows * cols);
  for (std::size_t i = 0; i < d.x.size(); ++i) d.x[i] = img[16 + i] * (1.0f / 255.0f);
  d.labels.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    d.labels[i] = lab[8 + i];
    d.outputs = std::max(d.outputs, d.labels[i] + 1);
  }
  return d;
}

DataSplit read_mnist_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) throw UsageError(dir + ": no such folder (want a folder in the MNIST layout)");
  auto pick = [&](const std::string& base) {
    for (std::string p : {dir + "/" + base, dir + "/" + base + ".gz"})
      if (fs::exists(p)) return p;
    throw UsageError(dir + ": missing " + base + " (or " + base + ".gz)");
  };
  std::string name = fs::path(dir).filename().string();
  if (name.empty()) name = fs::path(dir).parent_path().filename().string();
  DataSplit s;
  // Named one by one so the first missing file is the one reported.
  const std::string train_images = pick("train-images-idx3-ubyte"), train_labels = pick("train-labels-idx1-ubyte");
  const std::string test_images = pick("t10k-images-idx3-ubyte"), test_labels = pick("t10k-labels-idx1-ubyte");
  s.train = read_idx_pair(train_images, train_labels, name);
  s.test = read_idx_pair(test_images, test_labels, name);
  if (s.train.features != s.test.features)
    throw UsageError(dir + ": train images are " + std::to_string(s.train.features) + " pixels but test images " +
                     std::to_string(s.test.features));
  // The classes are 0..K-1 with K the highest label of either split plus one: a split may lack a class.
  const int classes = std::max(s.train.outputs, s.test.outputs);
  if (classes < 2)
    throw UsageError(dir + ": every label is 0; a classification set needs at least 2 classes (labels 0..K-1)");
  s.train.outputs = s.test.outputs = classes;
  return s;
}

DataSplit load_data(const std::string& spec, std::uint64_t seed) {
  if (spec == "synthetic") return make_synthetic(seed);
  if (spec == "xor") return make_xor(seed);
  if (spec == "spirals") return make_spirals(seed);
  if (spec == "linear") return make_linear(seed);
  if (spec == "fashion-mnist") {
    if (!std::filesystem::is_directory(kFashionMnistDir))
      throw UsageError(std::string("Fashion-MNIST not found in ") + kFashionMnistDir +
                       ": install Debian's dataset-fashion-mnist (./gdlab does it when you pass --data fashion-mnist)");
    return read_mnist_dir(kFashionMnistDir);
  }
  if (std::filesystem::is_directory(spec)) return read_mnist_dir(spec);
  throw UsageError("unknown --data '" + spec +
                   "': use synthetic, xor, spirals, linear, fashion-mnist or a folder of IDX files");
}

void truncate(Dataset& d, std::size_t n) {
  if (n == 0 || n >= d.size()) return;
  d.x.resize(n * d.features);
  if (d.classification)
    d.labels.resize(n);
  else
    d.targets.resize(n * d.outputs);
}

}  // namespace gd
