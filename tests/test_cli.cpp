// The gdlab tool as a user runs it: --help everywhere, exit status 2 with one clear
// line for bad input, and a save/load round trip through real files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "cli_helpers.hpp"
#include "file_helpers.hpp"

namespace {

using gdtest::CliRun;

CliRun gdlab(const std::string& args) { return gdtest::run_gdlab(args); }

void expect_usage_error(const std::string& args, const std::string& fragment) {
  CliRun r = gdlab(args);
  EXPECT_EQ(r.status, 2) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(fragment), std::string::npos) << args << "\n" << r.output;
  EXPECT_EQ(r.output.find("terminate"), std::string::npos) << r.output;
}

}  // namespace

TEST(Cli, HelpOnEverySubcommand) {
  for (const char* sub : {"", "train", "patterns", "matrix", "report", "soak"}) {
    CliRun r = gdlab(std::string(sub) + " --help");
    EXPECT_EQ(r.status, 0) << sub;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub << r.output;
  }
  EXPECT_NE(gdlab("train --help").output.find("--shards"), std::string::npos);
}

TEST(Cli, BadValuesExitWithStatus2AndSayWhy) {
  expect_usage_error("", "subcommand");
  expect_usage_error("frobnicate", "frobnicate");
  expect_usage_error("train --threads 0", "--threads");
  expect_usage_error("train --batch 0", "--batch");
  expect_usage_error("train --data xor --batch 100000", "larger than the");
  expect_usage_error("train --data xor --batch 8 --shards 9", "--shards 9 is more than --batch 8");
  expect_usage_error("train --data xor --batch 8 --shards -1", "--shards must be at least 1");
  expect_usage_error("train --data linear --loss ce", "regression data: it needs --loss mse");
  expect_usage_error("train --pattern nope", "unknown pattern 'nope'");
  expect_usage_error("train --data nope", "unknown --data 'nope'");
  expect_usage_error("train --layers 784-x-10", "bad --layers");
  expect_usage_error("train --layers 100-10", "features but the model's input layer is 100");
  expect_usage_error("train --lr nan", "--lr");
  expect_usage_error("train --lr inf", "--lr");
  expect_usage_error("train --lr -1", "--lr");
  expect_usage_error("train --epochs abc", "epochs");
  expect_usage_error("train --pattern sequential --threads 2", "exactly 1 thread");
  expect_usage_error("train --load /nonexistent/w.bin", "no such file");
  expect_usage_error("train --data /nonexistent-folder", "unknown --data");
}

TEST(Cli, TrainsSavesAndLoadsTheSameWeights) {
  auto dir = std::filesystem::temp_directory_path() / ("gdlab-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string w = (dir / "w.bin").string();
  CliRun a = gdlab("train --data xor --epochs 2 --batch 16 --save " + w);
  ASSERT_EQ(a.status, 0) << a.output;
  EXPECT_NE(a.output.find("epoch 2/2"), std::string::npos) << a.output;
  EXPECT_EQ(a.output.find("\r"), std::string::npos) << "no progress bar when not on a terminal";
  const std::string saved = a.output.substr(a.output.find("weights checksum ") + 17, 16);
  CliRun b = gdlab("train --data xor --epochs 1 --batch 16 --load " + w);
  ASSERT_EQ(b.status, 0) << b.output;
  EXPECT_NE(b.output.find("loaded weights from " + w + " (checksum " + saved + ")"), std::string::npos) << b.output;
  CliRun bad = gdlab("train --data synthetic --load " + w);
  EXPECT_EQ(bad.status, 2) << bad.output;  // a 2-input model does not fit 784-feature data
  std::filesystem::remove_all(dir);
}

// Training that diverges: a worker's shard finds the non-finite loss, the error names
// that shard and says what to try, the exit status is 1 (a failure, not bad input),
// and no weights are saved.
TEST(Cli, DivergingTrainingFailsNamingTheShardAndSavesNothing) {
  gdtest::Scratch s("diverge");
  const std::string w = (s.dir / "w.bin").string();
  for (const std::string pattern : {"sequential", "thread_pool", "openmp"}) {
    std::filesystem::remove(w);  // each pattern answers for itself
    const std::string threads = pattern == "sequential" ? "1" : "2";
    CliRun r = gdlab("train --data synthetic --samples 2048 --lr 1e6 --epochs 2 --threads " + threads + " --pattern " +
                     pattern + " --save " + w);
    EXPECT_EQ(r.status, 1) << pattern << "\n" << r.output;
    EXPECT_TRUE(std::regex_search(r.output, std::regex("gdlab: failed: shard [0-9]+: non-finite loss"))) << r.output;
    EXPECT_NE(r.output.find("try a smaller --lr"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("terminate"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(w)) << pattern << ": weights saved from a failed run";
  }
}

// Ctrl-C during training: the step in flight finishes, the threads are joined, nothing
// is saved, and the exit status is 130.
// With the pipeline on (a producer thread and an evaluator beside the training), the
// same: the producer and the evaluator stop too.
TEST(Cli, SigintStopsTrainingCleanly) {
  gdtest::Scratch s("sigint");
  const std::filesystem::path out = s.dir / "out.txt", w = s.dir / "w.bin";
  for (const char* pattern : {"thread_condvar", "openmp", "async_futures", "pipelined thread_pool"}) {
    std::filesystem::remove(w);
    std::filesystem::remove(out);  // the last pattern's log would say training had begun
    std::vector<std::string> args{"train", "--threads", "2", "--epochs", "1000", "--save", w.string(), "--pattern"};
    const std::string name = pattern;
    if (name.rfind("pipelined ", 0) == 0)
      args.insert(args.end(), {name.substr(10), "--prefetch", "4", "--augment", "affine"});
    else
      args.push_back(name);
    const pid_t pid = gdtest::spawn_gdlab(args, s.dir, out);
    ASSERT_GT(pid, 0);
    // Wait until training has begun (the first epoch's line is out), then interrupt.
    for (int i = 0; i < 400 && gdtest::read(out).find("epoch 1/1000") == std::string::npos; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(pid, SIGINT);
    const auto status = gdtest::wait_or_kill(pid, std::chrono::seconds(10));
    ASSERT_TRUE(status.has_value()) << pattern << ": still running 10 s after SIGINT\n" << gdtest::read(out);
    ASSERT_TRUE(WIFEXITED(*status)) << pattern << " ended by signal " << (WIFSIGNALED(*status) ? WTERMSIG(*status) : 0);
    EXPECT_EQ(WEXITSTATUS(*status), 130) << pattern;
    const std::string text = gdtest::read(out);
    EXPECT_NE(text.find("interrupted in epoch"), std::string::npos) << text;
    EXPECT_FALSE(std::filesystem::exists(w)) << "nothing saved after an interrupt";
    EXPECT_EQ(text.find("terminate"), std::string::npos) << text;
  }
}

// ---- gdlab soak ---------------------------------------------------------------------------

// A short soak: one line per run with its steps, deterministic patterns checked against a
// sequential replay of the same steps, the non-deterministic one said to be unchecked.
TEST(Soak, RunsEachPatternAndChecksItsWeights) {
  CliRun r = gdlab("soak --patterns thread_condvar,openmp_reduction,tbb --threads 2,3 --seconds 0.3");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* pattern : {"thread_condvar", "openmp_reduction", "tbb"})
    for (const char* threads : {"  2 threads", "  3 threads"}) {
      const std::regex line(std::string(pattern) + " +" + threads + " +([0-9]+) steps in +[0-9.]+ s .* slowest .*");
      std::smatch m;
      ASSERT_TRUE(std::regex_search(r.output, m, line)) << pattern << threads << "\n" << r.output;
      EXPECT_GT(std::stol(m[1]), 0) << m[0];
      const bool checked = std::string(pattern) != "openmp_reduction";
      EXPECT_NE(m[0].str().find(checked ? "weights = sequential's" : "weights not compared"), std::string::npos)
          << m[0];
    }
  EXPECT_NE(r.output.find("soak: no stall, no error"), std::string::npos) << r.output;
}

// A step that takes longer than --stall: the watchdog names the run and the step, prints
// every thread's stack (the stuck shard's thread is asleep in Step::run_shard) and ends
// the process with status 1, long before the slow step or the run would have ended.
TEST(Soak, AStallIsReportedWithEveryThreadsStack) {
  const auto t0 = std::chrono::steady_clock::now();
  CliRun r = gdlab("soak --patterns thread_condvar --threads 2 --seconds 60 --stall 1 --delay-ms 30000");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("STALL: thread_condvar at 2 threads: no step finished for 1 s (after 100 steps of this run)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("gd::Step::run_shard"), std::string::npos)
      << "no stack names the sleeping shard (gdb is one of ./gdlab's test packages):\n"
      << r.output;
  EXPECT_LT(seconds, 25) << "the watchdog should end the run, not the 30 s step";
}

// Ctrl-C stops a soak after the current step, with the shell's status for an interrupt.
TEST(Soak, CtrlCStopsItCleanly) {
  gdtest::Scratch s("soak-sigint");
  const std::filesystem::path log = s.dir / "log.txt";
  const pid_t pid =
      gdtest::spawn_gdlab({"soak", "--patterns", "openmp", "--threads", "2", "--seconds", "60"}, s.dir, log);
  ASSERT_GT(pid, 0);
  // The header comes once Ctrl-C is handled.
  for (int i = 0; i < 400 && gdtest::read(log).find("soak: 1 run") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_NE(gdtest::read(log).find("soak: 1 run"), std::string::npos) << "no header after 20 s:\n" << gdtest::read(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // into the run
  ::kill(pid, SIGINT);
  const auto status = gdtest::wait_or_kill(pid, std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value()) << "still running 20 s after Ctrl-C:\n" << gdtest::read(log);
  ASSERT_TRUE(WIFEXITED(*status)) << "ended by a signal:\n" << gdtest::read(log);
  EXPECT_EQ(WEXITSTATUS(*status), 130) << gdtest::read(log);
  EXPECT_NE(gdtest::read(log).find("stopping after the current step"), std::string::npos) << gdtest::read(log);
}
