#include "ranks/ranks.hpp"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "train/error.hpp"
#include "train/first_error.hpp"

#if GDLAB_HAVE_MPI
#include <mpi.h>
#endif

namespace gd::ranks {

namespace {
Session* g_session = nullptr;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}
}  // namespace

bool built_with_mpi() { return GDLAB_HAVE_MPI != 0; }

bool launched_by_mpirun() { return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr; }

int rank_from_environment() { return env_int("OMPI_COMM_WORLD_RANK", 0); }

Session* current_session() { return g_session; }

std::pair<int, int> slice_block(const Step& step, int r, int ranks) {
  const long K = step.slices();  // rounded up, as Step::shard_block splits shards
  return {int((K * r + ranks - 1) / ranks), int((K * (r + 1) + ranks - 1) / ranks)};
}

std::pair<std::size_t, std::size_t> owned_floats(const Step& step, int r, int ranks) {
  const auto [first, last] = slice_block(step, r, ranks);
  if (first == last) return {0, 0};
  return {step.slice_floats(first).first, step.slice_floats(last - 1).second};
}

std::vector<std::pair<int, int>> worker_blocks(const Step& step, int o, int ranks, int threads) {
  std::vector<std::pair<int, int>> out;
  for (int i = 0; i < threads; ++i) {
    const auto b = step.shard_block(o * threads + i, ranks * threads);
    if (b.first < b.second) out.push_back(b);
  }
  return out;
}

void run_rank_shards(Step& step, int rank, int ranks, int threads, Pattern* inner) {
  if (inner) {
    Step::RankView view(step, rank, ranks);
    inner->step(step);
    return;
  }
  FirstError errors;
  auto work = [&](int i) {
    const auto [first, last] = step.shard_block(rank * threads + i, ranks * threads);
    try {
      step.run_shards(first, last);
    } catch (...) {
      errors.capture(first, std::current_exception());
    }
  };
  {
    std::vector<std::jthread> others;
    for (int i = 1; i < threads; ++i) others.emplace_back(work, i);
    work(0);
  }  // joined here: no worker touches the step any more
  errors.rethrow();
}

std::vector<std::string> mpirun_command(const std::string& mpirun, int ranks, int threads, int cpus,
                                        const std::vector<std::string>& args) {
  std::vector<std::string> cmd{mpirun, "-np", std::to_string(ranks)};
  // Open MPI refuses to start as root unless told that it is meant.
  if (::geteuid() == 0) cmd.push_back("--allow-run-as-root");
  const bool over = long(ranks) * threads > cpus;
  if (ranks > cpus) cmd.push_back("--oversubscribe");
  // mpirun binds each rank to one core when there are at most two: a rank's other threads
  // would then share that core. With several threads a rank, or more work than CPUs, the
  // kernel places the threads.
  if (threads > 1 || over) cmd.insert(cmd.end(), {"--bind-to", "none"});
  // Shared memory between ranks without the kernel's cross-process copy (CMA), which many
  // containers forbid (ptrace restrictions).
  cmd.insert(cmd.end(), {"--mca", "btl_vader_single_copy_mechanism", "none"});
  cmd.insert(cmd.end(), args.begin(), args.end());
  return cmd;
}

std::string find_mpirun() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t at = 0; at <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', at), dirs.size());
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(at, end - at)) / "mpirun";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    at = end + 1;
  }
  return "";
}

std::string mpirun_or_usage_error() {
  if (!built_with_mpi())
    throw UsageError(
        "this build has no MPI patterns: install libopenmpi-dev and openmpi-bin, then rebuild (./gdlab does both)");
  std::string mpirun = find_mpirun();
  if (mpirun.empty())
    throw UsageError("--ranks needs mpirun, which is not in PATH: install Open MPI (Debian: openmpi-bin)");
  return mpirun;
}

int run_job(const std::vector<std::string>& argv, bool (*interrupted)()) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], std::strerror(errno)));
  if (pid == 0) {
    // If this process dies, by any signal, the kernel sends the child SIGTERM, on which
    // mpirun ends its ranks; left alone, mpirun may go and leave the ranks running. (The
    // signal follows the thread that forked, which is the one waiting below. If the parent
    // died before prctl, the child already has another parent.)
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(128 + SIGTERM);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "gdlab: cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  // After an interrupt the child gets SIGINT; if it has not ended some seconds later,
  // SIGTERM, then SIGKILL: waiting for a job that ignores its signals would be a hang.
  using clock = std::chrono::steady_clock;
  std::optional<clock::time_point> since;  // when the interrupt was forwarded
  int escalation = 0;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR)
      throw std::runtime_error(fmt::format("waiting for {}: {}", argv[0], std::strerror(errno)));
    if (!since && interrupted && interrupted()) {
      ::kill(pid, SIGINT);
      since = clock::now();
    } else if (since && escalation < 2 && clock::now() - *since > std::chrono::seconds(5 * (escalation + 1))) {
      ::kill(pid, escalation == 0 ? SIGTERM : SIGKILL);
      ++escalation;
    }
    ::usleep(20000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {
std::atomic<double> g_comm{0};
// The steady clock is CLOCK_MONOTONIC on Linux: one clock for every process of a machine,
// so ranks on one machine can compare their times.
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::mutex g_log_lock;
bool g_logging = false;
std::vector<std::pair<double, double>> g_log;  // (start, length) of each scope while logging
// A run that logs and never asks (the matrix's time-to-accuracy runs) stops here; every
// rank reaches the cap at the same exchange, and mean_wait_seconds then knows no wait.
constexpr std::size_t kMaxLogged = std::size_t(1) << 18;
}  // namespace

CommClock::CommClock() : start_(now_seconds()) {}
CommClock::~CommClock() {
  const double d = now_seconds() - start_;
  double old = g_comm.load(std::memory_order_relaxed);
  while (!g_comm.compare_exchange_weak(old, old + d, std::memory_order_relaxed)) {
  }
  std::lock_guard lock(g_log_lock);
  if (g_logging && g_log.size() < kMaxLogged) g_log.emplace_back(start_, d);
}
double comm_seconds() { return g_comm.load(std::memory_order_relaxed); }
void reset_comm_seconds() { g_comm.store(0, std::memory_order_relaxed); }
void log_exchanges() {
  std::lock_guard lock(g_log_lock);
  g_logging = true;
  g_log.clear();
}

#if GDLAB_HAVE_MPI

[[noreturn]] void abort_job(const std::string& what, int status) {
  const int r = g_session ? g_session->rank() : rank_from_environment();
  std::fprintf(stderr, "gdlab: rank %d: %s\n", r, what.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, status);
  std::_Exit(status);  // MPI_Abort does not return; should it, the rank still ends here
}

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int n = 0;
  MPI_Error_string(rc, text, &n);
  throw std::runtime_error(fmt::format("{} failed: {}", call, std::string(text, std::size_t(n))));
}

Session::Session() {
  if (!launched_by_mpirun())
    throw UsageError("the MPI patterns run as ranks that mpirun starts: give --ranks N to gdlab train");
  int provided = 0;
  // The rank's worker threads never call MPI: only the thread that called MPI_Init does.
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  if (provided < MPI_THREAD_FUNNELED)  // then not even that is safe: a rank must not start threads
    throw std::runtime_error("this MPI library does not allow threads in a rank (MPI_THREAD_FUNNELED)");
  check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  g_session = this;
}

Session::~Session() {
  g_session = nullptr;
  MPI_Finalize();
}

void share_totals(Step& step, int ranks, int threads) {
  CommClock wire;
  // Rank o's shards are one block, [first of its first worker, last of its last).
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  for (int o = 0; o < ranks; ++o) {
    const int first = step.shard_block(o * threads, ranks * threads).first;
    const int last = step.shard_block(o * threads + threads - 1, ranks * threads).second;
    displs[std::size_t(o)] = first * int(sizeof(ShardTotals));
    counts[std::size_t(o)] = (last - first) * int(sizeof(ShardTotals));
  }
  std::vector<ShardTotals> all(std::size_t(step.shards()));
  for (int s = 0; s < step.shards(); ++s) all[std::size_t(s)] = step.shard_totals(s);
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all.data(), counts.data(), displs.data(), MPI_BYTE,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv (the shards' losses)");
  for (int s = 0; s < step.shards(); ++s) step.set_shard_totals(s, all[std::size_t(s)]);
}

void combine_outcome(double& seconds, double& cpu_seconds, int& threads_at_work, std::vector<double>& busy_seconds) {
  check(MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce (wall time)");
  check(MPI_Allreduce(MPI_IN_PLACE, &cpu_seconds, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce (CPU time)");
  check(MPI_Allreduce(MPI_IN_PLACE, &threads_at_work, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce (threads)");
  const int size = g_session ? g_session->size() : 1;
  int mine = int(busy_seconds.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  check(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather (busy counts)");
  int total = 0;
  for (int o = 0; o < size; ++o) displs[std::size_t(o)] = total, total += counts[std::size_t(o)];
  std::vector<double> all(static_cast<std::size_t>(total));
  check(MPI_Allgatherv(busy_seconds.data(), mine, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv (busy times)");
  busy_seconds = std::move(all);
}

double mean_comm_seconds() {
  double total = comm_seconds();
  check(MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce (comm time)");
  return total / (g_session ? g_session->size() : 1);
}

std::optional<double> mean_wait_seconds() {
  std::vector<std::pair<double, double>> log;
  {
    std::lock_guard lock(g_log_lock);
    g_logging = false;
    log.swap(g_log);
  }
  const int ranks = g_session ? g_session->size() : 1;
  MPI_Comm machine;  // the ranks that share this one's memory, so its clock
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &machine), "MPI_Comm_split_type");
  int here = 0;
  const int rc = MPI_Comm_size(machine, &here);
  MPI_Comm_free(&machine);
  check(rc, "MPI_Comm_size");
  long counts[2] = {-long(log.size()), long(log.size())};  // -min and max, in one MPI_MAX
  check(MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_LONG, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce (scopes)");
  if (here != ranks || -counts[0] != counts[1] || counts[1] >= long(kMaxLogged))
    return std::nullopt;  // every rank decides the same
  if (log.empty()) return 0.0;
  std::vector<double> starts, last(log.size());
  for (const auto& [start, length] : log) starts.push_back(start);
  check(MPI_Allreduce(starts.data(), last.data(), int(starts.size()), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD),
        "MPI_Allreduce (starts)");
  double wait = 0;
  for (std::size_t i = 0; i < log.size(); ++i) wait += std::clamp(last[i] - log[i].first, 0.0, log[i].second);
  check(MPI_Allreduce(MPI_IN_PLACE, &wait, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce (waits)");
  return wait / ranks;
}

double on_rank0_alone(const std::function<double()>& measure) {
  const int rank = g_session ? g_session->rank() : 0;
  double result = 0;
  std::exception_ptr error;
  if (rank == 0) try {
      result = measure();
    } catch (...) {
      error = std::current_exception();
    }
  // A blocking MPI call would poll and keep a core busy: the other ranks test a
  // non-blocking barrier and sleep in between, so rank 0 has the machine to itself.
  // A failed MPI call here would leave the ranks in different collectives: it ends the job.
  int failed = error != nullptr;
  try {
    MPI_Request all_here;
    check(MPI_Ibarrier(MPI_COMM_WORLD, &all_here), "MPI_Ibarrier");
    for (int done = 0;;) {
      check(MPI_Test(&all_here, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (done) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    check(MPI_Bcast(&failed, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast (failed)");
    check(MPI_Bcast(&result, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Bcast (result)");
  } catch (const std::exception& e) {
    abort_job(e.what(), 1);
  }
  if (error) std::rethrow_exception(error);
  if (failed) throw std::runtime_error("rank 0 failed to measure what it measures alone");
  return result;
}

namespace {
double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

double pingpong_seconds(std::size_t bytes, int reps) {
  const int me = g_session ? g_session->rank() : 0;
  std::vector<char> buf(std::max<std::size_t>(bytes, 1));
  std::vector<double> one_way;
  check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  for (int i = 0; i < reps + 1; ++i) {  // the first round trip sets the connection up: not counted
    const double t0 = MPI_Wtime();
    if (me == 0) {
      check(MPI_Send(buf.data(), int(bytes), MPI_BYTE, 1, 0, MPI_COMM_WORLD), "MPI_Send");
      check(MPI_Recv(buf.data(), int(bytes), MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    } else if (me == 1) {
      check(MPI_Recv(buf.data(), int(bytes), MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
      check(MPI_Send(buf.data(), int(bytes), MPI_BYTE, 0, 0, MPI_COMM_WORLD), "MPI_Send");
    }
    if (i > 0) one_way.push_back((MPI_Wtime() - t0) / 2);
  }
  double m = median_of(one_way);
  check(MPI_Bcast(&m, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Bcast");  // rank 0's measure for all
  return m;
}

double allreduce_seconds(std::size_t floats, int reps) {
  std::vector<float> v(floats, 1.0f);
  std::vector<double> t;
  check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  for (int i = 0; i < reps + 1; ++i) {
    const double t0 = MPI_Wtime();
    check(MPI_Allreduce(MPI_IN_PLACE, v.data(), int(floats), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    double d = MPI_Wtime() - t0;
    check(MPI_Allreduce(MPI_IN_PLACE, &d, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce (time)");
    if (i > 0) t.push_back(d);
  }
  return median_of(t);
}

#else

void combine_outcome(double&, double&, int&, std::vector<double>&) {
  throw std::logic_error("MPI call in a build without MPI");
}

void check(int, const char*) { throw std::logic_error("MPI call in a build without MPI"); }

Session::Session() {
  throw UsageError(
      "this build has no MPI: install Open MPI (Debian: libopenmpi-dev openmpi-bin) and rebuild "
      "(./gdlab does both)");
}
Session::~Session() = default;

[[noreturn]] void abort_job(const std::string& what, int status) {
  std::fprintf(stderr, "gdlab: %s\n", what.c_str());
  std::_Exit(status);
}

void share_totals(Step&, int, int) { throw std::logic_error("MPI call in a build without MPI"); }

double mean_comm_seconds() { throw std::logic_error("MPI call in a build without MPI"); }
double on_rank0_alone(const std::function<double()>&) { throw std::logic_error("MPI call in a build without MPI"); }
std::optional<double> mean_wait_seconds() { throw std::logic_error("MPI call in a build without MPI"); }
double pingpong_seconds(std::size_t, int) { throw std::logic_error("MPI call in a build without MPI"); }
double allreduce_seconds(std::size_t, int) { throw std::logic_error("MPI call in a build without MPI"); }

#endif

}  // namespace gd::ranks
