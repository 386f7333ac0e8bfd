#include "train/batches.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "train/error.hpp"

namespace gd {

Augment parse_augment(std::string_view name) {
  if (name == "none") return Augment::none;
  if (name == "shift") return Augment::shift;
  if (name == "affine") return Augment::affine;
  throw UsageError("--augment must be none, shift or affine (got '" + std::string(name) + "')");
}

std::string_view to_string(Augment a) {
  switch (a) {
    case Augment::shift:
      return "shift";
    case Augment::affine:
      return "affine";
    default:
      return "none";
  }
}

void check_augment(Augment augment, const Dataset& data) {
  if (augment != Augment::none && (data.width < 1 || data.width * data.height != data.features))
    throw UsageError("--augment " + std::string(to_string(augment)) + " needs images, and " + data.name +
                     " is not image data (use --data synthetic, fashion-mnist or a folder of IDX files)");
}

namespace {

// SplitMix64: a generator whose state is one number, so an image's stream starts from
// (seed, place) alone.
struct Bits {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

// Moved by (dx, dy) pixels; what comes in at the edge is background (0).
void shift_image(const float* in, float* out, int w, int h, Bits& bits) {
  const int dx = int(bits.next() % 5) - 2, dy = int(bits.next() % 5) - 2;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const int sr = r - dy, sc = c - dx;
      out[r * w + c] = sr >= 0 && sr < h && sc >= 0 && sc < w ? in[sr * w + sc] : 0.0f;
    }
}

// Rotated and scaled about the centre: each output pixel looks up where it came from (the
// inverse map) and interpolates the four pixels around that point.
void affine_image(const float* in, float* out, int w, int h, Bits& bits) {
  const double angle = (bits.uniform() * 30.0 - 15.0) * 3.14159265358979323846 / 180.0;
  const double scale = 0.9 + 0.2 * bits.uniform();
  const float cs = float(std::cos(angle) / scale), sn = float(std::sin(angle) / scale);
  const float cx = 0.5f * float(w - 1), cy = 0.5f * float(h - 1);
  auto at = [&](int r, int c) { return r >= 0 && r < h && c >= 0 && c < w ? in[r * w + c] : 0.0f; };
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const float x = float(c) - cx, y = float(r) - cy;
      const float sx = cs * x + sn * y + cx, sy = -sn * x + cs * y + cy;
      const float fx = std::floor(sx), fy = std::floor(sy);
      const int c0 = int(fx), r0 = int(fy);
      const float ax = sx - fx, ay = sy - fy;
      const float top = (1 - ax) * at(r0, c0) + ax * at(r0, c0 + 1);
      const float bottom = (1 - ax) * at(r0 + 1, c0) + ax * at(r0 + 1, c0 + 1);
      out[r * w + c] = (1 - ay) * top + ay * bottom;
    }
}

}  // namespace

void prepare_batch(const Dataset& data, const int* order, int n, Augment augment, std::uint64_t seed, long place,
                   Dataset& out) {
  check_augment(augment, data);
  const int F = data.features, O = data.outputs;
  out.name = data.name;
  out.features = F;
  out.outputs = O;
  out.width = data.width;
  out.height = data.height;
  out.classification = data.classification;
  out.x.resize(std::size_t(n) * F);
  if (data.classification)
    out.labels.resize(std::size_t(n));
  else
    out.targets.resize(std::size_t(n) * O);
  for (int j = 0; j < n; ++j) {
    const std::size_t i = std::size_t(order[j]);
    const float* in = &data.x[i * F];
    float* x = &out.x[std::size_t(j) * F];
    Bits bits{seed ^ (0xd1b54a32d192ed03ull * std::uint64_t(place + j + 1))};
    if (augment == Augment::shift)
      shift_image(in, x, data.width, data.height, bits);
    else if (augment == Augment::affine)
      affine_image(in, x, data.width, data.height, bits);
    else
      std::copy_n(in, F, x);
    if (data.classification)
      out.labels[std::size_t(j)] = data.labels[i];
    else
      std::copy_n(&data.targets[i * O], O, &out.targets[std::size_t(j) * O]);
  }
}

Prefetcher::Prefetcher(const Dataset& data, const std::vector<int>& order, int batch, long steps, Augment augment,
                       std::uint64_t seed, int depth)
    : slots_(std::size_t(depth) + 1), free_(std::size_t(depth) + 1), ready_(std::size_t(depth)) {
  for (int s = 0; s <= depth; ++s) free_.push(s);
  producer_ = std::jthread(
      [this, &data, &order, batch, steps, augment, seed] { produce(data, order, batch, steps, augment, seed); });
}

Prefetcher::~Prefetcher() {
  free_.close();  // a producer waiting for a buffer, or about to, stops
  ready_.close();
  // ~jthread joins it
}

void Prefetcher::produce(const Dataset& data, const std::vector<int>& order, int batch, long steps, Augment augment,
                         std::uint64_t seed) {
  try {
    for (long k = 0; k < steps; ++k) {
      const std::optional<int> slot = free_.pop();
      if (!slot) return;  // the consumer has stopped
      const auto t0 = std::chrono::steady_clock::now();
      const std::size_t first = std::size_t(k) * std::size_t(batch);
      const int n = int(std::min<std::size_t>(std::size_t(batch), order.size() - first));
      prepare_batch(data, order.data() + first, n, augment, seed, long(first), slots_[std::size_t(*slot)]);
      busy_.store(busy_.load(std::memory_order_relaxed) +
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                  std::memory_order_relaxed);
      if (!ready_.push(*slot)) return;
    }
  } catch (...) {
    error_ = std::current_exception();
    ready_.close();
  }
}

const Dataset& Prefetcher::next() {
  const std::optional<int> slot = ready_.pop();
  if (!slot) {
    if (error_) std::rethrow_exception(error_);
    throw std::logic_error("Prefetcher::next after the epoch's last batch");
  }
  current_ = *slot;
  return slots_[std::size_t(current_)];
}

void Prefetcher::release() {
  if (current_ >= 0) free_.push(current_);
  current_ = -1;
}

}  // namespace gd
