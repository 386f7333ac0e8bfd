// Check for lesson 17: sum_blocks gives, at 1, 2, 3 and 4 ranks, the same bits on every
// rank, and they are the one-process left fold of the blocks in block order.
//
// Run by hand (./gdlab check 17), this program is the launcher: it computes the reference
// itself, then starts itself under mpirun once per rank count. Each rank builds the same
// blocks from a fixed seed, keeps its own run of them, and calls sum_blocks; rank 0 writes
// the result to a file the launcher names, which the launcher compares with the reference.
//   lesson_17_check                    the launcher
//   lesson_17_check --rank-out FILE    one rank (mpirun starts it so)
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "exercise.hpp"
#include "lesson.hpp"
#include "ranks/ranks.hpp"

#if GDLAB_HAVE_MPI
#include <mpi.h>
#endif

namespace {

constexpr int kBlocks = 6;
constexpr int kFloats = 3001;  // per block: no rank count above 1 divides it evenly

// K blocks of n floats of mixed magnitudes, 10^u for u uniform in [-3, 3], random signs.
std::vector<float> make_blocks() {
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> exponent(-3, 3);
  std::bernoulli_distribution negative(0.5);
  std::vector<float> v(std::size_t(kBlocks) * kFloats);
  for (float& x : v) x = float((negative(rng) ? -1 : 1) * std::pow(10.0, exponent(rng)));
  return v;
}

// The one-process order: element by element, block 0, then 1, ..., then K-1.
std::vector<float> left_fold(const std::vector<float>& all) {
  std::vector<float> sum(kFloats, 0.0f);
  for (int b = 0; b < kBlocks; ++b)
    for (int i = 0; i < kFloats; ++i) sum[std::size_t(i)] += all[std::size_t(b) * kFloats + i];
  return sum;
}

// FNV-1a over the bytes: equal checksums, equal bits (with overwhelming probability).
std::uint64_t checksum(const std::vector<float>& v) {
  std::uint64_t h = 1469598103934665603ull;
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  for (std::size_t i = 0; i < v.size() * sizeof(float); ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

#if GDLAB_HAVE_MPI
// One rank: its blocks, sum_blocks, and rank 0 writes the file: how many ranks' results
// differ from its own, the length of its result, then the floats.
int run_rank(const std::string& out) {
  gd::ranks::Session session;
  try {
    const std::vector<float> all = make_blocks();
    const auto [first, last] = rank_blocks(session.rank(), session.size(), kBlocks);
    const std::vector<float> mine(all.begin() + long(first) * kFloats, all.begin() + long(last) * kFloats);
    const std::vector<float> sum = sum_blocks(mine, kBlocks, kFloats);
    std::uint64_t h = checksum(sum);
    std::vector<std::uint64_t> every(std::size_t(session.size()));
    gd::ranks::check(MPI_Gather(&h, 1, MPI_UINT64_T, every.data(), 1, MPI_UINT64_T, 0, MPI_COMM_WORLD),
                     "MPI_Gather (the checksums)");
    if (session.rank() == 0) {
      std::int64_t differ = 0, size = std::int64_t(sum.size());
      for (std::uint64_t e : every) differ += e != h;
      std::ofstream f(out, std::ios::binary);
      f.write(reinterpret_cast<const char*>(&differ), sizeof differ);
      f.write(reinterpret_cast<const char*>(&size), sizeof size);
      f.write(reinterpret_cast<const char*>(sum.data()), std::streamsize(sum.size() * sizeof(float)));
      if (!f) gd::ranks::abort_job("cannot write " + out, 1);
    }
  } catch (const std::exception& e) {
    gd::ranks::abort_job(e.what(), 1);  // ends every rank: none waits for a message forever
  }
  return 0;
}
#endif

std::string timeout_program() {
  for (const char* p : {"/usr/bin/timeout", "/bin/timeout"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--rank-out") == 0) {
#if GDLAB_HAVE_MPI
    return run_rank(argv[2]);
#else
    return 1;
#endif
  }

  lesson::Verdict v("lesson 17: a sum over MPI ranks whose bits do not depend on the rank count");
  const std::string mpirun = gd::ranks::find_mpirun();
  v.expect(!mpirun.empty(), "mpirun is in PATH (Debian: openmpi-bin)");
  if (mpirun.empty()) return v.finish();

  const std::vector<float> want = left_fold(make_blocks());
  fmt::print("  the one-process left fold of {} blocks of {} floats: checksum {:016x}\n", kBlocks, kFloats,
             checksum(want));
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string timeout = timeout_program();
  const int cpus = int(std::max(1u, std::thread::hardware_concurrency()));

  for (int p : {1, 2, 3, 4}) {
    const auto file = std::filesystem::temp_directory_path() / fmt::format("gdlab-lesson17-{}-{}.bin", ::getpid(), p);
    std::filesystem::remove(file);
    std::vector<std::string> cmd;
    if (!timeout.empty()) cmd = {timeout, "-k", "3", "20"};  // a rank that waits forever ends the job
    for (const std::string& a : gd::ranks::mpirun_command(mpirun, p, 1, cpus, {self, "--rank-out", file.string()}))
      cmd.push_back(a);
    const int rc = gd::ranks::run_job(cmd, nullptr);

    std::int64_t differ = -1, size = -1;
    std::vector<float> got;
    {
      std::ifstream f(file, std::ios::binary);
      if (f.read(reinterpret_cast<char*>(&differ), sizeof differ) &&
          f.read(reinterpret_cast<char*>(&size), sizeof size) && size >= 0 && size <= 1 << 20) {
        got.resize(std::size_t(size));
        f.read(reinterpret_cast<char*>(got.data()), std::streamsize(got.size() * sizeof(float)));
        if (!f) got.clear(), size = -1;
      }
    }
    std::filesystem::remove(file);

    const std::string what = fmt::format("{} rank{}", p, p == 1 ? "" : "s");
    v.expect(rc == 0 && size >= 0,
             fmt::format("{}: the job ran to the end and rank 0 wrote its result (exit status {}{})", what, rc,
                         rc == 124 ? ": timed out, a rank waited forever" : ""));
    if (rc == 124 || rc == 137) break;  // a hang: the next rank counts would hang too
    if (size < 0) continue;
    v.expect(differ == 0, fmt::format("{}: every rank returned the same bits ({} differ from rank 0)", what, differ));
    if (got.size() != want.size()) {
      v.expect(false, fmt::format("{}: the result has {} floats, not {}", what, got.size(), want.size()));
      continue;
    }
    int wrong = 0, first = -1;
    for (std::size_t i = 0; i < want.size(); ++i)
      if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0) first = first < 0 ? int(i) : first, ++wrong;
    v.expect(wrong == 0, wrong == 0
                             ? fmt::format("{}: checksum {:016x}, the left fold's bits", what, checksum(got))
                             : fmt::format("{}: checksum {:016x}; {} of {} elements differ, the first at {}: {:.9g}, "
                                           "the left fold gives {:.9g}",
                                           what, checksum(got), wrong, want.size(), first, got[std::size_t(first)],
                                           want[std::size_t(first)]));
  }
  return v.finish();
}
