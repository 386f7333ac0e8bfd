// The measurement harness: results file, statistics, metric formulas, the matrix runner.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "results.hpp"

using namespace gd;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("gdlab_test_harness_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

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
  c.flags = {"noisy"};
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
  EXPECT_EQ(a.environment.libraries, b.environment.libraries);
  EXPECT_EQ(a.environment.env, b.environment.env);
  EXPECT_EQ(a.environment.date, b.environment.date);
  EXPECT_EQ(a.environment.command_line, b.environment.command_line);
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

TEST(Results, CsvHasOneRowPerCellWithNullsEmpty) {
  Results r = sample_results();
  std::string csv = results_to_csv(r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + long(r.cells.size()));
  EXPECT_EQ(csv.rfind("pattern,threads,batch,shards,steps,", 0), 0u);
  EXPECT_NE(csv.find("openmp,2,256,4,32,true,true,3,"), std::string::npos);
  EXPECT_NE(csv.find(",0123456789abcdef,true,noisy\n"), std::string::npos);
  EXPECT_NE(csv.find(",0123456789abcdef,,\n"), std::string::npos) << "null matches_sequential, no flags";
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
