// Check for lesson 16: split_rows is gd::block_rows, and forward_blocks gives the
// one-thread forward pass bit for bit, on min(p, blocks) threads, a block's rows on one
// thread, and no layer started before the layer below was complete.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <thread>

#include "exercise.hpp"
#include "lesson.hpp"
#include "train/model.hpp"

namespace {

// What neuron() sees, for the run being watched.
struct Watch {
  std::vector<const float*> weights;               // layer l is the one whose w is weights[l]
  std::vector<int> outs;                           // its neurons
  int n = 0;                                       // samples
  std::vector<std::vector<std::atomic<int>>> who;  // [layer][neuron]: the thread that computed it, -1: none yet
  std::vector<std::atomic<long>> done;             // [layer]: neurons x samples computed
  std::atomic<bool> early{false};                  // a layer started before the one below was complete
  std::atomic<bool> shared{false};                 // one neuron computed by two threads
  bool slow_start = false;  // the first neuron of layer 0 takes 20 ms: the other threads run ahead

  void reset(const std::vector<Layer>& layers, int samples, bool slow) {
    weights.clear();
    outs.clear();
    for (const Layer& l : layers) {
      weights.push_back(l.w);
      outs.push_back(l.out);
    }
    n = samples;
    who = std::vector<std::vector<std::atomic<int>>>(layers.size());
    for (std::size_t l = 0; l < layers.size(); ++l) {
      who[l] = std::vector<std::atomic<int>>(std::size_t(layers[l].out));
      for (auto& w : who[l]) w = -1;
    }
    done = std::vector<std::atomic<long>>(layers.size());
    for (auto& d : done) d = 0;
    early = false;
    shared = false;
    slow_start = slow;
  }
};
Watch watch;

int thread_number() {
  static std::atomic<int> next{0};
  thread_local const int me = next++;
  return me;
}

}  // namespace

float neuron(const Layer& layer, const float* a, int i, int c) {
  std::size_t l = 0;
  while (l < watch.weights.size() && watch.weights[l] != layer.w) ++l;
  const int me = thread_number();
  if (l < watch.weights.size()) {
    if (l > 0 && watch.done[l - 1].load() < long(watch.outs[l - 1]) * watch.n) watch.early = true;
    int none = -1;
    if (!watch.who[l][std::size_t(i)].compare_exchange_strong(none, me) && none != me) watch.shared = true;
    if (watch.slow_start && l == 0 && i == 0 && c == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  float z = 0;
  for (int k = 0; k < layer.in; ++k) z += layer.w[std::size_t(k) * layer.out + i] * a[std::size_t(c) * layer.in + k];
  z += layer.b[i];
  if (l < watch.weights.size()) ++watch.done[l];
  return z > 0 ? z : 0;
}

namespace {

struct Net {
  std::vector<std::vector<float>> w, b;
  std::vector<Layer> layers;
  Net(const std::vector<int>& sizes, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
      w.emplace_back(std::size_t(sizes[l]) * sizes[l + 1]);
      b.emplace_back(std::size_t(sizes[l + 1]));
      for (float& x : w.back()) x = u(rng);
      for (float& x : b.back()) x = u(rng);
    }
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
      layers.push_back({sizes[l], sizes[l + 1], w[l].data(), b[l].data()});
  }
};

struct Activations {
  std::vector<std::vector<float>> m;
  std::vector<float*> ptrs;
  Activations(const std::vector<int>& sizes, int n, const std::vector<float>& input) {
    for (int s : sizes) m.emplace_back(std::size_t(s) * n, std::numeric_limits<float>::quiet_NaN());
    m[0] = input;
    for (auto& x : m) ptrs.push_back(x.data());
  }
};

}  // namespace

int main() {
  lesson::Verdict v("lesson 16: a layer's neurons in blocks, on p threads, with a barrier per layer");

  std::string split_error;
  for (int rows = 1; rows <= 40 && split_error.empty(); ++rows)
    for (int blocks = 1; blocks <= rows && split_error.empty(); ++blocks)
      for (int j = 0; j < blocks; ++j)
        if (split_rows(rows, blocks, j) != gd::block_rows(rows, blocks, j)) {
          const auto [f, c] = split_rows(rows, blocks, j);
          const auto [wf, wc] = gd::block_rows(rows, blocks, j);
          split_error = fmt::format(": {} rows in {} blocks, block {} is [{}, +{}), not [{}, +{})", rows, blocks, j, f,
                                    c, wf, wc);
          break;
        }
  v.expect(split_error.empty(), "split_rows(rows, blocks, j) is gd::block_rows for every rows <= 40" + split_error);

  // 20 inputs, then 16, 10 and 5 neurons: block counts that divide no layer, some, or all.
  const std::vector<int> sizes{20, 16, 10, 5};
  const int n = 6;
  const Net net(sizes, 16);
  std::vector<float> input(std::size_t(sizes[0]) * n);
  std::mt19937 rng(61);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float& x : input) x = u(rng);

  // The one-thread pass, neuron by neuron in order.
  Activations want(sizes, n, input);
  watch.reset(net.layers, n, false);
  for (std::size_t l = 0; l < net.layers.size(); ++l)
    for (int c = 0; c < n; ++c)
      for (int i = 0; i < net.layers[l].out; ++i)
        want.m[l + 1][std::size_t(c) * net.layers[l].out + i] = neuron(net.layers[l], want.ptrs[l], i, c);

  struct Case {
    int blocks, p;
  };
  for (const Case& k : {Case{1, 2}, Case{2, 2}, Case{3, 2}, Case{5, 2}, Case{4, 3}, Case{3, 3}, Case{2, 3}}) {
    const std::string what = fmt::format("{} blocks on {} threads", k.blocks, k.p);
    Activations got(sizes, n, input);
    watch.reset(net.layers, n, true);
    lesson::within(std::chrono::seconds(10), what, [&] { forward_blocks(net.layers, got.ptrs, n, k.blocks, k.p); });
    bool same = true;
    for (std::size_t l = 1; l < sizes.size(); ++l)
      same = same && std::memcmp(got.m[l].data(), want.m[l].data(), got.m[l].size() * sizeof(float)) == 0;
    v.expect(same, what + ": every layer's output equals the one-thread pass, bit for bit");
    v.expect(!watch.early, what + ": no layer starts before every neuron of the layer below is computed");
    bool one_thread_a_block = !watch.shared;
    bool thread_count = true;
    std::string threads_seen;
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
      std::set<int> threads;
      for (int j = 0; j < k.blocks; ++j) {
        const auto [first, count] = gd::block_rows(net.layers[l].out, k.blocks, j);
        for (int i = first; i < first + count; ++i) {
          const int t = watch.who[l][std::size_t(i)].load();
          if (t < 0 || t != watch.who[l][std::size_t(first)].load()) one_thread_a_block = false;
          if (t >= 0) threads.insert(t);
        }
      }
      if (int(threads.size()) != std::min(k.p, k.blocks)) thread_count = false;
      threads_seen += fmt::format("{}{}", l ? ", " : "", threads.size());
    }
    v.expect(one_thread_a_block, what + ": each block's neurons computed by one thread");
    v.expect(thread_count, fmt::format("{}: each layer's blocks run on min(p, blocks) = {} threads (got {})", what,
                                       std::min(k.p, k.blocks), threads_seen));
  }
  return v.finish();
}
