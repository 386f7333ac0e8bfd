#include "measure/environment.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>
#include <vector>

#include <Eigen/Core>

#include "train/cpus.hpp"
#include "train/gemm.hpp"

#ifdef EIGEN_USE_BLAS
extern "C" char* openblas_get_config(void);
#endif

extern char** environ;

// Versions and flags of the build, passed in by shared/measure/CMakeLists.txt.
#ifndef GDLAB_CXX_FLAGS
#define GDLAB_CXX_FLAGS "unknown"
#endif
#ifndef GDLAB_SOURCE_DIR
#define GDLAB_SOURCE_DIR ""
#endif
#ifndef GDLAB_COMPILER
#define GDLAB_COMPILER "unknown"
#endif

namespace gd {

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

namespace {

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    ::pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      if (auto colon = line.find(':'); colon != std::string::npos) {
        auto first = line.find_first_not_of(' ', colon + 1);
        return first == std::string::npos ? "" : line.substr(first);
      }
  utsname u{};
  return ::uname(&u) == 0 ? std::string(u.machine) : "unknown";
}

std::string git_commit() {
  const std::string dir = GDLAB_SOURCE_DIR;
  if (dir.empty()) return "unknown";
  std::string head = run_command("git -C '" + dir + "' rev-parse --short HEAD 2>/dev/null");
  if (head.empty()) return "unknown";
  if (!run_command("git -C '" + dir + "' status --porcelain --untracked-files=no 2>/dev/null").empty())
    head += "-dirty";
  return head;
}

}  // namespace

std::map<std::string, std::string> library_versions() {
  std::map<std::string, std::string> v;
#ifdef GDLAB_BOOST_VERSION
  v["boost"] = GDLAB_BOOST_VERSION;
#endif
#ifdef GDLAB_TBB_VERSION
  v["onetbb"] = GDLAB_TBB_VERSION;
#endif
#ifdef GDLAB_OPENMP_VERSION
  v["openmp"] = GDLAB_OPENMP_VERSION;
#endif
#ifdef GDLAB_MPI_VERSION
  v["mpi"] = GDLAB_MPI_VERSION;  // Open MPI's version, or "not built"
#endif
#ifdef GDLAB_BENCHMARK_VERSION
  v["google_benchmark"] = GDLAB_BENCHMARK_VERSION;
#endif
  v["eigen"] = fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
#ifdef EIGEN_USE_BLAS
  std::string blas = openblas_get_config();
  while (!blas.empty() && blas.back() == ' ') blas.pop_back();
  v["openblas"] = blas;
#else
  v["openblas"] = "not used";
#endif
  return v;
}

double core_round_trip_ns(std::chrono::microseconds budget) {
  if (available_cpus() < 2) return 0;
  using Clock = std::chrono::steady_clock;
  constexpr int kBursts = 5, kTrips = 1000;
  struct alignas(64) Line {
    std::atomic<long> value{0};
  } line;
  std::atomic<bool> give_up{false};
  // The answering thread turns every odd value into the next even one.
  std::thread answer([&] {
    for (long want = 1; want < 2L * kBursts * kTrips; want += 2) {
      while (line.value.load(std::memory_order_acquire) != want)
        if (give_up.load(std::memory_order_relaxed)) return;
      line.value.store(want + 1, std::memory_order_release);
    }
  });
  std::vector<double> ns;
  long v = 0;
  for (int b = 0; b < kBursts && !give_up; ++b) {
    const auto t0 = Clock::now();
    for (int i = 0; i < kTrips && !give_up; ++i) {
      if (i % 64 == 63 && Clock::now() - t0 > budget) {  // a slow burst: the CPUs are busy
        give_up = true;
        break;
      }
      line.value.store(++v, std::memory_order_release);
      ++v;
      for (long n = 1; line.value.load(std::memory_order_acquire) != v; ++n)
        if ((n & 1023) == 0 && Clock::now() - t0 > budget) {
          give_up = true;  // the answer may never come: stop waiting for it
          break;
        }
    }
    if (!give_up) ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / kTrips);
  }
  answer.join();
  if (give_up || ns.empty()) return 0;
  std::nth_element(ns.begin(), ns.begin() + long(ns.size() / 2), ns.end());
  return ns[ns.size() / 2];
}

Environment capture_environment(const std::string& command_line) {
  Environment e;
  e.cpu_model = cpu_model();
  e.cpus_available = available_cpus();
  e.compiler = GDLAB_COMPILER;
  e.flags = GDLAB_CXX_FLAGS;
  e.flags.erase(0, e.flags.find_first_not_of(' '));
  e.kernel_library = kernel_backend();  // train/gemm.hpp
  e.libraries = library_versions();
  e.git_commit = git_commit();
  static const char* kPrefixes[] = {"OMP_", "GOMP_", "KMP_", "TBB_", "OPENBLAS_", "GDLAB_"};
  for (char** v = environ; v && *v; ++v) {
    std::string kv = *v;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    for (const char* p : kPrefixes)
      if (kv.rfind(p, 0) == 0) e.env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
  e.date = date;
  e.command_line = command_line;
  {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    if (in >> a >> b >> c) e.load_average = a + " " + b + " " + c;
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) e.hostname = host;
  return e;
}

}  // namespace gd
