// One training step, cut into the pieces a scheduler may run in parallel.
//
// [lesson:seam]
//   map      run_shard(s)      for s in [0, shards()):  forward + backward of shard s
//                              into its OWN gradient buffer. Shards share nothing.
//   combine  combine_slice(k)  for k in [0, slices()):  gradient[slice k] = the shard
//                              gradients summed by one fixed tree: shards [a, b) are
//                              the sum of [a, m) plus the sum of [m, b), m = (a + b + 1) / 2.
//   update   update_slice(k)   for k in [0, slices()):  momentum SGD on slice k.
//
// Rules for a pattern: every run_shard must finish before any combine_slice, and a
// slice's combine before its update (combine and update of one slice may run back to
// back in the same task). Calls on different shards or different slices may run on
// different threads at the same time. Nothing else is required, so every pattern that
// follows the rules computes the same weights, bit for bit, as patterns/sequential.cpp.
//
// A thread that runs a contiguous block of shards, run_shards(first, last), also adds up
// the parts of the tree that lie inside its block (the same additions, done early).
// The combine then reads one buffer per block instead of one per shard: half the data
// it would fetch from other cores at 2 shards a thread, and nothing at all when one
// thread ran every shard (sequential does). shard_block(t, p) is worker t's block when
// p workers split the shards evenly.
// [/lesson:seam]
//
// [lesson:blocks]
// A second axis inside a shard: neuron blocks. Every layer's neurons (the rows of its
// weights) are cut into blocks() fixed ranges (block_rows in model.hpp), and a shard's
// forward and backward pass into phases() phases, each of blocks() tasks:
//   run_block(s, q, j)   phase q of shard s, block j:
//     q = 0              gather block j's rows of the shard's inputs, and its columns' labels
//     q = 1 .. L         forward, layer q: rows j of its output, from all of the layer below
//     q = L + 1          rows j of the loss's deltas (each block computes every column's
//                        softmax and keeps its rows), then rows j of layer L's dW and db
//     q = L + 2 .. 2L    backward, layer 2L+2-q: rows j of the deltas of the layer below,
//                        from all of this layer's, then rows j of that layer's dW and db
// Rules: within a shard, every block of phase q finishes before any block of phase q + 1
// starts (one barrier a phase); different blocks of one phase, and different shards, may
// run at once. Each task writes only its own rows or columns, so no task needs a lock,
// and run_shard(s) is the same tasks in order: every pattern computes sequential's
// weights, bit for bit, for the same (shards, blocks), at any thread count.
// The step then ends with the slices' combine and update, or with update_block(j) for
// every block j, once every shard's phases are done: it sums and updates block j's rows,
// which the thread that ran block j wrote, so a pattern that keeps a block on one thread
// moves no gradient and no weight between cores.
// [/lesson:blocks]
//
// The shard and block counts are part of the configuration, never the thread count:
// they decide the floating-point operations and their order, so they decide the answer.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "train/data.hpp"
#include "train/model.hpp"

namespace gd {

struct Hyper {
  float lr = 0.05f;
  float momentum = 0.9f;
  float weight_decay = 0.0f;
};

// Test and lesson hook: make one shard misbehave, to see how a pattern copes.
struct Fault {
  enum class Kind { none, throw_error, nan_input, slow };
  Kind kind = Kind::none;
  int shard = 0;                        // -1: every shard
  long at_step = -1;                    // -1: every step
  std::chrono::milliseconds delay{20};  // for Kind::slow
  // The neuron block (its gather) that fails; -1: every block. A NaN goes into one of the
  // block's input features, so it needs one: a block past the input's width gets none.
  int block = 0;
};

// Default shard count for a batch: shards of about 64 samples, so each GEMM stays
// large enough to run near the kernel library's speed (bench_kernels measures it by shape).
int default_shards(int batch);

// How long each thread spent inside run_shard, combine_slice and update_slice: the
// step's useful work, without the time a thread waits, spins or schedules. The harness
// turns it into useful parallelism (sum / wall) and load imbalance (max / mean).
// A thread gets its slot the first time it works after reset(); each slot is written by
// its own thread only, and read after the pattern's step has returned, which orders
// every worker's writes before the read (a join, a barrier, a future).
class BusyClock {
 public:
  // Slots for the first 256 threads that work after a reset. Patterns that start fresh
  // threads every step go past that within a repetition; the rest share one overflow
  // total, so the sum stays right (their imbalance is not defined anyway).
  static constexpr int kMaxThreads = 256;
  BusyClock() : slots_(kMaxThreads) { reset(); }
  void reset();
  // One entry per thread that worked, in order of arrival; then, if more than kMaxThreads
  // worked, one more entry with the time of all the others.
  std::vector<double> seconds() const;
  // Concurrency: with count_concurrency set (between steps), peak() is the most threads
  // that were inside step work at one time. Off by default: the shared counter it needs
  // would be one more cache line bouncing between the cores on every call.
  bool count_concurrency = false;
  int peak() const { return peak_.load(); }

  class Scope {  // times one call: construct at its start, destroyed at its end
   public:
    explicit Scope(BusyClock& c) : clock_(c) {
      if (clock_.count_concurrency) clock_.enter();
      t0_ = std::chrono::steady_clock::now();
    }
    ~Scope() { clock_.leave(std::chrono::steady_clock::now() - t0_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    BusyClock& clock_;
    std::chrono::steady_clock::time_point t0_;
  };

 private:
  struct alignas(64) Slot {  // one cache line each: threads never write the same line
    double seconds = 0;
  };
  void enter();
  void leave(std::chrono::steady_clock::duration d);
  std::uint64_t id_ = 0;  // new after every reset(), so threads take new slots
  std::atomic<int> next_{0};
  std::atomic<int> active_{0}, peak_{0};
  std::atomic<double> overflow_{0};
  std::vector<Slot> slots_;
};

class Step {
 public:
  // blocks: neuron blocks per layer, from 1 to the narrowest layer's neurons.
  Step(Model& model, const Dataset& data, int batch, int shards, Hyper hyper, int blocks = 1);

  // Called by the trainer (not by patterns) before each step: the samples of this batch,
  // indices into the step's data set, or into `from` (a prepared batch of the same shape).
  void prepare(const int* indices, int n, const Dataset* from = nullptr);

  int shards() const { return int(shard_grad_.size()); }
  int slices() const { return view_ranks_ > 0 ? 0 : int(slice_begin_.size()) - 1; }  // 0 in a RankView
  int blocks() const { return blocks_; }
  int phases() const { return 2 * int(model_.layout.blocks.size()) + 1; }

  void run_block(int s, int q, int j);  // phase q of shard s, block j
  void run_shard(int s);                // map one shard: its phases' blocks in order
  // run_shard against `weights` (the same shape as the step's model) instead of the model:
  // for patterns that give each thread a private copy of the weights (patterns/hogwild.cpp).
  void run_shard_with(int s, const Model& weights);
  void run_shards(int first, int last);                 // map shards [first, last), then fold them
  std::pair<int, int> shard_block(int t, int p) const;  // worker t of p: its [first, last) (see RankView)
  void combine_slice(int k);                            // combine, deterministic order
  void update_slice(int k);                             // update
  // Combine and update block j's rows of every layer (weights and biases) in one pass:
  // for model parallelism, where the thread that owns a block owns its rows' gradients.
  // Calls for blocks 0 .. blocks()-1 do what combine_slice and update_slice of every slice
  // do, bit for bit, and replace them (the blocks rule above says when they may run).
  void update_block(int j);

  // For the contrast patterns that combine in arrival order (non-deterministic):
  void clear_gradient();              // gradient := 0
  void add_shard_to_gradient(int s);  // gradient += shard gradient s (caller serialises)
  float* shard_gradient(int s) { return shard_grad_[s].data(); }
  float* gradient() { return grad_.data(); }  // the buffer the arrival-order patterns fill
  // The array (indexed like gradient()) that holds slice k's summed gradient after its
  // combine_slice: shard 0's buffer when one thread folded every shard, so the combine
  // had nothing to add or copy; else gradient().
  const float* summed_gradient(int k) const { return update_source_[std::size_t(k)]; }
  std::size_t param_floats() const { return std::size_t(grad_.size()); }

  // For patterns whose workers are processes (patterns/mpi.cpp), which share no memory:
  // a process runs run_shards(first, last) on its own copy of the step, and the owner of a
  // slice needs those block sums in its copy before combine_slice. block_nodes(first, last)
  // are the tree's nodes [a, b) whose sums run_shards(first, last) leaves in shard buffer
  // a (one node when the block is a node of the tree, a few when it is not). Once another
  // process's node sums are written into the same buffers here, adopt_block(first, last)
  // tells the combine to read them.
  std::vector<std::pair<int, int>> block_nodes(int first, int last) const;
  void adopt_block(int first, int last) { mark_folded(0, shards(), first, last); }
  std::pair<std::size_t, std::size_t> slice_floats(int k) const { return {slice_begin_[k], slice_begin_[k + 1]}; }
  float* weights() { return model_.w.data(); }  // indexed like gradient()
  const ModelSpec& model_spec() const { return model_.spec; }
  Hyper hyper() const { return hyper_; }
  int samples() const { return n_; }            // in the batch prepared last
  ShardTotals shard_totals(int s) const;        // shard s's loss and hits in the last step
  void set_shard_totals(int s, ShardTotals t);  // ... as another process computed them

  // A thread pattern run inside one rank of a process pattern (`--inner`): while a
  // RankView of rank r among R lives, the step shows the pattern only that rank's map.
  // shard_block(t, p) is worker r*p + t of R*p, so the pattern's p threads cut rank r's
  // block of shards exactly as the rank's own workers would, and slices() is 0, so the
  // pattern's combine and update loops have nothing to do: the rank combines and updates
  // after the exchange. Only patterns whose threads take their shards from shard_block
  // and their slices from slices() fit (patterns/registry.cpp lists them).
  class RankView {
   public:
    RankView(Step& step, int rank, int ranks) : step_(step) {
      step_.view_rank_ = rank;
      step_.view_ranks_ = ranks;
    }
    ~RankView() { step_.view_ranks_ = 0; }
    RankView(const RankView&) = delete;
    RankView& operator=(const RankView&) = delete;

   private:
    Step& step_;
  };

  // Totals of the last step, summed in shard order.
  ShardTotals totals() const;
  long steps_prepared() const { return step_no_; }
  std::pair<int, int> shard_range(int s) const;  // [first sample, count) within the batch

  Fault fault;
  BusyClock busy;  // per-thread time spent in the three calls above

 private:
  Model& model_;
  const Dataset& data_;
  Hyper hyper_;
  int batch_;
  int blocks_;
  const Dataset* source_ = nullptr;  // where this step's indices point: data_ or a prepared batch
  const int* indices_ = nullptr;
  int n_ = 0;
  long step_no_ = -1;
  int view_rank_ = 0, view_ranks_ = 0;  // the RankView in force; 0 ranks: none
  std::vector<Workspace> ws_;
  std::vector<Params> shard_grad_;
  void fold(int a, int b, int first, int last, int end, std::size_t off, std::size_t n);
  void mark_folded(int a, int b, int first, int last);
  const float* tree_sum(int a, int b, std::size_t off, int n, float* dest, float* scratch) const;
  void gather(int s, int first, int count, int j);
  void run_block_with(const Model& m, int s, int q, int j);  // run_block, reading the weights of m
  std::string where(int j) const;                            // "block j: " when there are blocks, else ""
  std::vector<std::vector<ShardTotals>> block_totals_;       // [shard][block]: its columns' loss
  std::vector<int> held_;                                    // shard buffer a holds the sum of shards [a, held_[a])
  std::vector<std::vector<int>> shard_labels_;
  std::vector<std::vector<float>> shard_targets_;
  std::vector<std::size_t> slice_begin_;
  std::vector<const float*> update_source_;  // per slice: the gradient update_slice reads
  Params grad_, velocity_;
};

}  // namespace gd
