// The MPI patterns, run as a user runs them: `gdlab train --pattern mpi --ranks N`, which
// starts the real mpirun of Open MPI. Every run has a time limit (timeout, a watchdog for
// the ones started in the background), and each test then looks through /proc for any
// process of its run left behind.
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "cli_helpers.hpp"
#include "file_helpers.hpp"
#include "measure/results.hpp"
#include "measure/statistics.hpp"
#include "ranks/ranks.hpp"
#include "watchdog.hpp"

namespace fs = std::filesystem;

namespace {

// A small job: 2048 synthetic samples, batch 64 in 5 shards (which no rank count above 1
// splits into nodes of the tree only), two epochs. The seed marks the run's processes.
std::string job(const std::string& pattern_args, long seed) {
  return "train --data synthetic --samples 2048 --batch 64 --shards 5 --epochs 2 --seed " + std::to_string(seed) + " " +
         pattern_args;
}

std::string checksum(const std::string& output) {
  std::smatch m;
  return std::regex_search(output, m, std::regex("weights checksum ([0-9a-f]+)")) ? m[1].str() : "";
}

// The processes whose command line holds `--seed SEED`: what a run left behind.
std::vector<std::string> left_behind(long seed) {
  std::vector<std::string> out;
  const std::string mark = std::string("--seed") + '\0' + std::to_string(seed) + '\0';
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(e.path() / "cmdline", std::ios::binary);
    const std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (cmd.find(mark) != std::string::npos) out.push_back(pid);
  }
  return out;
}

// Ended processes are reaped by mpirun or by us; give the kernel a moment to drop them.
void expect_none_left(long seed) {
  for (int i = 0; i < 50 && !left_behind(seed).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(left_behind(seed).empty()) << "processes of the run are still there";
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const std::string kLimit = "timeout 120 ";

}  // namespace

// The same weights, bit for bit, as sequential with the same shards: at 1, 2 and 3 ranks
// (3 is more ranks than this machine has cores: --oversubscribe), and at 2 ranks x 2 threads,
// with the ranks' own threads or a thread pattern inside each rank (--inner).
TEST(Mpi, BitIdenticalToSequentialAtAnyRankCount) {
  const auto seq = gdtest::run_gdlab(job("--pattern sequential", 11), {}, kLimit);
  ASSERT_EQ(seq.status, 0) << seq.output;
  const std::string want = checksum(seq.output);
  ASSERT_FALSE(want.empty()) << seq.output;
  for (const char* run : {"--ranks 1", "--ranks 2", "--ranks 3", "--ranks 2 --threads 2",
                          "--ranks 2 --threads 2 --inner openmp", "--ranks 3 --threads 2 --inner thread_condvar"}) {
    const auto r = gdtest::run_gdlab(job(std::string("--pattern mpi ") + run, 11), {}, kLimit);
    ASSERT_EQ(r.status, 0) << run << "\n" << r.output;
    EXPECT_EQ(checksum(r.output), want) << run << "\n" << r.output;
    // Rank 0 alone prints: one line per epoch, not one per rank.
    EXPECT_EQ(count(r.output, "epoch 2/2"), 1) << run << "\n" << r.output;
  }
  expect_none_left(11);
}

// The textbook allreduce trains as well; its bits are the library's business, so the test
// asks only that it learns like mpi (the same loss to two decimals after two epochs).
TEST(Mpi, AllreduceTrainsLikeMpi) {
  std::smatch m;
  const auto a = gdtest::run_gdlab(job("--pattern mpi --ranks 3", 12), {}, kLimit);
  const auto b = gdtest::run_gdlab(job("--pattern mpi_allreduce --ranks 3", 12), {}, kLimit);
  ASSERT_EQ(a.status, 0) << a.output;
  ASSERT_EQ(b.status, 0) << b.output;
  const std::regex loss("epoch 2/2  loss ([0-9.]+)");
  ASSERT_TRUE(std::regex_search(a.output, m, loss)) << a.output;
  const double la = std::stod(m[1]);
  ASSERT_TRUE(std::regex_search(b.output, m, loss)) << b.output;
  EXPECT_NEAR(std::stod(m[1]), la, 0.01) << b.output;
  expect_none_left(12);
}

// --save is written by rank 0 alone, and holds the job's weights. A save writes a
// temporary file and renames it over the target, so the folder's inotify events count
// the saves: two ranks saving would leave one file, but two renames.
TEST(Mpi, SavesOnceWithTheJobsWeights) {
  gdtest::Scratch s("test-mpi");
  const fs::path file = s.dir / "w.bin";
  const int watch = ::inotify_init1(IN_NONBLOCK);
  ASSERT_GE(watch, 0);
  ASSERT_GE(::inotify_add_watch(watch, s.dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE), 0);
  const auto r = gdtest::run_gdlab(job("--pattern mpi --ranks 2 --save " + file.string(), 13), {}, kLimit);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(count(r.output, "saved weights"), 1) << r.output;
  // Renames onto w.bin, and saves' temporary files written (not the probes each process
  // makes at its start to find a folder that refuses new files, w.bin.tmp-XXXXXX).
  int renamed = 0, written = 0;
  alignas(inotify_event) char events[64 * 1024];
  for (ssize_t n; (n = ::read(watch, events, sizeof events)) > 0;)
    for (char* at = events; at < events + n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(at);
      if ((e->mask & IN_MOVED_TO) && e->len > 0 && std::string(e->name) == "w.bin") ++renamed;
      if ((e->mask & IN_CLOSE_WRITE) && e->len > 0 && std::string(e->name).rfind("w.bin.tmp.", 0) == 0) ++written;
      at += sizeof(inotify_event) + e->len;
    }
  ::close(watch);
  EXPECT_EQ(renamed, 1) << "saves of w.bin";
  EXPECT_EQ(written, 1) << "temporary files of a save";
  const auto loaded = gdtest::run_gdlab(
      "train --data synthetic --samples 256 --batch 64 --epochs 1 --max-steps 1 "
      "--load " +
          file.string(),
      {}, kLimit);
  ASSERT_EQ(loaded.status, 0) << loaded.output;
  EXPECT_NE(loaded.output.find("(checksum " + checksum(r.output) + ")"), std::string::npos) << loaded.output;
  // Only the file: no temporary file of another rank beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(s.dir), fs::directory_iterator()), 1);
}

// A rank whose shard throws: every rank ends within seconds, non-zero, the rank named.
TEST(Mpi, AThrowingRankEndsTheJobNamingIt) {
  for (const char* fault : {"1:3:throw", "0:2:throw"}) {
    gdtest::Watchdog dog(std::string("a throwing rank ") + fault, std::chrono::seconds(60));
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = gdtest::run_gdlab(job("--pattern mpi --ranks 2", 14), {},
                                     std::string("GDLAB_RANK_FAULT=") + fault + " " + kLimit);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20)) << r.output;
    EXPECT_EQ(r.status, 1) << r.output;
    const std::string rank(1, fault[0]);
    EXPECT_NE(r.output.find("gdlab: rank " + rank + ": shard "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("injected failure"), std::string::npos) << r.output;
    EXPECT_EQ(checksum(r.output), "") << "a failed job prints no weights";
    expect_none_left(14);
  }
}

// A rank killed in the middle of an epoch (SIGKILL: no handler, no message of its own):
// mpirun ends the others, and the launcher says the job failed.
TEST(Mpi, AKilledRankEndsTheJob) {
  gdtest::Watchdog dog("a killed rank", std::chrono::seconds(60));
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = gdtest::run_gdlab(job("--pattern mpi --ranks 2", 15), {}, "GDLAB_RANK_FAULT=1:5:kill " + kLimit);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20)) << r.output;
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("rank 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the MPI job failed"), std::string::npos) << r.output;
  expect_none_left(15);
}

// Ctrl-C (SIGINT to the job's process group, as a terminal sends it) stops every rank and
// exits 130, with nothing saved.
TEST(Mpi, CtrlCStopsEveryRank) {
  gdtest::Scratch s("test-mpi");
  const fs::path log = s.dir / "log", saved = s.dir / "w.bin";
  const pid_t pid =
      gdtest::spawn_gdlab({"train", "--data", "synthetic", "--samples", "8192", "--batch", "64", "--epochs", "500",
                           "--seed", "16", "--pattern", "mpi", "--ranks", "2", "--save", saved.string()},
                          s.dir, log);
  // Wait until the ranks train (an epoch line), then press Ctrl-C.
  for (int i = 0; i < 300 && gdtest::read(log).find("epoch 1/500") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_NE(gdtest::read(log).find("epoch 1/500"), std::string::npos) << gdtest::read(log);
  ::kill(-pid, SIGINT);
  const auto status = gdtest::wait_or_kill(pid, std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value()) << "still running 20 s after Ctrl-C:\n" << gdtest::read(log);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 130) << gdtest::read(log);
  EXPECT_FALSE(fs::exists(saved));
  expect_none_left(16);
}

// The launcher killed on its own (SIGKILL to its process only, so no handler of its own
// runs and nothing else gets the signal): mpirun gets SIGTERM from the kernel and ends
// every rank, so no process of the job is left running.
TEST(Mpi, KillingTheLauncherEndsTheJob) {
  gdtest::Scratch s("test-mpi");
  const fs::path log = s.dir / "log";
  const pid_t pid = gdtest::spawn_gdlab({"train", "--data", "synthetic", "--samples", "8192", "--batch", "64",
                                         "--epochs", "500", "--seed", "21", "--pattern", "mpi", "--ranks", "2"},
                                        s.dir, log);
  for (int i = 0; i < 300 && gdtest::read(log).find("epoch 1/500") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_NE(gdtest::read(log).find("epoch 1/500"), std::string::npos) << gdtest::read(log);
  ASSERT_GE(left_behind(21).size(), 4u) << "the launcher, mpirun and two ranks";
  ::kill(pid, SIGKILL);
  ASSERT_TRUE(gdtest::wait_or_kill(pid, std::chrono::seconds(20)).has_value());
  expect_none_left(21);
  ::kill(-pid, SIGKILL);  // whatever is left, so that a failure here leaves nothing running
}

// The launcher's wait (ranks::run_job) never hangs on a child that ignores Ctrl-C: one
// that ignores SIGINT and SIGTERM both is killed 10 s after the interrupt.
TEST(Launcher, AChildThatIgnoresInterruptsIsStoppedAnyway) {
  using namespace std::chrono_literals;
  gdtest::Watchdog dog("run_job of a child that ignores SIGINT and SIGTERM", 60s);
  // The interrupt comes a second after the start, once the shell has set its traps.
  static const auto start = std::chrono::steady_clock::now();
  const int status = gd::ranks::run_job({"/bin/sh", "-c", "trap '' INT TERM; exec sleep 120"},
                                        [] { return std::chrono::steady_clock::now() - start > 1s; });
  EXPECT_EQ(status, 128 + SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

// Bad input: exit 2 and one line saying what is wrong, before any rank starts.
TEST(Mpi, BadInputExitsTwoWithOneLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"--pattern mpi --ranks 0", "--ranks must be between 1 and 256"},
      {"--pattern mpi --ranks 257", "--ranks must be between 1 and 256"},
      {"--pattern mpi", "give --ranks N"},
      {"--pattern openmp --ranks 2", "--ranks is for the patterns whose workers are processes"},
      {"--pattern mpi --ranks 2 --inner mpi", "--inner mpi cannot run inside a rank: choose one of"},
      {"--pattern mpi --ranks 2 --inner tbb", "--inner tbb cannot run inside a rank"},
      {"--pattern openmp --inner openmp", "--inner is for the patterns whose workers are processes"},
  };
  for (auto [args, says] : cases) {
    const auto r = gdtest::run_gdlab(job(args, 17), {}, kLimit);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << "\n" << r.output;
  }
  // Without mpirun in PATH.
  const auto r = gdtest::run_gdlab(job("--pattern mpi --ranks 2", 17), {}, kLimit + "env PATH=/nonexistent ");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("needs mpirun, which is not in PATH"), std::string::npos) << r.output;
  expect_none_left(17);
}

// The matrix times a rank cell's baseline on rank 0 while the others wait (ranks::on_rank0_alone):
// every rank gets rank 0's result, the waiting ranks sleep rather than poll (a polling rank
// would take a core from the baseline it waits for), and a failure on rank 0 reaches them all.
namespace {
// tests/ranks_alone.cpp as 3 ranks of a real mpirun: its output, and its exit status.
std::pair<std::string, int> run_ranks_alone() {
  std::string cmd = kLimit;
  for (const std::string& a : gd::ranks::mpirun_command(gd::ranks::find_mpirun(), 3, 1,
                                                        int(std::thread::hardware_concurrency()), {GDLAB_RANKS_ALONE}))
    cmd += "'" + a + "' ";
  FILE* f = ::popen((cmd + "2>&1").c_str(), "r");
  if (!f) return {"popen failed", -1};
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  return {out, ::pclose(f)};
}
}  // namespace

TEST(Mpi, OnlyRankZeroWorksWhileItMeasuresAlone) {
  const auto [out, status] = run_ranks_alone();
  ASSERT_EQ(status, 0) << out;
  for (int rank = 0; rank < 3; ++rank) {
    std::smatch m;
    const std::regex line("rank " + std::to_string(rank) + " result ([0-9.]+) cpu ([0-9.]+) wall ([0-9.]+)");
    ASSERT_TRUE(std::regex_search(out, m, line)) << out;
    EXPECT_EQ(m[1].str(), "42.5") << out;
    const double cpu = std::stod(m[2].str()), wall = std::stod(m[3].str());
    if (rank == 0) {
      EXPECT_GE(cpu, 0.25) << "rank 0 measures by spinning its core\n" << out;
    } else {
      EXPECT_GE(wall, 0.25) << "rank " << rank << " waits for rank 0\n" << out;
      EXPECT_LT(cpu, 0.3 * wall) << "rank " << rank << " should sleep while it waits, not poll\n" << out;
    }
  }
  EXPECT_NE(out.find("rank 0 threw the baseline's step failed"), std::string::npos) << out;
  for (const char* other : {"rank 1 threw rank 0 failed", "rank 2 threw rank 0 failed"})
    EXPECT_NE(out.find(other), std::string::npos) << out;
}

// The wait for a slower rank, told apart from the exchange itself (ranks::mean_wait_seconds):
// ranks 0, 2 and 1 come to a barrier 0, 0.1 and 0.2 s late, so they wait 0.2, 0.1 and 0 s in
// it, 0.1 s on average, and that is almost all of their time on the wire.
TEST(Mpi, TheWaitForASlowerRankIsToldApart) {
  const auto [out, status] = run_ranks_alone();
  ASSERT_EQ(status, 0) << out;
  for (int rank = 0; rank < 3; ++rank) {
    std::smatch m;
    ASSERT_TRUE(
        std::regex_search(out, m, std::regex("rank " + std::to_string(rank) + " waited ([-0-9.]+) wire ([0-9.]+)")))
        << out;
    const double wait = std::stod(m[1].str()), wire = std::stod(m[2].str());
    EXPECT_GE(wait, 0.09) << out;
    EXPECT_LE(wait, 0.13) << out;
    EXPECT_LT(wire - wait, 0.03) << "a barrier of 3 ranks on one machine takes far less\n" << out;
  }
}

// Ranks as an axis of the matrix: each rank count is one mpirun job, its cells record
// `ranks`, p = ranks x threads in E, and the deterministic mpi matches sequential.
TEST(Mpi, MatrixMeasuresRanksAsAnAxis) {
  const fs::path d = fs::temp_directory_path() / ("gdlab_mpi_matrix_" + std::to_string(::getpid()));
  fs::create_directories(d);
  const auto r = gdtest::run_gdlab(
      "matrix --patterns sequential,mpi,mpi_allreduce --threads 1,2 --ranks 1,2 --batch 64 --shards 4 "
      "--layers 784-32-10 --samples 512 --steps 3 --warmup 1 --reps 1 --out m.json --seed 18",
      d, kLimit);
  ASSERT_EQ(r.status, 0) << r.output;
  const gd::Results res = gd::read_results((d / "m.json").string());
  EXPECT_EQ(res.config.ranks, (std::vector<int>{1, 2}));
  std::set<std::tuple<std::string, int, int>> seen;
  for (const gd::Cell& c : res.cells) {
    seen.insert({c.pattern, c.ranks, c.threads});
    if (c.pattern == "mpi") {
      EXPECT_EQ(c.matches_sequential, std::optional<bool>(true)) << c.ranks << "x" << c.threads;
    }
    // The time on the wire, per step: every cell of an MPI pattern has it, and it is part of the step.
    if (c.pattern == "mpi" || c.pattern == "mpi_allreduce") {
      ASSERT_TRUE(c.comm_seconds_per_step.has_value()) << c.pattern << " " << c.ranks << "x" << c.threads;
      EXPECT_EQ(c.rep_comm_seconds.size(), c.rep_seconds.size());
      if (c.ranks > 1) {
        EXPECT_GT(*c.comm_seconds_per_step, 0) << c.pattern;
      }
      EXPECT_LT(*c.comm_seconds_per_step, c.step_seconds.median) << c.pattern;
      // Of it, the wait for a slower rank: one per repetition.
      ASSERT_EQ(c.rep_wait_seconds.size(), c.rep_comm_seconds.size()) << c.pattern;
      ASSERT_TRUE(c.wait_seconds_per_step.has_value()) << c.pattern;
      if (c.ranks == 1) {
        EXPECT_EQ(c.wait_seconds_per_step, std::optional<double>(0)) << "one rank waits for no other";
      }
      // S and E against sequential run in the same job, on rank 0 alone, before each repetition.
      ASSERT_EQ(c.rep_reference_seconds.size(), c.rep_seconds.size()) << c.pattern;
      EXPECT_GT(c.rep_reference_seconds[0], 0) << c.pattern;
      ASSERT_TRUE(c.speedup.has_value()) << c.pattern;
      EXPECT_DOUBLE_EQ(*c.speedup, (gd::median_of(c.rep_reference_seconds) / double(c.steps)) / c.step_seconds.median)
          << c.pattern;
    } else {
      EXPECT_FALSE(c.comm_seconds_per_step.has_value()) << c.pattern;
      EXPECT_TRUE(c.rep_reference_seconds.empty()) << c.pattern;
    }
    if (c.pattern == gd::kSequential) continue;
    ASSERT_TRUE(c.speedup.has_value() && c.efficiency.has_value()) << c.pattern;
    EXPECT_DOUBLE_EQ(*c.efficiency, *c.speedup / (c.ranks * c.threads)) << c.pattern;
  }
  for (const char* p : {"mpi", "mpi_allreduce"})
    for (int ranks : {1, 2})
      for (int threads : {1, 2}) EXPECT_TRUE(seen.count({p, ranks, threads})) << p << " " << ranks << "x" << threads;
  EXPECT_NE(r.output.find("2x2"), std::string::npos) << "the summary shows p as ranks x threads\n" << r.output;
  // The job of 2 ranks measured the loopback transport for the communication model.
  ASSERT_TRUE(res.transport.has_value());
  EXPECT_EQ(res.transport->ranks, 2);
  EXPECT_GT(res.transport->alpha_seconds, 0);
  EXPECT_LT(res.transport->alpha_seconds, 1e-3) << "one small message on one machine";
  EXPECT_GT(res.transport->beta_bytes_per_second, 1e7);
  EXPECT_GT(res.transport->allreduce_beta_bytes_per_second, 1e7);
  EXPECT_EQ(res.transport->pingpong.size(), 10u) << "16 bytes to 4 MiB, 4 times larger each";
  ASSERT_FALSE(res.transport->allreduce.empty());
  for (auto [bytes, seconds] : res.transport->allreduce) EXPECT_GT(seconds, 0) << bytes;
  // The report draws processes beside threads and predicts more ranks from the transport.
  const auto rep = gdtest::run_gdlab("report m.json --out rep", d, kLimit);
  ASSERT_EQ(rep.status, 0) << rep.output;
  const std::string md = gdtest::read(d / "rep" / "report.md");
  EXPECT_NE(md.find("Processes: MPI ranks beside threads"), std::string::npos) << md;
  EXPECT_NE(md.find("2 ranks × 1 thread"), std::string::npos);
  EXPECT_NE(md.find("10 Gbit/s Ethernet"), std::string::npos) << "the prediction for a real network";
  EXPECT_NE(md.find("Measured against the model"), std::string::npos);
  EXPECT_NE(md.find("µs of it for the slower rank (medians over the repetitions); without the wait"), std::string::npos)
      << md;
  EXPECT_NE(md.find("rank 0 alone ran sequential"), std::string::npos) << "the report says what S and E are against";
  EXPECT_TRUE(fs::exists(d / "rep" / "ranks-speedup.svg"));
  EXPECT_TRUE(fs::exists(d / "rep" / "ranks-efficiency.svg"));
  EXPECT_FALSE(fs::exists(d / "m.json.ranks2.json")) << "a job's part file is merged and removed";
  fs::remove_all(d);
  expect_none_left(18);
}

// Time to accuracy of the MPI patterns, in their mpirun jobs: each rank evaluates its own
// replica and they all stop at the same step. mpi makes sequential's weights at any rank
// count, so every one of its runs stops at sequential's step with sequential's accuracy.
TEST(Mpi, MatrixMeasuresTimeToAccuracyOfRanks) {
  const fs::path d = fs::temp_directory_path() / ("gdlab_mpi_accuracy_" + std::to_string(::getpid()));
  fs::create_directories(d);
  const auto r = gdtest::run_gdlab(
      "matrix --data spirals --patterns sequential,mpi,mpi_allreduce --threads 1 --ranks 2,3 --batch 32 --shards 4 "
      "--steps 2 --warmup 1 --reps 1 --target-accuracy 0.75 --eval-every 5 --epochs 30 --out a.json --seed 20",
      d, kLimit);
  ASSERT_EQ(r.status, 0) << r.output;
  const gd::Results res = gd::read_results((d / "a.json").string());
  const gd::Cell* seq = nullptr;
  for (const gd::Cell& c : res.cells)
    if (c.pattern == gd::kSequential && c.shards == 4) seq = &c;
  ASSERT_TRUE(seq && seq->time_to_accuracy) << r.output;
  int rank_cells = 0;
  for (const gd::Cell& c : res.cells) {
    if (c.pattern == gd::kSequential) continue;
    ASSERT_TRUE(c.time_to_accuracy.has_value()) << c.pattern << " " << c.ranks;
    const auto& runs = c.time_to_accuracy->runs;
    ASSERT_EQ(runs.size(), std::size_t(gd::kAccuracyRuns)) << c.pattern << " " << c.ranks;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      EXPECT_GT(runs[i].seconds, 0);
      if (c.pattern != "mpi") continue;
      EXPECT_EQ(runs[i].steps, seq->time_to_accuracy->runs[i].steps) << c.ranks << " ranks, run " << i;
      EXPECT_EQ(runs[i].accuracy, seq->time_to_accuracy->runs[i].accuracy) << c.ranks << " ranks, run " << i;
      EXPECT_EQ(runs[i].reached, seq->time_to_accuracy->runs[i].reached) << c.ranks << " ranks, run " << i;
    }
    ++rank_cells;
  }
  EXPECT_EQ(rank_cells, 4);  // mpi and mpi_allreduce at 2 and 3 ranks
  EXPECT_NE(r.output.find("time to 75.0% test accuracy"), std::string::npos) << r.output;
  fs::remove_all(d);
  expect_none_left(20);
}

TEST(Mpi, MatrixBadRankArgumentsExitTwo) {
  const std::pair<const char*, const char*> cases[] = {
      {"matrix --patterns mpi --threads 1", "run as processes: give --ranks"},
      {"matrix --patterns openmp --ranks 2", "add mpi or mpi_allreduce to --patterns"},
      {"matrix --patterns mpi --ranks 0", "--ranks"},
      {"matrix --resume --ranks 2 --out x.json", "--resume"},
  };
  for (auto [args, says] : cases) {
    const auto r = gdtest::run_gdlab(std::string(args) + " --seed 19", {}, kLimit);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << "\n" << r.output;
  }
  // Without mpirun in PATH: refused before any cell is measured, and no results file.
  const fs::path d = fs::temp_directory_path() / ("gdlab_mpi_nompirun_" + std::to_string(::getpid()));
  fs::create_directories(d);
  const auto r = gdtest::run_gdlab(
      "matrix --patterns sequential,mpi --threads 1 --ranks 2 --batch 64 --layers 784-32-10 --samples 512 "
      "--steps 3 --warmup 1 --reps 1 --out m.json --seed 19",
      d, kLimit + "env PATH=/nonexistent ");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("needs mpirun, which is not in PATH"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(d / "m.json")) << r.output;
  fs::remove_all(d);
  expect_none_left(19);
}
