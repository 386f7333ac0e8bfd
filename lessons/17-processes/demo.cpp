// Lesson 17: processes versus threads. The launcher (this program run by hand) starts
// itself under mpirun and prints what it measured:
//   1. the cost of a worker: starting and joining one thread, against starting a job of
//      2 processes under mpirun that only call MPI_Init and MPI_Finalize;
//   2. for 1, 2 and 3 ranks, the checksum of a sum of 6 blocks of mixed-magnitude floats
//      (the exercise's data) by MPI_Allreduce of the ranks' partial sums, and by a fixed
//      order (every block gathered to rank 0, folded in block order, broadcast), each
//      compared with one process's left fold;
//   3. the time of one MPI_Allreduce of 235,146 floats (the MLP's parameters) at 2 and 3 ranks.
//   lesson_17_demo [--quick]
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lesson.hpp"
#include "ranks/ranks.hpp"

#if GDLAB_HAVE_MPI
#include <mpi.h>
#endif

namespace {

constexpr int kBlocks = 6, kFloats = 3001;
constexpr std::size_t kParams = 235146;  // 784-256-128-10: 784*256 + 256 + 256*128 + 128 + 128*10 + 10

std::vector<float> make_blocks() {  // as the exercise's check makes them
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> exponent(-3, 3);
  std::bernoulli_distribution negative(0.5);
  std::vector<float> v(std::size_t(kBlocks) * kFloats);
  for (float& x : v) x = float((negative(rng) ? -1 : 1) * std::pow(10.0, exponent(rng)));
  return v;
}

std::vector<float> left_fold(const float* blocks, int count) {
  std::vector<float> sum(kFloats, 0.0f);
  for (int b = 0; b < count; ++b)
    for (int i = 0; i < kFloats; ++i) sum[std::size_t(i)] += blocks[std::size_t(b) * kFloats + i];
  return sum;
}

std::uint64_t checksum(const std::vector<float>& v) {  // FNV-1a of the bytes
  std::uint64_t h = 1469598103934665603ull;
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  for (std::size_t i = 0; i < v.size() * sizeof(float); ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

std::pair<int, int> rank_blocks(int r, int ranks) { return {r * kBlocks / ranks, (r + 1) * kBlocks / ranks}; }

#if GDLAB_HAVE_MPI
using gd::ranks::check;

// One rank of the sums' job: rank 0 prints one row of the table.
void sums_rank(std::uint64_t reference, int reps) {
  gd::ranks::Session s;
  const std::vector<float> all = make_blocks();
  const auto [first, last] = rank_blocks(s.rank(), s.size());
  const float* mine = all.data() + std::size_t(first) * kFloats;

  // The textbook way: fold my blocks, then one MPI_Allreduce(MPI_SUM) of the partials.
  std::vector<float> reduced = left_fold(mine, last - first);
  check(MPI_Allreduce(MPI_IN_PLACE, reduced.data(), kFloats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");

  // A fixed order, the simplest one: every raw block to rank 0, folded there in block
  // order, the sum broadcast. (All the data crosses to one rank; the exercise spreads it.)
  std::vector<int> counts, displs;
  for (int o = 0; o < s.size(); ++o) {
    const auto [a, b] = rank_blocks(o, s.size());
    displs.push_back(a * kFloats);
    counts.push_back((b - a) * kFloats);
  }
  std::vector<float> gathered(s.rank() == 0 ? all.size() : 1);
  check(MPI_Gatherv(mine, (last - first) * kFloats, MPI_FLOAT, gathered.data(), counts.data(), displs.data(), MPI_FLOAT,
                    0, MPI_COMM_WORLD),
        "MPI_Gatherv");
  std::vector<float> fixed = s.rank() == 0 ? left_fold(gathered.data(), kBlocks) : std::vector<float>(kFloats);
  check(MPI_Bcast(fixed.data(), kFloats, MPI_FLOAT, 0, MPI_COMM_WORLD), "MPI_Bcast");

  const double t = s.size() > 1 ? gd::ranks::allreduce_seconds(kParams, reps) : 0.0;
  if (s.rank() == 0) {
    const std::uint64_t a = checksum(reduced), f = checksum(fixed);
    fmt::print("  {:>5}  {:016x} {:<9}   {:016x} {:<9}     {}\n", s.size(), a, a == reference ? "same" : "DIFFERENT", f,
               f == reference ? "same" : "DIFFERENT",
               s.size() > 1 ? fmt::format("{:.0f} us (median of {})", t * 1e6, reps) : std::string("-"));
    std::fflush(stdout);
  }
}
#endif

double thread_start_us() {  // the median of 101 starts and joins of a thread that returns at once
  std::vector<double> t;
  for (int i = 0; i < 101; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    std::thread([] {}).join();
    t.push_back(lesson::seconds_since(t0) * 1e6);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
#if GDLAB_HAVE_MPI
  if (argc > 1 && std::strcmp(argv[1], "--rank-empty") == 0) {
    gd::ranks::Session s;  // MPI_Init, then MPI_Finalize: nothing else
    return 0;
  }
  if (argc == 4 && std::strcmp(argv[1], "--rank-sums") == 0) {
    try {
      sums_rank(std::stoull(argv[2], nullptr, 16), std::atoi(argv[3]));
    } catch (const std::exception& e) {
      gd::ranks::abort_job(e.what(), 1);
    }
    return 0;
  }
#endif
  const std::string mpirun = gd::ranks::find_mpirun();
  if (!gd::ranks::built_with_mpi() || mpirun.empty()) {
    fmt::print("this build has no MPI, or mpirun is not in PATH: install libopenmpi-dev and openmpi-bin, rebuild\n");
    return 0;
  }
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const int cpus = int(std::max(1u, std::thread::hardware_concurrency()));
  auto job = [&](int p, std::vector<std::string> args) {
    args.insert(args.begin(), self);
    std::vector<std::string> cmd{"/usr/bin/timeout", "-k", "3", "30"};
    if (::access(cmd[0].c_str(), X_OK) != 0) cmd.clear();
    for (const std::string& a : gd::ranks::mpirun_command(mpirun, p, 1, cpus, args)) cmd.push_back(a);
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = gd::ranks::run_job(cmd, nullptr);
    if (rc != 0) fmt::print("  (the job of {} ranks exited with status {})\n", p, rc);
    return lesson::seconds_since(t0);
  };

  fmt::print("The cost of starting a worker\n");
  fmt::print("  a thread, std::thread start + join:                     {:>9.3f} ms (median of 101)\n",
             thread_start_us() / 1e3);
  const double empty = job(2, {"--rank-empty"});
  fmt::print("  2 processes, mpirun + MPI_Init + MPI_Finalize + exit:  {:>9.3f} ms (one job)\n\n", empty * 1e3);

  const std::vector<float> all = make_blocks();
  const std::uint64_t reference = checksum(left_fold(all.data(), kBlocks));
  fmt::print("The sum of {} blocks of {} floats, 10^u for u in [-3, 3], random signs; rank r holds blocks\n", kBlocks,
             kFloats);
  fmt::print("[r*6/p, (r+1)*6/p). One process's left fold in block order: checksum {:016x}\n", reference);
  fmt::print("  ranks  MPI_Allreduce of partials   gather, fold in order, bcast  one MPI_Allreduce of {} floats\n",
             kParams);
  const int reps = quick ? 5 : 30;
  for (int p : {1, 2, 3}) job(p, {"--rank-sums", fmt::format("{:x}", reference), std::to_string(reps)});
  fmt::print(
      "\n'same': the bits of one process's fold. Float addition is not associative: the grouping\n"
      "of the additions, which the rank count decides for the Allreduce, decides the bits.\n");
}
