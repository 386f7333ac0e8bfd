// The measurement harness: results file, statistics, metric formulas, the matrix runner.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <thread>
#include <tuple>

#include "measure/harness.hpp"
#include "measure/results.hpp"
#include "measure/transport.hpp"
#include "registry.hpp"
#include "train/cpus.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "watchdog.hpp"

using namespace gd;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("gdlab_test_harness_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write_text(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Results sample_results() {
  Results r;
  r.environment.cpu_model = "Test CPU, 2 cores";
  r.environment.cpus_available = 2;
  r.environment.compiler = "GNU 12.2.0";
  r.environment.flags = "-O3";
  r.environment.kernel_library = "Eigen";
  r.environment.libraries = {{"boost", "1.81.0"}, {"eigen", "3.4.0"}};
  r.environment.git_commit = "abc1234";
  r.environment.env = {{"OMP_NUM_THREADS", "2"}};
  r.environment.date = "2026-11-25T14:00:00Z";
  r.environment.command_line = "gdlab matrix --quick";
  r.environment.hostname = "box";
  r.environment.load_average = "0.10 0.20 0.30";
  r.environment.core_round_trip_ns = {480.5, 610.25};
  r.config.patterns = {"sequential", "openmp"};
  r.config.threads = {1, 2};
  r.config.batches = {64, 256};
  r.config.shards = {0, 1};
  r.config.steps = 0;
  r.config.reps = 3;
  Cell c;
  c.pattern = "openmp";
  c.threads = 2;
  c.batch = 256;
  c.shards = 4;
  c.steps = 32;
  c.deterministic = true;
  c.complete = true;
  c.rep_seconds = {0.1, 0.125, 0.0625};
  c.rep_cpu_seconds = {0.2, 0.25, 0.125};
  c.step_seconds = {0.003, 0.002, 0.004, 0.002, 0.004};
  c.cpu_seconds_median = 0.2;
  c.parallelism = 1.96;
  c.threads_at_work = 2;
  c.speedup = 1.9;
  c.speedup_best = 1.8;
  c.speedup_relative = std::nullopt;
  c.efficiency = 0.95;
  c.karp_flatt = 0.05;
  c.overhead_per_step_seconds = 1e-5;
  c.samples_per_second = 85000;
  c.final_loss = 1.25;
  c.checksum = "0123456789abcdef";
  c.matches_sequential = true;
  c.flags = {Flag::noisy};
  r.cells.push_back(c);
  c.pattern = "sequential";
  c.threads = 1;
  c.matches_sequential = std::nullopt;
  c.karp_flatt = std::nullopt;
  c.flags = {};
  c.complete = false;
  c.rep_seconds = {0.5};
  c.rep_cpu_seconds = {0.5};
  r.cells.push_back(c);
  r.skipped.push_back({"sequential", 2, 64, 1, "needs exactly 1 thread"});
  r.primitives.push_back({"std::thread create+join", 2, 36.0});
  return r;
}

void expect_same(const Results& a, const Results& b) {
  EXPECT_EQ(a.environment.cpu_model, b.environment.cpu_model);
  EXPECT_EQ(a.environment.cpus_available, b.environment.cpus_available);
  EXPECT_EQ(a.environment.kernel_library, b.environment.kernel_library);
  EXPECT_EQ(a.environment.libraries, b.environment.libraries);
  EXPECT_EQ(a.environment.env, b.environment.env);
  EXPECT_EQ(a.environment.date, b.environment.date);
  EXPECT_EQ(a.environment.command_line, b.environment.command_line);
  EXPECT_EQ(a.environment.load_average, b.environment.load_average);
  EXPECT_EQ(a.environment.core_round_trip_ns, b.environment.core_round_trip_ns);
  EXPECT_TRUE(a.config == b.config);
  ASSERT_EQ(a.cells.size(), b.cells.size());
  for (std::size_t i = 0; i < a.cells.size(); ++i) {
    const Cell &x = a.cells[i], &y = b.cells[i];
    EXPECT_EQ(x.pattern, y.pattern);
    EXPECT_EQ(x.threads, y.threads);
    EXPECT_EQ(x.batch, y.batch);
    EXPECT_EQ(x.shards, y.shards);
    EXPECT_EQ(x.steps, y.steps);
    EXPECT_EQ(x.complete, y.complete);
    EXPECT_EQ(x.rep_seconds, y.rep_seconds);  // exact: JSON keeps doubles round-trip exact
    EXPECT_EQ(x.rep_cpu_seconds, y.rep_cpu_seconds);
    EXPECT_EQ(x.step_seconds.median, y.step_seconds.median);
    EXPECT_EQ(x.step_seconds.ci95_high, y.step_seconds.ci95_high);
    EXPECT_EQ(x.speedup, y.speedup);
    EXPECT_EQ(x.speedup_relative, y.speedup_relative);
    EXPECT_EQ(x.karp_flatt, y.karp_flatt);
    EXPECT_EQ(x.overhead_per_step_seconds, y.overhead_per_step_seconds);
    EXPECT_EQ(x.checksum, y.checksum);
    EXPECT_EQ(x.matches_sequential, y.matches_sequential);
    EXPECT_EQ(x.flags, y.flags);
    EXPECT_EQ(x.threads_at_work, y.threads_at_work);
  }
  ASSERT_EQ(a.skipped.size(), b.skipped.size());
  EXPECT_EQ(a.skipped[0].reason, b.skipped[0].reason);
  ASSERT_EQ(a.primitives.size(), b.primitives.size());
  EXPECT_EQ(a.primitives[0].name, b.primitives[0].name);
  EXPECT_EQ(a.primitives[0].microseconds, b.primitives[0].microseconds);
}

void expect_usage_error(const std::string& path, const std::string& fragment) {
  try {
    read_results(path);
    ADD_FAILURE() << "read_results(" << path << ") did not throw";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what();
  }
}

}  // namespace

TEST(Results, RoundTripsThroughWriteAndRead) {
  fs::path d = temp_dir("roundtrip");
  Results r = sample_results();
  const std::string path = (d / "sub" / "run.json").string();  // the folder is created
  write_results(path, r);
  Results back = read_results(path);
  expect_same(r, back);
  // Writing what was read gives the same bytes: nothing is lost or reordered.
  EXPECT_EQ(results_to_json(back), read_text(path));
  // No temporary files are left behind; the CSV sits beside the JSON.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(d / "sub")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"run.csv", "run.json"}));
  fs::remove_all(d);
}

// A rank cell's time on the wire and the transport measured for the communication model
// survive the file; a file without them reads as before.
TEST(Results, RoundTripsTheCommunicationModel) {
  fs::path d = temp_dir("roundtrip_comm");
  Results r = sample_results();
  r.cells[0].pattern = "mpi";
  r.cells[0].ranks = 2;
  r.cells[0].rep_comm_seconds = {0.01, 0.0125, 0.00625};
  r.cells[0].rep_reference_seconds = {0.2, 0.25, 0.125};
  r.cells[0].rep_wait_seconds = {0.004, 0.005, 0.001};
  r.cells[0].comm_seconds_per_step = 0.01 / 32;
  r.cells[0].wait_seconds_per_step = 0.004 / 32;
  r.transport = fit_transport({{8, 1e-6}, {65536, 11e-6}, {524288, 81e-6}});
  r.transport->ranks = 2;
  r.transport->allreduce = {{1024, 3e-6}, {940584, 150e-6}};
  r.transport->allreduce_beta_bytes_per_second = fit_allreduce_beta(*r.transport);
  const std::string path = (d / "run.json").string();
  write_results(path, r);
  const Results back = read_results(path);
  EXPECT_EQ(back.cells[0].rep_comm_seconds, r.cells[0].rep_comm_seconds);
  EXPECT_EQ(back.cells[0].rep_reference_seconds, r.cells[0].rep_reference_seconds);
  EXPECT_TRUE(back.cells[1].rep_reference_seconds.empty());
  EXPECT_EQ(back.cells[0].rep_wait_seconds, r.cells[0].rep_wait_seconds);
  EXPECT_EQ(back.cells[0].wait_seconds_per_step, r.cells[0].wait_seconds_per_step);
  EXPECT_TRUE(back.cells[1].rep_wait_seconds.empty());
  EXPECT_FALSE(back.cells[1].wait_seconds_per_step.has_value());
  EXPECT_EQ(back.cells[0].comm_seconds_per_step, r.cells[0].comm_seconds_per_step);
  EXPECT_TRUE(back.cells[1].rep_comm_seconds.empty());
  EXPECT_FALSE(back.cells[1].comm_seconds_per_step.has_value());
  ASSERT_TRUE(back.transport.has_value());
  EXPECT_EQ(back.transport->ranks, 2);
  EXPECT_EQ(back.transport->alpha_seconds, r.transport->alpha_seconds);
  EXPECT_EQ(back.transport->beta_bytes_per_second, r.transport->beta_bytes_per_second);
  EXPECT_EQ(back.transport->allreduce_beta_bytes_per_second, r.transport->allreduce_beta_bytes_per_second);
  EXPECT_EQ(back.transport->pingpong, r.transport->pingpong);
  EXPECT_EQ(back.transport->allreduce, r.transport->allreduce);
  EXPECT_EQ(results_to_json(back), read_text(path));
  EXPECT_FALSE(read_results((d / "run.json").string()).cells.empty());
  // A transport that cannot price a message is refused with its field named.
  std::string bad = read_text(path);
  const auto at = bad.find("\"beta_bytes_per_second\"");
  ASSERT_NE(at, std::string::npos);
  bad.replace(bad.find(':', at) + 1, bad.find(',', at) - bad.find(':', at) - 1, " 0");
  write_text(d / "bad.json", bad);
  expect_usage_error((d / "bad.json").string(), "transport");
  // A baseline per repetition, and a wait per time on the wire, or none: a list of another
  // length is refused.
  for (auto [field, says] : {std::pair{"rep_reference_seconds", "rep_reference_seconds and rep_seconds"},
                             std::pair{"rep_wait_seconds", "rep_wait_seconds and rep_comm_seconds"}}) {
    std::string uneven = read_text(path);
    const auto at_field = uneven.find(std::string("\"") + field + "\"");
    ASSERT_NE(at_field, std::string::npos) << field;
    const auto open = uneven.find('[', at_field);
    uneven.replace(open + 1, uneven.find(']', open) - open - 1, "0.2");
    write_text(d / "uneven.json", uneven);
    expect_usage_error((d / "uneven.json").string(), std::string(says) + " differ in length");
  }
  fs::remove_all(d);
}

// The communication model: α is the smallest message's time, β the slope of the large
// messages' extra time, and the ring allreduce costs 2(p-1)α + 2(p-1)/p n/β.
TEST(Transport, FitsLatencyAndBandwidthAndPricesTheRing) {
  // A transport of exactly 2 µs + n / (4 GB/s), sampled from 8 bytes to 4 MiB.
  std::vector<std::pair<double, double>> pts;
  for (double n = 8; n <= 4 << 20; n *= 8) pts.push_back({n, 2e-6 + n / 4e9});
  std::reverse(pts.begin(), pts.end());  // any order
  const Transport t = fit_transport(pts);
  EXPECT_NEAR(t.alpha_seconds, 2e-6 + 8 / 4e9, 1e-12);
  EXPECT_NEAR(t.beta_bytes_per_second, 4e9, 4e9 * 1e-4);
  EXPECT_EQ(t.pingpong.front().first, 8) << "kept sorted by size";
  EXPECT_THROW(fit_transport({}), UsageError);

  // The allreduce's β: an allreduce at 3 ranks of exactly the ring formula at 1 GB/s.
  Transport a = t;
  a.ranks = 3;
  for (double n : {1024.0, 65536.0, 1e6, 4e6})
    a.allreduce.push_back({n, ring_allreduce_seconds(3, n, t.alpha_seconds, 1e9)});
  EXPECT_NEAR(fit_allreduce_beta(a), 1e9, 1e9 * 1e-9);
  a.ranks = 1;
  EXPECT_EQ(fit_allreduce_beta(a), 0) << "one rank exchanges nothing";

  EXPECT_EQ(ring_allreduce_seconds(1, 1e6, 1e-6, 1e9), 0);
  EXPECT_DOUBLE_EQ(ring_allreduce_seconds(2, 1e6, 1e-6, 1e9), 2 * 1e-6 + 1 * 1e6 / 1e9);
  EXPECT_DOUBLE_EQ(ring_allreduce_seconds(4, 1e6, 1e-6, 1e9), 6 * 1e-6 + 1.5 * 1e6 / 1e9);
  // The volume term tends to 2 n / β: more ranks never send less than twice the gradient.
  EXPECT_LT(ring_allreduce_seconds(64, 1e6, 0, 1e9), 2e-3);
  EXPECT_GT(ring_allreduce_seconds(64, 1e6, 0, 1e9), 1.9e-3);

  const Prediction x = predict_step(1e-3, 4, 1e6, 1e-6, 1e9);
  EXPECT_DOUBLE_EQ(x.comm_seconds, ring_allreduce_seconds(4, 1e6, 1e-6, 1e9));
  EXPECT_DOUBLE_EQ(x.step_seconds, 0.25e-3 + x.comm_seconds);
  EXPECT_DOUBLE_EQ(x.speedup, 1e-3 / x.step_seconds);
  EXPECT_DOUBLE_EQ(x.efficiency, x.speedup / 4);
  // A faster network predicts a higher efficiency.
  EXPECT_GT(predict_step(1e-3, 8, 1e6, kNetworks[1].alpha_seconds, kNetworks[1].beta_bytes_per_second).efficiency,
            predict_step(1e-3, 8, 1e6, kNetworks[0].alpha_seconds, kNetworks[0].beta_bytes_per_second).efficiency);
}

TEST(Results, CsvHasOneRowPerCellWithNullsEmpty) {
  Results r = sample_results();
  std::string csv = results_to_csv(r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + long(r.cells.size()));
  EXPECT_EQ(csv.rfind("pattern,threads,batch,shards,blocks,ranks,steps,", 0), 0u);
  EXPECT_NE(csv.find("openmp,2,256,4,1,1,32,true,true,3,"), std::string::npos);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), cell_csv_header());
  EXPECT_NE(csv.find(",0123456789abcdef,true,noisy,"), std::string::npos);
  EXPECT_NE(csv.find(",0123456789abcdef,,,"), std::string::npos) << "null matches_sequential, no flags";
  EXPECT_EQ(csv_path_for("results/a.json"), "results/a.csv");
  EXPECT_EQ(csv_path_for("results/a"), "results/a.csv");
}

TEST(Results, BadFilesGiveClearUsageErrors) {
  fs::path d = temp_dir("bad");
  expect_usage_error((d / "missing.json").string(), "no such results file");
  write_text(d / "empty.json", "");
  expect_usage_error((d / "empty.json").string(), "empty file");
  write_text(d / "corrupt.json", "{\"schema\": \"gdlab-results\", \"version\": 1, \"cells\": [");
  expect_usage_error((d / "corrupt.json").string(), "corrupt JSON");
  write_text(d / "other.json", "{\"schema\": \"something-else\", \"version\": 1}");
  expect_usage_error((d / "other.json").string(), "not a gdlab results file");
  std::string text = results_to_json(sample_results());
  std::string v2 = text;
  v2.replace(v2.find("\"version\": 1"), 12, "\"version\": 2");
  write_text(d / "v2.json", v2);
  expect_usage_error((d / "v2.json").string(), "version 2 is not supported");
  std::string nocells = text;
  nocells.replace(nocells.find("\"cells\""), 7, "\"cellz\"");
  write_text(d / "nocells.json", nocells);
  expect_usage_error((d / "nocells.json").string(), "cells: missing");
  std::string badtype = text;
  badtype.replace(badtype.find("\"threads\": 2,"), 13, "\"threads\": \"two\",");
  write_text(d / "badtype.json", badtype);
  expect_usage_error((d / "badtype.json").string(), "cells[0].threads: expected an integer");
  expect_usage_error(d.string(), "not a regular file");
  fs::remove_all(d);
}

// ---- statistics ------------------------------------------------------------------

TEST(Statistics, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(median_of({3.0, 1.0, 2.0}), 2.0);
  EXPECT_EQ(median_of({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_EQ(median_of({7.0}), 7.0);
  EXPECT_EQ(median_of({}), 0.0);
}

TEST(Statistics, ConfidenceIntervalRanksOfTheMedian) {
  // n = 5: even [min, max] covers only 1 - 2/32 = 93.75% < 95%, so it is the widest there is.
  EXPECT_EQ(median_ci_ranks(5).low, 1);
  EXPECT_EQ(median_ci_ranks(5).high, 5);
  // n = 10: [x(2), x(9)] covers 1 - 2*11/1024 = 97.9%; [x(3), x(8)] only 89.1%.
  EXPECT_EQ(median_ci_ranks(10).low, 2);
  EXPECT_EQ(median_ci_ranks(10).high, 9);
  // n = 20: P(B <= 5) = 0.0207 gives 95.9% for [x(6), x(15)]; P(B <= 6) = 0.0577 is too much.
  EXPECT_EQ(median_ci_ranks(20).low, 6);
  EXPECT_EQ(median_ci_ranks(20).high, 15);
  EXPECT_EQ(median_ci_ranks(1).low, 1);
  EXPECT_EQ(median_ci_ranks(1).high, 1);
  // A looser level gives a narrower interval.
  EXPECT_EQ(median_ci_ranks(10, 0.80).low, 3);
}

TEST(Statistics, SummarizeKnownSamples) {
  StepStats s = summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(s.median, 3);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 5);
  EXPECT_EQ(s.ci95_low, 1);
  EXPECT_EQ(s.ci95_high, 5);
  StepStats t = summarize({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  EXPECT_EQ(t.median, 5.5);
  EXPECT_EQ(t.ci95_low, 2);
  EXPECT_EQ(t.ci95_high, 9);
}

// ---- metrics ----------------------------------------------------------------------

TEST(Metrics, FormulasOnKnownInputs) {
  EXPECT_DOUBLE_EQ(speedup(3.0, 1.5), 2.0);
  EXPECT_DOUBLE_EQ(efficiency(1.6, 2), 0.8);
  EXPECT_DOUBLE_EQ(*karp_flatt(1.6, 2), 0.25);                 // (1/1.6 - 1/2) / (1 - 1/2)
  EXPECT_NEAR(*karp_flatt(4.0, 4), 0.0, 1e-15);                // perfect speedup: no serial part
  EXPECT_NEAR(*karp_flatt(1.0, 4), 1.0, 1e-15);                // no speedup at all: all serial
  EXPECT_FALSE(karp_flatt(1.0, 1).has_value());                // undefined for p = 1
  EXPECT_DOUBLE_EQ(overhead_per_step(1.0, 1.6, 2, 10), 0.02);  // (2*1.0 - 1.6) / (2*10)
  EXPECT_DOUBLE_EQ(overhead_per_step(0.8, 1.6, 2, 10), 0.0);   // perfect: no overhead
}

namespace {
Cell raw_cell(std::string pattern, int p, int shards, std::vector<double> reps, std::vector<double> cpu,
              std::string checksum, bool deterministic = true) {
  Cell c;
  c.pattern = std::move(pattern);
  c.threads = p;
  c.batch = 256;
  c.shards = shards;
  c.steps = 10;
  c.deterministic = deterministic;
  c.rep_seconds = std::move(reps);
  c.rep_cpu_seconds = std::move(cpu);
  c.checksum = std::move(checksum);
  return c;
}
const Cell& cell(const Results& r, const std::string& pattern, int p, int shards) {
  for (const Cell& c : r.cells)
    if (c.pattern == pattern && c.threads == p && c.shards == shards) return c;
  throw std::runtime_error("no such cell");
}
bool flagged(const Cell& c, Flag f) { return c.has(f); }
}  // namespace

TEST(Metrics, ComputedForEveryCellAgainstSequential) {
  Results r;
  r.environment.cpus_available = 2;
  r.config.reps = 3;
  // Per-step medians: sequential 4 shards 0.16 s, 1 shard 0.15 s; openmp p=1 0.17, p=2 0.10, p=4 0.12.
  r.cells.push_back(raw_cell("sequential", 1, 1, {1.5, 1.5, 1.5}, {1.5, 1.5, 1.5}, "aaa"));
  r.cells.push_back(raw_cell("sequential", 1, 4, {1.6, 1.6, 1.6}, {1.6, 1.6, 1.6}, "bbb"));
  r.cells.push_back(raw_cell("openmp", 1, 4, {1.7, 1.7, 1.7}, {1.7, 1.7, 1.7}, "bbb"));
  r.cells.push_back(raw_cell("openmp", 2, 4, {1.0, 0.9, 1.1}, {1.9, 1.8, 2.1}, "bbb"));
  r.cells.push_back(raw_cell("openmp", 4, 4, {1.2, 1.2, 1.2}, {1.2, 1.2, 1.2}, "ccc"));
  r.cells.push_back(raw_cell("thread_mutex", 2, 4, {1.0, 2.0}, {2.0, 4.0}, "ddd", false));
  compute_metrics(r);

  const Cell& two = cell(r, "openmp", 2, 4);
  EXPECT_DOUBLE_EQ(two.step_seconds.median, 0.1);
  EXPECT_DOUBLE_EQ(two.step_seconds.min, 0.09);
  EXPECT_DOUBLE_EQ(two.step_seconds.max, 0.11);
  EXPECT_NEAR(*two.speedup, 1.6, 1e-12);
  EXPECT_NEAR(*two.speedup_best, 1.5, 1e-12);  // against sequential with 1 shard, the fastest
  EXPECT_NEAR(*two.speedup_relative, 1.7, 1e-12);
  EXPECT_NEAR(*two.efficiency, 0.8, 1e-12);
  EXPECT_NEAR(*two.karp_flatt, 0.25, 1e-12);
  EXPECT_NEAR(*two.overhead_per_step_seconds, 0.02, 1e-12);  // (2*0.1 - 0.16) / 2
  EXPECT_NEAR(two.parallelism, 2.1 / 1.1, 1e-12);            // median of 1.9, 2.0, 1.909: per repetition
  EXPECT_NEAR(two.cpu_seconds_median, 1.9, 1e-12);
  EXPECT_NEAR(two.samples_per_second, 2560, 1e-9);
  EXPECT_EQ(two.matches_sequential, std::optional<bool>(true));
  EXPECT_TRUE(two.complete);
  EXPECT_TRUE(two.flags.empty()) << "spread 20% is under the noise threshold, A = 1.9 is fine";

  const Cell& four = cell(r, "openmp", 4, 4);
  EXPECT_TRUE(flagged(four, Flag::oversubscribed));
  EXPECT_TRUE(flagged(four, Flag::low_parallelism)) << "A = 1.0 with 4 threads on 2 CPUs";
  EXPECT_TRUE(flagged(four, Flag::checksum_differs)) << "deterministic, yet other weights";
  EXPECT_EQ(four.matches_sequential, std::optional<bool>(false));

  const Cell& seq = cell(r, "sequential", 1, 4);
  EXPECT_NEAR(*seq.speedup, 1.0, 1e-12);
  EXPECT_FALSE(seq.karp_flatt.has_value());
  EXPECT_FALSE(seq.matches_sequential.has_value());
  EXPECT_NEAR(*seq.speedup_best, 0.15 / 0.16, 1e-12);  // the price of 4 shards

  const Cell& mutex = cell(r, "thread_mutex", 2, 4);
  EXPECT_FALSE(mutex.complete);
  EXPECT_TRUE(flagged(mutex, Flag::incomplete));
  EXPECT_TRUE(flagged(mutex, Flag::noisy)) << "1.0 vs 2.0 around a median of 1.5";
  EXPECT_FALSE(flagged(mutex, Flag::checksum_differs)) << "arrival order: different weights are expected";
  EXPECT_FALSE(mutex.speedup_relative.has_value()) << "no thread_mutex cell with 1 thread";

  // The warnings: one line per flag, naming the cells.
  std::vector<std::string> w = flag_warnings(r);
  ASSERT_EQ(w.size(), 5u);  // oversubscribed, low_parallelism, noisy, checksum_differs, incomplete
  EXPECT_EQ(w[0].rfind("oversubscribed (more threads than the 2 available CPUs): 1 cell: openmp p=4 b=256 s=4", 0), 0u)
      << w[0];
  EXPECT_NE(w[1].find("openmp p=4 b=256 s=4 (A=1.00)"), std::string::npos) << w[1];
  EXPECT_NE(w[2].find("thread_mutex p=2 b=256 s=4"), std::string::npos) << w[2];
  EXPECT_EQ(w[3].rfind("checksum_differs", 0), 0u) << w[3];
  EXPECT_EQ(w[4].rfind("incomplete", 0), 0u) << w[4];

  // The core-to-core round trip: a line for the summary, and a warning when it moved.
  EXPECT_EQ(round_trip_line(r.environment), "");
  r.environment.core_round_trip_ns = {480};
  EXPECT_EQ(round_trip_line(r.environment), "core-to-core round trip: 480 ns at the start");
  r.environment.core_round_trip_ns = {480, 590};  // 23% more: within the drift
  EXPECT_EQ(round_trip_line(r.environment), "core-to-core round trip: 480 ns at the start, 590 ns at the end");
  EXPECT_EQ(flag_warnings(r).size(), 5u);
  r.environment.core_round_trip_ns = {610, 480};  // 27% less
  ASSERT_EQ(flag_warnings(r).size(), 6u);
  EXPECT_EQ(flag_warnings(r)[5].rfind("the core-to-core round trip went from 610 to 480 ns during the matrix", 0), 0u)
      << flag_warnings(r)[5];
}

// A rank cell that carries the sequential runs measured beside its repetitions (in its MPI
// job) is compared with those; one without them, with the sequential cell.
TEST(Metrics, ARankCellIsComparedWithTheBaselineMeasuredBesideIt) {
  Results r;
  r.environment.cpus_available = 2;
  r.config.reps = 3;
  r.cells.push_back(raw_cell("sequential", 1, 1, {1.5, 1.5, 1.5}, {1.5, 1.5, 1.5}, "aaa"));  // the fastest
  r.cells.push_back(raw_cell("sequential", 1, 4, {1.6, 1.6, 1.6}, {1.6, 1.6, 1.6}, "bbb"));
  Cell paired = raw_cell("mpi", 1, 4, {0.9, 1.0, 1.1}, {1.8, 2.0, 2.2}, "bbb");
  paired.ranks = 2;
  paired.rep_reference_seconds = {2.0, 1.8, 1.9};  // median 1.9: 0.19 s a step
  paired.rep_comm_seconds = {0.3, 0.2, 0.4};       // 10 steps: 30 ms a step
  paired.rep_wait_seconds = {0.1, 0.05, 0.2};      // 10 ms a step of it waiting
  r.cells.push_back(paired);
  Cell alone = raw_cell("mpi_allreduce", 1, 4, {0.9, 1.0, 1.1}, {1.8, 2.0, 2.2}, "eee", false);
  alone.ranks = 2;
  r.cells.push_back(alone);
  compute_metrics(r);

  const Cell& mpi = cell(r, "mpi", 1, 4);
  EXPECT_NEAR(*mpi.speedup, 1.9, 1e-12);
  EXPECT_NEAR(*mpi.efficiency, 0.95, 1e-12);
  EXPECT_NEAR(*mpi.karp_flatt, (1 / 1.9 - 0.5) / 0.5, 1e-12);
  EXPECT_NEAR(*mpi.overhead_per_step_seconds, 0.005, 1e-12);  // (2*0.1 - 0.19) / 2
  EXPECT_EQ(mpi.matches_sequential, std::optional<bool>(true)) << "the bits are still checked against the cell";
  EXPECT_NEAR(*mpi.speedup_best, 1.9 * 0.15 / 0.16, 1e-12) << "S times the price of 4 shards, as the cells measured it";
  EXPECT_NEAR(*mpi.comm_seconds_per_step, 0.03, 1e-12);
  EXPECT_NEAR(*mpi.wait_seconds_per_step, 0.01, 1e-12);
  const Cell& allreduce = cell(r, "mpi_allreduce", 1, 4);
  EXPECT_NEAR(*allreduce.speedup, 1.6, 1e-12);
  EXPECT_NEAR(*allreduce.efficiency, 0.8, 1e-12);
  EXPECT_NEAR(*allreduce.speedup_best, 1.5, 1e-12);
}

// ---- the matrix ------------------------------------------------------------------

namespace {
// The thread patterns; with_ranks adds the rank patterns, which only plan here (they run
// inside an mpirun job, tests/test_mpi.cpp).
std::vector<PatternRef> registry_refs(bool with_ranks = false) {
  std::vector<PatternRef> refs;
  for (const PatternInfo& p : all_patterns())
    refs.push_back({std::string(p.name), p.deterministic, [make = p.make](int t) { return make(t); }});
  if (with_ranks)
    for (const PatternInfo& p : rank_patterns())
      refs.push_back({std::string(p.name), p.deterministic, [make = p.make](int t) { return make(t); }, true});
  return refs;
}

const DataSplit& small_data() {
  static const DataSplit d = make_synthetic(2, 320, 10);
  return d;
}

// A matrix that runs in a fraction of a second: a tiny model, few steps.
MatrixConfig small_config() {
  MatrixConfig c;
  c.patterns = {"sequential", "thread_semaphore"};
  c.threads = {1, 2};
  c.batches = {32, 64};
  c.shards = {0, 2};
  c.layers = "784-16-10";
  c.steps = 3;
  c.warmup = 1;
  c.reps = 3;
  return c;
}

std::set<std::tuple<std::string, int, int, int>> keys(const Results& r) {
  std::set<std::tuple<std::string, int, int, int>> k;
  for (const Cell& c : r.cells) k.insert({c.pattern, c.threads, c.batch, c.shards});
  return k;
}
}  // namespace

// Each block count is planned once ("auto" resolved from the layers), with sequential
// at each, and an old results file without blocks reads as one block.
TEST(Matrix, PlanHasACellPerBlockCountAndOldFilesReadAsOneBlock) {
  MatrixConfig c = small_config();
  c.patterns = {"sequential", "model_parallel"};
  c.threads = {2};
  c.batches = {32};
  c.shards = {1};
  c.layers = "784-256-128-10";
  c.blocks = {0, 1, 2, 4};  // auto is 2 here: planned once
  std::multiset<std::pair<std::string, int>> got;
  for (const Cell& x : plan_cells(c, registry_refs())) got.insert({x.pattern, x.blocks});
  const std::multiset<std::pair<std::string, int>> want{{"sequential", 1},     {"sequential", 2},
                                                        {"sequential", 4},     {"model_parallel", 1},
                                                        {"model_parallel", 2}, {"model_parallel", 4}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(default_blocks({784, 256, 128, 10}), 2);
  EXPECT_EQ(default_blocks({784, 16, 10}), 1);
  EXPECT_EQ(default_blocks({2, 2}), 1);

  Results r;
  r.config = small_config();
  Cell x;
  x.pattern = "sequential";
  x.batch = 32;
  x.steps = 3;
  x.blocks = 4;
  r.cells.push_back(x);
  const fs::path f = fs::temp_directory_path() / ("gdlab_blocks_" + std::to_string(::getpid()) + ".json");
  write_results(f.string(), r);
  EXPECT_EQ(read_results(f.string()).cells.at(0).blocks, 4);
  {  // drop every "blocks", as an older writer wrote the file
    nlohmann::json j = nlohmann::json::parse(std::ifstream(f));
    j["config"].erase("blocks");
    for (auto& cell : j["cells"]) cell.erase("blocks");
    std::ofstream(f) << j.dump(1);
  }
  const Results old = read_results(f.string());
  EXPECT_EQ(old.cells.at(0).blocks, 1);
  EXPECT_EQ(old.config.blocks, std::vector<int>{1});
  fs::remove(f);
  fs::remove(csv_path_for(f.string()));
}

// A rank pattern gets a cell per rank count and thread count; the others, and sequential,
// one process. p = ranks x threads in E and the flags, and an older file reads as 1 rank.
TEST(Matrix, PlanHasACellPerRankCountAndPIsRanksTimesThreads) {
  MatrixConfig c = small_config();
  c.patterns = {"sequential", "openmp", "mpi"};
  c.threads = {1, 2};
  c.batches = {32};
  c.shards = {2};
  c.ranks = {1, 3};
  std::multiset<std::tuple<std::string, int, int>> got;
  for (const Cell& x : plan_cells(c, registry_refs(true))) got.insert({x.pattern, x.threads, x.ranks});
  const std::multiset<std::tuple<std::string, int, int>> want{
      {"sequential", 1, 1}, {"sequential", 1, 1} /* and with 1 shard */,
      {"openmp", 1, 1},     {"openmp", 2, 1},
      {"mpi", 1, 1},        {"mpi", 2, 1},
      {"mpi", 1, 3},        {"mpi", 2, 3}};
  EXPECT_EQ(got, want);

  Results r;
  r.config = c;
  r.config.reps = 1;
  r.environment.cpus_available = 4;
  auto cell = [](const char* pattern, int threads, int ranks, double seconds) {
    Cell x;
    x.pattern = pattern;
    x.threads = threads;
    x.ranks = ranks;
    x.batch = 32;
    x.shards = 2;
    x.steps = 1;
    x.rep_seconds = {seconds};
    x.rep_cpu_seconds = {seconds * threads * ranks};
    return x;
  };
  r.cells = {cell("sequential", 1, 1, 6.0), cell("mpi", 2, 3, 1.25)};
  compute_metrics(r);
  EXPECT_DOUBLE_EQ(*r.cells[1].speedup, 4.8);
  EXPECT_DOUBLE_EQ(*r.cells[1].efficiency, 0.8);  // 4.8 / (3 x 2)
  EXPECT_TRUE(r.cells[1].has(Flag::oversubscribed)) << "6 workers on 4 CPUs";

  const fs::path f = fs::temp_directory_path() / ("gdlab_ranks_" + std::to_string(::getpid()) + ".json");
  write_results(f.string(), r);
  EXPECT_EQ(read_results(f.string()).cells.at(1).ranks, 3);
  {  // drop every "ranks", as an older writer wrote the file
    nlohmann::json j = nlohmann::json::parse(std::ifstream(f));
    j["config"].erase("ranks");
    for (auto& x : j["cells"]) x.erase("ranks");
    std::ofstream(f) << j.dump(1);
  }
  const Results old = read_results(f.string());
  EXPECT_EQ(old.cells.at(1).ranks, 1);
  EXPECT_EQ(old.config.ranks, std::vector<int>{1});
  fs::remove(f);
  fs::remove(csv_path_for(f.string()));
}

TEST(Matrix, PlanRunsSequentialOnceAndWithOneShard) {
  MatrixConfig c = small_config();
  c.patterns = {"thread_semaphore", "sequential"};
  c.batches = {1, 256};
  c.shards = {0, 4};
  c.steps = 0;
  c.rep_samples = 8192;
  auto cells = plan_cells(c, registry_refs());
  std::set<std::tuple<std::string, int, int, int>> k;
  for (const Cell& x : cells) {
    k.insert({x.pattern, x.threads, x.batch, x.shards});
    EXPECT_EQ(x.steps, auto_steps(x.batch, 8192));
    if (x.pattern == "sequential") {
      EXPECT_EQ(x.threads, 1);
    }
  }
  const std::set<std::tuple<std::string, int, int, int>> want{
      {"sequential", 1, 1, 1},
      {"thread_semaphore", 1, 1, 1},
      {"thread_semaphore", 2, 1, 1},
      // batch 1: 4 shards are more than the batch and are left out
      {"sequential", 1, 256, 1},
      {"sequential", 1, 256, 4},
      {"thread_semaphore", 1, 256, 4},
      {"thread_semaphore", 2, 256, 4}};
  EXPECT_EQ(k, want);
  EXPECT_EQ(cells.size(), want.size()) << "no duplicates";
  EXPECT_EQ(auto_steps(256, 8192), 32);
  EXPECT_EQ(auto_steps(16, 8192), 512);
  EXPECT_EQ(auto_steps(4096, 8192), 10);
}

TEST(Matrix, RepetitionIsReproducibleAndDeterministicPatternsMatchSequential) {
  const auto refs = registry_refs();
  const Dataset& train = small_data().train;
  std::vector<int> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  const ModelSpec spec{{784, 16, 10}};
  RepOutcome a = run_repetition(refs[0], 1, spec, train, order, 64, 2, 1, 7, 1);
  RepOutcome b = run_repetition(refs[0], 1, spec, train, order, 64, 2, 1, 7, 1);
  EXPECT_EQ(a.checksum, b.checksum);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_GT(a.loss, 0);
  EXPECT_GT(a.seconds, 0);
  EXPECT_GE(a.cpu_seconds, 0);
  for (const PatternRef& p : refs) {
    if (!p.deterministic || p.name == "sequential") continue;
    RepOutcome x = run_repetition(p, 2, spec, train, order, 64, 2, 1, 7, 1);
    EXPECT_EQ(x.checksum, a.checksum) << p.name;
  }
  // One step more, other weights: the checksum really depends on the steps run.
  RepOutcome c = run_repetition(refs[0], 1, spec, train, order, 64, 2, 1, 8, 1);
  EXPECT_NE(c.checksum, a.checksum);
  EXPECT_THROW(run_repetition(refs[0], 1, spec, train, order, 1024, 2, 1, 1, 1), UsageError);
}

// The machine's ceiling: p copies of sequential, each training exactly what sequential trains.
TEST(Matrix, IndependentCopiesTrainSequentialsWeights) {
  const auto refs = registry_refs();
  const PatternRef independent = independent_ref(refs[0]);
  ASSERT_EQ(refs[0].name, "sequential");
  EXPECT_EQ(independent.name, kIndependent);
  const Dataset& train = small_data().train;
  std::vector<int> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  const ModelSpec spec{{784, 16, 10}};
  const RepOutcome seq = run_repetition(refs[0], 1, spec, train, order, 64, 2, 1, 7, 1);
  for (int p : {1, 2, 3}) {
    gdtest::Watchdog dog("independent copies, p = " + std::to_string(p), 60s);
    const RepOutcome x = run_repetition(independent, p, spec, train, order, 64, 2, 1, 7, 1);
    EXPECT_EQ(x.checksum, seq.checksum) << p;
    EXPECT_EQ(x.loss, seq.loss) << p;
    EXPECT_GT(x.seconds, 0);
    ASSERT_EQ(x.busy_seconds.size(), std::size_t(p)) << "one busy time per copy";
    for (double b : x.busy_seconds) {
      EXPECT_GT(b, 0);
      EXPECT_LE(b, x.seconds * 1.01) << "busy and wall time are both one copy's share";
    }
  }
}

TEST(Matrix, OneCopysShareDividesEveryTimeByTheCopies) {
  RepOutcome all;
  all.seconds = 3.0;
  all.cpu_seconds = 5.4;
  all.busy_seconds = {2.7, 3.0, 2.4};
  all.loss = 0.5;
  all.checksum = "abc";
  const RepOutcome one = one_copys_share(all, 3);
  EXPECT_DOUBLE_EQ(one.seconds, 1.0);
  EXPECT_DOUBLE_EQ(one.cpu_seconds, 1.8);
  ASSERT_EQ(one.busy_seconds.size(), 3u);
  EXPECT_DOUBLE_EQ(one.busy_seconds[0], 0.9);
  EXPECT_DOUBLE_EQ(one.busy_seconds[1], 1.0);
  EXPECT_DOUBLE_EQ(one.busy_seconds[2], 0.8);
  EXPECT_EQ(one.loss, 0.5);  // a mean per sample: not a time
  EXPECT_EQ(one.checksum, "abc");
}

// A copy that fails in its timed steps: the error reaches the caller, the other copies
// are not left waiting at a barrier (the watchdog turns a hang into a failure).
TEST(Matrix, AFailingIndependentCopyReachesTheCaller) {
  struct FailsAfter final : Pattern {
    int left;
    explicit FailsAfter(int n) : left(n) {}
    void step(Step& s) override {
      if (left-- == 0) throw ShardError(0, "copy failed");
      s.run_shards(0, s.shards());
      for (int k = 0; k < s.slices(); ++k) s.combine_slice(k), s.update_slice(k);
    }
  };
  std::atomic<int> made = 0;
  const PatternRef second_copy_fails{"sequential", true, [&](int) -> std::unique_ptr<Pattern> {
                                       return std::make_unique<FailsAfter>(made++ == 1 ? 3 : 1000);
                                     }};
  const Dataset& train = small_data().train;
  std::vector<int> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  gdtest::Watchdog dog("a failing independent copy", 60s);
  try {
    run_repetition(independent_ref(second_copy_fails), 3, ModelSpec{{784, 16, 10}}, train, order, 64, 2, 1, 7, 1);
    FAIL() << "the copy's error was lost";
  } catch (const ShardError& e) {
    EXPECT_NE(std::string(e.what()).find("copy failed"), std::string::npos);
  }
  EXPECT_EQ(made, 3);
}

TEST(Matrix, InterruptedMatrixResumesToTheSameCells) {
  const auto refs = registry_refs();
  const Dataset& train = small_data().train;

  Results full;
  full.config = small_config();
  full.environment.cpus_available = 2;
  full.cells = plan_cells(full.config, refs);
  ASSERT_TRUE(run_matrix(full, refs, train, {}));
  EXPECT_EQ(missing_repetitions(full), 0);

  // The same matrix, stopped after 7 repetitions; what the checkpoint wrote is the file.
  fs::path d = temp_dir("resume");
  const std::string path = (d / "m.json").string();
  Results part;
  part.config = small_config();
  part.environment.cpus_available = 2;
  part.cells = plan_cells(part.config, refs);
  int started = 0;
  MatrixHooks hooks;
  hooks.stop = [&] { return started == 7; };
  hooks.progress = [&](long, long, const Cell&) { ++started; };
  hooks.checkpoint = [&](const Results& now) { write_results(path, now); };
  EXPECT_FALSE(run_matrix(part, refs, train, hooks));
  Results saved = read_results(path);
  EXPECT_EQ(missing_repetitions(saved), missing_repetitions(full) + long(full.cells.size()) * 3 - 7);
  long measured = 0;
  for (const Cell& c : saved.cells) measured += long(c.rep_seconds.size());
  EXPECT_EQ(measured, 7);

  // Resume: a fresh plan of the file's configuration adopts what was measured.
  Results resumed;
  resumed.config = saved.config;
  resumed.environment.cpus_available = 2;
  resumed.cells = plan_cells(resumed.config, refs);
  adopt_previous(resumed, saved, path);
  EXPECT_EQ(missing_repetitions(resumed), long(full.cells.size()) * 3 - 7);
  ASSERT_TRUE(run_matrix(resumed, refs, train, {}));
  EXPECT_EQ(keys(resumed), keys(full));
  for (const Cell& c : resumed.cells) {
    EXPECT_EQ(c.rep_seconds.size(), 3u);
    EXPECT_TRUE(c.complete);
  }
  for (const Cell& c : full.cells)
    for (const Cell& x : resumed.cells)
      if (x.pattern == c.pattern && x.threads == c.threads && x.batch == c.batch && x.shards == c.shards) {
        EXPECT_EQ(x.checksum, c.checksum) << "same weights, interrupted or not";
      }

  // A file of another configuration is not adopted.
  Results other;
  other.config = small_config();
  other.config.reps = 5;
  other.cells = plan_cells(other.config, refs);
  EXPECT_THROW(adopt_previous(other, saved, path), UsageError);
  fs::remove_all(d);
}

TEST(Matrix, FailingCellIsSkippedWithItsReason) {
  auto refs = registry_refs();
  refs.push_back({"refuses_two", true, [](int t) -> std::unique_ptr<Pattern> {
                    if (t != 1) throw UsageError("refuses_two needs exactly 1 thread");
                    return find_pattern("sequential").make(1);
                  }});
  Results r;
  r.config = small_config();
  r.config.patterns = {"sequential", "refuses_two"};
  r.config.batches = {32};
  r.config.shards = {0};
  r.cells = plan_cells(r.config, refs);
  std::vector<std::string> warnings;
  MatrixHooks hooks;
  hooks.warn = [&](const std::string& w) { warnings.push_back(w); };
  ASSERT_TRUE(run_matrix(r, refs, small_data().train, hooks));
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].pattern, "refuses_two");
  EXPECT_EQ(r.skipped[0].threads, 2);
  EXPECT_NE(r.skipped[0].reason.find("exactly 1 thread"), std::string::npos);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(r.cells.size(), 2u);  // sequential, refuses_two with 1 thread
  EXPECT_EQ(cell(r, "refuses_two", 1, 1).matches_sequential, std::optional<bool>(true));
}

// ---- primitives ------------------------------------------------------------------

TEST(Primitives, ReadsGoogleBenchmarkMedians) {
  const std::string text = R"({
    "context": {"date": "x"},
    "benchmarks": [
      {"name": "BM_Spawn/threads:2/real_time", "run_name": "BM_Spawn/threads:2/real_time", "run_type": "iteration",
       "repetitions": 3, "real_time": 40000, "time_unit": "ns", "label": "std::thread create+join"},
      {"name": "BM_Spawn/threads:2/real_time", "run_name": "BM_Spawn/threads:2/real_time", "run_type": "iteration",
       "repetitions": 3, "real_time": 30000, "time_unit": "ns", "label": "std::thread create+join"},
      {"name": "BM_Spawn/threads:2/real_time_median", "run_name": "BM_Spawn/threads:2/real_time",
       "run_type": "aggregate", "aggregate_name": "median", "real_time": 36000, "time_unit": "ns",
       "label": "std::thread create+join"},
      {"name": "BM_Barrier/threads:4/real_time", "run_name": "BM_Barrier/threads:4/real_time",
       "run_type": "iteration", "real_time": 2.5, "time_unit": "us"},
      {"name": "BM_Barrier/threads:4/real_time", "run_name": "BM_Barrier/threads:4/real_time",
       "run_type": "iteration", "real_time": 1.5, "time_unit": "us", "forked": -nan},
      {"name": "BM_Barrier/threads:4/real_time_cv", "run_name": "BM_Barrier/threads:4/real_time",
       "run_type": "aggregate", "aggregate_name": "cv", "real_time": 0.1, "time_unit": "us", "forked": NaN}
    ]})";
  auto p = primitives_from_benchmark_json(text, "x.json");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "std::thread create+join");
  EXPECT_EQ(p[0].threads, 2);
  EXPECT_DOUBLE_EQ(p[0].microseconds, 36.0);  // the median aggregate, not the iterations
  EXPECT_EQ(p[1].name, "BM_Barrier/threads:4/real_time");
  EXPECT_EQ(p[1].threads, 4);
  EXPECT_DOUBLE_EQ(p[1].microseconds, 2.0);  // no aggregate: the median of the iterations
  EXPECT_THROW(primitives_from_benchmark_json("{\"benchmarks\": 3}", "y.json"), UsageError);
  EXPECT_THROW(primitives_from_benchmark_json("not json", "z.json"), UsageError);
}

// ---- environment -----------------------------------------------------------------

TEST(Environment, RecordsTheMachineAndBuild) {
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  Environment e = capture_environment("gdlab matrix --quick");
  ::unsetenv("OMP_WAIT_POLICY");
  EXPECT_EQ(e.cpus_available, available_cpus());
  EXPECT_GE(e.cpus_available, 1);
  EXPECT_FALSE(e.cpu_model.empty());
  EXPECT_EQ(e.compiler, GDLAB_COMPILER);  // the compiler that built this very test (GNU or Clang)
  EXPECT_NE(e.flags.find("-O"), std::string::npos);
  EXPECT_EQ(e.env.at("OMP_WAIT_POLICY"), "passive");
  EXPECT_EQ(e.command_line, "gdlab matrix --quick");
  for (const char* lib : {"boost", "onetbb", "openmp", "eigen", "openblas", "google_benchmark"})
    EXPECT_FALSE(e.libraries[lib].empty()) << lib;
  ASSERT_EQ(e.date.size(), 20u);  // 2026-11-25T14:03:00Z
  EXPECT_EQ(e.date[10], 'T');
  EXPECT_EQ(e.date.back(), 'Z');
}

// The cores' round trip: 0 with one CPU. With two it may still be 0, when the other thread
// got no CPU within the probe's time (other tests run beside this one), but a value it
// gives is a real trip: longer than a cycle, shorter than a millisecond.
TEST(Environment, CoreRoundTripIsATripOrZero) {
  const double ns = core_round_trip_ns();
  if (available_cpus() < 2) {
    EXPECT_EQ(ns, 0.0);
  }
  if (ns != 0.0) {
    EXPECT_GT(ns, 1.0);
    EXPECT_LT(ns, 1e6);
  }
}

// A burst that runs past its time gives up, and the probe returns 0 at once: it does not
// wait for an answer that the other thread has stopped giving. (Every CPU busy with other
// work makes a burst that slow; a budget of a microsecond does it every time.)
TEST(Environment, CoreRoundTripGivesUpWhenABurstRunsPastItsTime) {
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(core_round_trip_ns(std::chrono::microseconds(1)), 0.0);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
}

// Useful parallelism and imbalance come from Step::busy, for every pattern.
TEST(Matrix, UsefulParallelismAndImbalanceFromBusyTimes) {
  auto refs = registry_refs();
  Results r;
  r.config = small_config();
  r.config.patterns = {"sequential", "thread_condvar", "async_futures"};
  r.config.threads = {2};
  r.config.batches = {64};
  r.config.shards = {0};
  r.cells = plan_cells(r.config, refs);
  ASSERT_TRUE(run_matrix(r, refs, small_data().train, {}));
  const Cell& seq = cell(r, "sequential", 1, 1);
  ASSERT_EQ(seq.rep_useful_parallelism.size(), 3u);
  ASSERT_TRUE(seq.useful_parallelism.has_value());
  EXPECT_GT(*seq.useful_parallelism, 0.0);
  EXPECT_LE(*seq.useful_parallelism, 1.0) << "one thread is busy for part of the timed loop at most";
  EXPECT_GT(*seq.useful_parallelism, 0.5) << "sequential's timed loop is almost all step work";
  EXPECT_DOUBLE_EQ(*seq.imbalance, 1.0);  // one thread: max = mean
  const Cell& cv = cell(r, "thread_condvar", 2, 1);
  ASSERT_TRUE(cv.useful_parallelism.has_value());
  EXPECT_GT(*cv.useful_parallelism, 0.0);
  EXPECT_LE(*cv.useful_parallelism, 2.0);
  ASSERT_EQ(cv.rep_imbalance.size(), 3u);
  EXPECT_GE(*cv.imbalance, 1.0);
  EXPECT_LE(*cv.imbalance, 2.0);
  // Fresh threads every step: busy time per thread is not per worker, so no imbalance.
  const Cell& af = cell(r, "async_futures", 2, 1);
  ASSERT_TRUE(af.useful_parallelism.has_value());
  EXPECT_FALSE(af.imbalance.has_value());
  EXPECT_TRUE(af.rep_imbalance.empty());
  // They survive the file.
  Results back = results_from_json(results_to_json(r), "memory");
  EXPECT_EQ(cell(back, "thread_condvar", 2, 1).rep_imbalance, cv.rep_imbalance);
  EXPECT_EQ(cell(back, "thread_condvar", 2, 1).useful_parallelism, cv.useful_parallelism);
  EXPECT_FALSE(cell(back, "async_futures", 2, 1).imbalance.has_value());
}

// A thread that works beside the pattern's own is counted and flagged: here a helper the
// pattern starts and never mentions, which burns CPU while the steps run.
TEST(Matrix, AThreadBesideThePatternsOwnIsFlaggedHidden) {
  struct WithHiddenHelper final : Pattern {
    std::atomic<bool> stop = false;
    std::thread helper{[this] {
      while (!stop.load(std::memory_order_relaxed)) {
      }
    }};
    ~WithHiddenHelper() override {
      stop = true;
      helper.join();
    }
    void step(Step& s) override {
      s.run_shards(0, s.shards());
      for (int k = 0; k < s.slices(); ++k) s.combine_slice(k), s.update_slice(k);
    }
  };
  const PatternRef hidden{"sequential", true, [](int) { return std::make_unique<WithHiddenHelper>(); }};
  const Dataset& train = small_data().train;
  const std::vector<int> order = shuffled_order(train.size(), 1);
  const RepOutcome o = run_repetition(hidden, 1, ModelSpec{{784, 64, 10}}, train, order, 64, 2, 1, 200, 1);
  EXPECT_EQ(o.threads_at_work, 2);

  Results r;
  r.config.reps = 1;
  Cell c;
  c.pattern = "sequential";
  c.batch = 64;
  c.shards = 2;
  c.steps = 200;
  c.rep_seconds = {o.seconds};
  c.rep_cpu_seconds = {o.cpu_seconds};
  c.threads_at_work = o.threads_at_work;
  r.cells = {c};
  compute_metrics(r);
  EXPECT_TRUE(r.cells[0].has(Flag::hidden_threads));
  std::string warnings;
  for (const std::string& line : flag_warnings(r)) warnings += line + "\n";
  EXPECT_NE(warnings.find("hidden_threads"), std::string::npos) << warnings;
}

// No pattern, and no kernel library under it, works on more threads than its p: the
// kernels run on the calling thread (train/gemm.hpp).
TEST(Matrix, NoPatternWorksOnMoreThreadsThanItsP) {
  const Dataset& train = small_data().train;
  const std::vector<int> order = shuffled_order(train.size(), 1);
  const ModelSpec spec{{784, 64, 10}};
  // The OpenMP patterns last: LLVM's OpenMP (the tsan preset's) keeps its workers spinning
  // for 200 ms after a region (KMP_BLOCKTIME), which the census would count as work in
  // the next pattern's repetition.
  std::vector<PatternRef> refs = registry_refs();
  std::stable_partition(refs.begin(), refs.end(),
                        [](const PatternRef& p) { return p.name.find("openmp") == std::string::npos; });
  for (const PatternRef& p : refs) {
    const int threads = p.name == "sequential" ? 1 : 2;
    const RepOutcome o = run_repetition(p, threads, spec, train, order, 64, 2, 1, 200, 1);
    // A spawn-per-step pattern's workers come and go between the census readings.
    if (p.name == "sequential") {
      EXPECT_EQ(o.threads_at_work, 1);
    }
    EXPECT_LE(o.threads_at_work, threads) << p.name;
  }
}
