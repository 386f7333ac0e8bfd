// gdlab matrix from the outside: exit status 2 and one clear line for bad input, and a
// resumed run that completes an interrupted results file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "cli_helpers.hpp"
#include "measure/results.hpp"

namespace fs = std::filesystem;

namespace {

using gdtest::CliRun;

CliRun gdlab(const std::string& args, const fs::path& cwd) { return gdtest::run_gdlab(args, cwd); }

fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() / ("gdlab_test_matrix_cli_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A tiny matrix: 784-8-10 on 256 samples, 2 steps, 3 repetitions.
const std::string kTiny =
    "matrix --patterns sequential,thread_semaphore --threads 1,2 --batch 32,64 --layers 784-8-10 --samples 256 "
    "--steps 2 --warmup 1 --reps 3";

void expect_usage(const CliRun& r, const std::string& fragment) {
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output;
}

}  // namespace

TEST(MatrixCli, BadArgumentsExitWithStatusTwo) {
  fs::path d = temp_dir();
  expect_usage(gdlab("matrix --reps 4", d), "odd number");
  expect_usage(gdlab("matrix --threads 0", d), "--threads '0'");
  expect_usage(gdlab("matrix --batch 16,x", d), "--batch '16,x'");
  expect_usage(gdlab("matrix --shards none", d), "--shards 'none'");
  expect_usage(gdlab("matrix --patterns sequential,nosuch", d), "unknown pattern 'nosuch'");
  expect_usage(gdlab("matrix --steps -1", d), "--steps");
  expect_usage(gdlab("matrix --layers 784-x-10", d), "784-x-10");
  expect_usage(gdlab("matrix --no-such-option", d), "no-such-option");
  expect_usage(gdlab("matrix --layers 784-8-3 --samples 64 --batch 16", d), "has 3 outputs but synthetic has 10");
  expect_usage(gdlab("matrix --layers 784-8-10 --samples 64 --batch 128", d), "--batch 128 is larger than the 64");
  expect_usage(gdlab("matrix --blocks 0", d), "--blocks '0'");
  expect_usage(gdlab("matrix --layers 784-8-10 --samples 64 --batch 16 --blocks 1,9", d),
               "--blocks 9 is more than the 8 neurons of the narrowest layer of 784-8-10: use at most 8");
  fs::remove_all(d);
}

// The second axis in the matrix: each block count is a cell of its own, measured against
// sequential with the same shards and blocks (the same weights), and S_best against the
// fastest sequential run of the batch, whatever its shards and blocks. auto resolves from
// the layers (784-128-10: 2).
TEST(MatrixCli, MeasuresNeuronBlocksAgainstSequentialWithTheSameBlocks) {
  fs::path d = temp_dir();
  CliRun run = gdlab(
      "matrix --patterns model_parallel,hybrid --threads 2 --batch 32 --blocks 1,auto,4 --layers 784-128-10 "
      "--samples 256 --steps 2 --warmup 1 --reps 1 --out blocks.json",
      d);
  ASSERT_EQ(run.status, 0) << run.output;
  const gd::Results r = gd::read_results((d / "blocks.json").string());
  EXPECT_EQ(r.config.blocks, (std::vector<int>{1, 0, 4}));
  std::set<std::pair<std::string, int>> seen;
  for (const gd::Cell& c : r.cells) {
    seen.insert({c.pattern, c.blocks});
    if (c.pattern == gd::kSequential) continue;
    EXPECT_EQ(c.matches_sequential, std::optional<bool>(true)) << c.pattern << " blocks " << c.blocks;
    double best = 0;  // the fastest sequential cell of the batch, any blocks
    for (const gd::Cell& s : r.cells)
      if (s.pattern == gd::kSequential && (best == 0 || s.step_seconds.median < best)) best = s.step_seconds.median;
    ASSERT_TRUE(c.speedup_best.has_value());
    EXPECT_DOUBLE_EQ(*c.speedup_best, best / c.step_seconds.median);
  }
  for (int blocks : {1, 2, 4}) {
    EXPECT_TRUE(seen.count({gd::kSequential, blocks})) << blocks;
    EXPECT_TRUE(seen.count({"model_parallel", blocks})) << blocks;
    EXPECT_TRUE(seen.count({"hybrid", blocks})) << blocks;
  }
  EXPECT_NE(run.output.find(" blocks "), std::string::npos) << "the summary table has a blocks column";
  fs::remove_all(d);
}

TEST(MatrixCli, UnreadableOrCorruptResultsFilesExitWithStatusTwo) {
  fs::path d = temp_dir();
  expect_usage(gdlab("matrix --resume --out missing.json", d), "missing.json: no such results file");
  std::ofstream(d / "corrupt.json") << "{\"schema\": \"gdlab-results\", \"version\": 1, \"cel";
  expect_usage(gdlab("matrix --resume --out corrupt.json", d), "corrupt.json: corrupt JSON");
  // Without --resume an existing corrupt file is not silently replaced either.
  expect_usage(gdlab("matrix --out corrupt.json", d), "corrupt.json: corrupt JSON");
  std::ofstream(d / "v9.json") << "{\"schema\": \"gdlab-results\", \"version\": 9}";
  expect_usage(gdlab("matrix --resume --out v9.json", d), "version 9 is not supported");
  std::ofstream(d / "prims.json") << "{\"no\": 1}";
  expect_usage(gdlab(kTiny + " --out r.json --primitives prims.json", d), "not Google Benchmark JSON");
  expect_usage(gdlab(kTiny + " --out r.json --primitives nothere.json", d), "nothere.json: no such file");
  fs::remove_all(d);
}

// The machine's ceiling: named, or in "all"; its copies train sequential's weights.
TEST(MatrixCli, MeasuresTheMachinesCeiling) {
  fs::path d = temp_dir();
  CliRun named = gdlab(
      "matrix --patterns independent --threads 1,2 --batch 32 --layers 784-8-10 --samples 256 --steps 2 --warmup 1 "
      "--reps 1 --out named.json",
      d);
  ASSERT_EQ(named.status, 0) << named.output;
  EXPECT_NE(named.output.find("\nindependent "), std::string::npos) << "a row of the summary table";
  gd::Results r = gd::read_results((d / "named.json").string());
  int ceiling_cells = 0;
  for (const gd::Cell& c : r.cells)
    if (c.pattern == gd::kIndependent) {
      ++ceiling_cells;
      EXPECT_EQ(c.matches_sequential, std::optional<bool>(true)) << "p = " << c.threads;
      EXPECT_TRUE(c.efficiency.has_value());
    }
  EXPECT_EQ(ceiling_cells, 2);  // p = 1 and 2

  CliRun all = gdlab(
      "matrix --threads 1 --batch 32 --layers 784-8-10 --samples 256 --steps 1 --warmup 0 --reps 1 --out all.json", d);
  ASSERT_EQ(all.status, 0) << all.output;
  const gd::Results a = gd::read_results((d / "all.json").string());
  EXPECT_NE(std::find(a.config.patterns.begin(), a.config.patterns.end(), gd::kIndependent), a.config.patterns.end())
      << "--patterns all";
  EXPECT_TRUE(std::any_of(a.cells.begin(), a.cells.end(), [](const gd::Cell& c) {
    return c.pattern == gd::kIndependent && !c.rep_seconds.empty();
  })) << "and measured";
  fs::remove_all(d);
}

TEST(MatrixCli, ResumeCompletesAnInterruptedFile) {
  fs::path d = temp_dir();
  CliRun full = gdlab(kTiny + " --out full.json", d);
  ASSERT_EQ(full.status, 0) << full.output;
  EXPECT_NE(full.output.find("batch 64"), std::string::npos) << "the summary table";
  EXPECT_TRUE(fs::exists(d / "full.csv"));
  gd::Results done = gd::read_results((d / "full.json").string());

  // Make it look interrupted: cells with fewer repetitions, as a Ctrl-C leaves them.
  gd::Results cut = done;
  cut.cells[0].rep_seconds.resize(1);
  cut.cells[0].rep_cpu_seconds.resize(1);
  cut.cells[0].complete = false;
  cut.cells.back().rep_seconds.clear();
  cut.cells.back().rep_cpu_seconds.clear();
  gd::write_results((d / "cut.json").string(), cut);

  expect_usage(gdlab(kTiny + " --out cut.json", d), "--resume");                     // not overwritten
  expect_usage(gdlab("matrix --resume --reps 5 --out cut.json", d), "drop --reps");  // the file's config rules
  CliRun resumed = gdlab("matrix --resume --out cut.json", d);
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("5 to run"), std::string::npos) << resumed.output;  // 2 + 3 repetitions
  gd::Results back = gd::read_results((d / "cut.json").string());
  ASSERT_EQ(back.cells.size(), done.cells.size());
  for (std::size_t i = 0; i < back.cells.size(); ++i) {
    EXPECT_EQ(back.cells[i].pattern, done.cells[i].pattern);
    EXPECT_EQ(back.cells[i].threads, done.cells[i].threads);
    EXPECT_EQ(back.cells[i].batch, done.cells[i].batch);
    EXPECT_EQ(back.cells[i].shards, done.cells[i].shards);
    EXPECT_EQ(back.cells[i].rep_seconds.size(), 3u);
    EXPECT_TRUE(back.cells[i].complete);
    EXPECT_EQ(back.cells[i].checksum, done.cells[i].checksum);
  }
  EXPECT_EQ(back.cells[1].rep_seconds, done.cells[1].rep_seconds) << "measured cells are kept, not rerun";
  fs::remove_all(d);
}

// The real thing: Ctrl-C (SIGINT) during a run, then --resume.
TEST(MatrixCli, CtrlCKeepsWhatWasMeasuredAndResumeFinishes) {
  fs::path d = temp_dir();
  const pid_t pid = gdtest::spawn_gdlab(
      {"matrix", "--patterns", "sequential,thread_semaphore", "--threads", "1,2", "--batch", "32,64", "--layers",
       "784-32-10", "--samples", "2048", "--steps", "200", "--warmup", "1", "--reps", "5", "--out", "m.json"},
      d, d / "log.txt");
  ASSERT_GT(pid, 0);
  // Wait for the first checkpoint (one repetition measured), then press Ctrl-C.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(d / "m.json") && !gdtest::has_ended(pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const bool checkpointed = fs::exists(d / "m.json");
  ::kill(pid, SIGINT);
  const auto status = gdtest::wait_or_kill(pid, std::chrono::seconds(30));
  ASSERT_TRUE(checkpointed) << "no results file after 60 s";
  ASSERT_TRUE(status.has_value()) << "still running 30 s after Ctrl-C";
  const int st = *status;
  std::ifstream logf(d / "log.txt");
  const std::string log((std::istreambuf_iterator<char>(logf)), {});
  ASSERT_TRUE(WIFEXITED(st)) << log;
  EXPECT_EQ(WEXITSTATUS(st), 130) << log;
  EXPECT_NE(log.find("gdlab matrix --resume --out m.json"), std::string::npos) << log;

  gd::Results part = gd::read_results((d / "m.json").string());  // a whole, valid file
  long measured = 0, missing = 0;
  for (const gd::Cell& c : part.cells) {
    measured += long(c.rep_seconds.size());
    missing += 5 - long(c.rep_seconds.size());
  }
  EXPECT_GT(measured, 0);
  EXPECT_GT(missing, 0) << "the run was stopped early";

  CliRun resumed = gdlab("matrix --resume --out m.json", d);
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  gd::Results done = gd::read_results((d / "m.json").string());
  ASSERT_EQ(done.cells.size(), part.cells.size());
  for (std::size_t i = 0; i < done.cells.size(); ++i) {
    EXPECT_EQ(done.cells[i].pattern, part.cells[i].pattern);
    EXPECT_EQ(done.cells[i].threads, part.cells[i].threads);
    EXPECT_EQ(done.cells[i].batch, part.cells[i].batch);
    EXPECT_EQ(done.cells[i].rep_seconds.size(), 5u);
    EXPECT_TRUE(done.cells[i].complete);
  }
  fs::remove_all(d);
}
