// One run of a report, indexed for the questions the report asks, and the small
// judgements every section makes of a cell (flagged, within noise, its name).
#pragma once
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "measure/results.hpp"
#include "report/report.hpp"
#include "train/step.hpp"  // default_shards

namespace gd::report {

struct Fit {
  std::string pattern;
  int batch = 0, shards = 0, points = 0;
  double a = 0, b = 0;  // T(p) = a + b/p, seconds per step
};

class RunView {
 public:
  explicit RunView(const ReportRun& run) : run(run), r(run.results) {
    for (const auto& p : r.config.patterns) add_pattern(p);
    // The charts and tables show one neuron-block count: the fewest measured (normally 1,
    // the data-parallel view); cells of other block counts are in the run's cells.csv. They
    // show one process too: the cells of several MPI ranks have a section of their own.
    for (const auto& c : r.cells)
      if (c.ranks == 1) blocks = std::min(blocks, c.blocks);
    if (r.cells.empty()) blocks = 1;
    std::set<int> threads;
    std::set<std::pair<int, int>> workloads;
    for (const auto& c : r.cells) {
      if (c.blocks != blocks || c.ranks != 1) continue;
      add_pattern(c.pattern);
      threads.insert(c.threads);
      workloads.insert({c.batch, c.shards});
      index_[key(c.pattern, c.threads, c.batch, c.shards)] = &c;
    }
    this->threads.assign(threads.begin(), threads.end());
    this->workloads.assign(workloads.begin(), workloads.end());
    cpus = std::max(1, r.environment.cpus_available);
    // The thread count the "at p = ..." charts use: the largest that does not oversubscribe.
    pc = this->threads.empty() ? 1 : this->threads.front();
    for (int p : this->threads)
      if (p <= cpus) pc = p;
    // One shard count per batch for the charts: the default (batch/64, at least 1) when it
    // was measured, else the one with the most cells, ties to the fewer shards.
    std::map<std::pair<int, int>, int> count;
    for (const auto& c : r.cells)
      if (c.blocks == blocks && c.ranks == 1) ++count[{c.batch, c.shards}];
    for (auto [w, n] : count) {
      const int def = default_shards(w.first);
      auto it = primary.find(w.first);
      if (it == primary.end())
        primary[w.first] = w.second;
      else if (it->second != def && (w.second == def || n > count[{w.first, it->second}]))
        it->second = w.second;
    }
    for (auto [batch, shards] : primary) batches.push_back(batch);
  }

  const Cell* find(const std::string& pattern, int threads, int batch, int shards) const {
    auto it = index_.find(key(pattern, threads, batch, shards));
    return it == index_.end() ? nullptr : it->second;
  }
  const Cell* sequential(int batch, int shards) const { return find(kSequential, 1, batch, shards); }
  // The cells of one pattern on one workload, by thread count.
  std::vector<const Cell*> series(const std::string& pattern, int batch, int shards) const {
    std::vector<const Cell*> out;
    for (int p : threads)
      if (const Cell* c = find(pattern, p, batch, shards)) out.push_back(c);
    return out;
  }
  int headline_batch() const { return batches.empty() ? 0 : batches.back(); }
  // The patterns, then the machine's ceiling when it was measured: for the tables.
  std::vector<std::string> patterns_and_ceiling() const {
    std::vector<std::string> out = patterns;
    if (std::any_of(r.cells.begin(), r.cells.end(), [](const Cell& c) { return c.pattern == kIndependent; }))
      out.push_back(kIndependent);
    return out;
  }

  const ReportRun& run;
  const Results& r;
  std::vector<std::string> patterns;
  std::vector<int> threads, batches;
  std::vector<std::pair<int, int>> workloads;
  std::map<int, int> primary;  // batch -> shard count used in the charts
  int cpus = 1, pc = 1;
  int blocks = 1 << 30;  // the neuron-block count shown: the fewest measured (set in the constructor)

 private:
  static std::string key(const std::string& pattern, int p, int batch, int shards) {
    return fmt::format("{}/{}/{}/{}", pattern, p, batch, shards);
  }
  void add_pattern(const std::string& p) {
    // The machine's ceiling is no pattern: it is drawn and tabled apart, never ranked.
    if (p == kIndependent) return;
    if (std::find(patterns.begin(), patterns.end(), p) == patterns.end()) patterns.push_back(p);
  }
  std::map<std::string, const Cell*> index_;
};

// A cell whose time should be read with care: any flag from the harness, except a checksum
// that differs on a pattern whose combine order changes from run to run by design
// (expected, not doubtful).
bool flagged(const Cell& c);
// The 95% confidence intervals of the two medians overlap: within noise.
bool overlap(const Cell& a, const Cell& b);
// Faster than `ref` beyond noise: the whole 95% CI of the median lies below ref's.
bool faster_beyond_noise(const Cell& c, const Cell& ref);

std::string cell_name(const Cell& c);              // "openmp (p = 2)", "mpi (p = 4: 2 ranks × 2)"
std::string workload_name(int batch, int shards);  // "batch 256, 4 shards"
std::string weights_text(const Cell& c);           // "= sequential", "differs (by design)", ...
std::string flags_text(const Cell& c);             // "noisy, incomplete"

// T_seq of a pattern's series, per step: the median of its cells' baselines
// (baseline_step_seconds in measure/metrics.hpp). For a thread pattern that is the sequential
// cell's time; a cell of an MPI job has its own, timed in that job. nullopt: none has one.
std::optional<double> series_baseline(const RunView& v, const std::string& pattern, int batch, int shards);
// Least squares of T = a + b·(1/p) over the cells with p ≤ available CPUs (Amdahl's law
// describes p processors; oversubscribed points measure time slicing instead).
std::optional<Fit> amdahl_fit(const RunView& v, const std::string& pattern, int batch, int shards);

// Colours and point shapes: one per pattern, the same in every chart. Red is kept for flags.
class ColourMap {
 public:
  explicit ColourMap(const std::vector<RunView>& views) {
    for (const auto& v : views)
      for (const auto& p : v.patterns)
        if (std::find(order_.begin(), order_.end(), p) == order_.end()) order_.push_back(p);
  }
  std::string colour(const std::string& pattern) const;  // sequential is black
  int point(const std::string& pattern) const;

 private:
  std::size_t index(const std::string& p) const;
  std::vector<std::string> order_;
};

}  // namespace gd::report
