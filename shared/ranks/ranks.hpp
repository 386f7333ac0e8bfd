// Processes as workers: what the MPI patterns (patterns/mpi*.cpp) and `gdlab train --ranks`
// share. A rank is one process with its own copy of the model, the data and the step; it
// shares no memory with the others, so everything that crosses between ranks is a message.
//
// - Session: MPI_Init_thread / MPI_Finalize for a process that mpirun started, with the
//   errors of MPI_COMM_WORLD returned (MPI_ERRORS_RETURN) rather than aborting, so that a
//   failed call becomes an exception that names the rank and the call.
// - The workers of a rank: ranks x threads workers in all; worker w = rank * threads + i
//   runs the step's shard_block(w, ranks * threads). Rank r's shards are therefore one
//   contiguous block, whatever the thread count, and every worker folds its own block by
//   the step's tree, as a thread of a thread pattern does.
// - The owners of the parameters: rank r owns the slices of slice_block(r, ranks), a
//   contiguous run of floats; it combines and updates them and sends them to the others.
//
// Built without MPI (a build that did not find Open MPI, the sanitizer presets), the
// patterns and the launcher say so when they are asked for, and everything else works.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "train/pattern.hpp"
#include "train/step.hpp"

namespace gd::ranks {

// Whether this build has MPI (Open MPI's libopenmpi-dev was found at configure time).
bool built_with_mpi();
// Whether this process was started by mpirun as one rank of a job (Open MPI's environment).
bool launched_by_mpirun();
// This process's rank as mpirun set it in the environment: 0 outside a job. Known before
// MPI_Init, so the launcher can decide early which rank prints.
int rank_from_environment();

class Session {
 public:
  Session();  // throws UsageError when the build has no MPI or mpirun did not start us
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  // The thread pattern that runs each rank's shards (`--inner NAME`); "" for the rank's
  // own threads, started for each step (run_rank_shards).
  const std::string& inner() const { return inner_; }
  void set_inner(std::string name) { inner_ = std::move(name); }

 private:
  int rank_ = 0, size_ = 1;
  std::string inner_;
};
// The one session of this process, or nullptr outside a job (patterns/mpi*.cpp read it).
Session* current_session();

// Throws std::runtime_error("CALL failed: MPI's message") when rc is not MPI_SUCCESS
// (abort_job, which ends the job, puts "rank R:" before it).
void check(int rc, const char* call);

// The slices rank r of `ranks` owns: [first, last), contiguous, the first ranks one more.
std::pair<int, int> slice_block(const Step& step, int r, int ranks);
// The floats those slices cover: [begin, end) of the parameter vector.
std::pair<std::size_t, std::size_t> owned_floats(const Step& step, int r, int ranks);

// Runs rank `rank`'s workers on `threads` threads (the caller is worker 0 of the rank;
// the others are started for the step and joined), each one run_shards of its block.
// A worker's failure is rethrown after all of them have stopped, the lowest shard's first.
// With an inner pattern (made for `threads`), that pattern runs them instead, through a
// Step::RankView: its threads get the same blocks, so the bits are the same.
void run_rank_shards(Step& step, int rank, int ranks, int threads, Pattern* inner = nullptr);
// Every shard block run by rank o's workers: for the owners' adopt_block.
std::vector<std::pair<int, int>> worker_blocks(const Step& step, int o, int ranks, int threads);

// After the step: every rank learns every shard's loss and hits (MPI_Allgatherv), so
// step.totals() is the whole batch's on every rank, summed in shard order.
void share_totals(Step& step, int ranks, int threads);

// One measured repetition, made the whole job's (every rank calls it at the same point):
// the longest rank's wall time, the sum of the ranks' CPU times and of their threads at
// work, and every rank's threads' busy times, rank 0's first.
void combine_outcome(double& seconds, double& cpu_seconds, int& threads_at_work, std::vector<double>& busy_seconds);

// The time this process spends on communication: a pattern marks each exchange with a
// CommClock, whose scope's seconds are added up (the matrix records them per step). The
// wait for a slower rank's message counts too: to this rank it is time on the wire.
class CommClock {
 public:
  CommClock();
  ~CommClock();
  CommClock(const CommClock&) = delete;
  CommClock& operator=(const CommClock&) = delete;

 private:
  double start_;
};
double comm_seconds();  // added up since the last reset
void reset_comm_seconds();
// The mean of comm_seconds over every rank (every rank calls it at the same point).
double mean_comm_seconds();
// Which part of that time was a wait for a slower rank. Every rank runs the same exchanges
// in the same order, and none can end before the last rank has come to it; what a rank
// spends in exchange i before the last rank's start of i is waiting, the rest is the
// exchange itself (what a model of the network predicts). log_exchanges() keeps the start
// and length of every CommClock scope from then on; mean_wait_seconds() (every rank calls
// it at the same point) returns the mean over the ranks of their waits in those scopes and
// stops keeping them. nullopt where the ranks do not share one clock (not all on one
// machine), kept different numbers of scopes, or kept as many as the log holds (2^18).
void log_exchanges();
std::optional<double> mean_wait_seconds();

// Runs `measure` on rank 0 while the other ranks wait asleep (every rank calls it at the
// same point) and returns its result on every rank; what it throws is rethrown on rank 0,
// and the others throw too. The matrix times a rank cell's sequential baseline this way.
double on_rank0_alone(const std::function<double()>& measure);

// The loopback transport, for the communication model (every rank calls these at the same
// point; ranks other than 0 and 1 wait). One-way time of a `bytes` message between ranks 0
// and 1: the median of `reps` ping-pongs, halved.
double pingpong_seconds(std::size_t bytes, int reps);
// The median time of one MPI_Allreduce(MPI_SUM) of `floats` floats over every rank.
double allreduce_seconds(std::size_t floats, int reps);

// The mpirun command line that starts `args` (this program's own arguments, the program
// first) as `ranks` processes of `threads` threads each on a machine of `cpus` CPUs:
// --allow-run-as-root for root, --oversubscribe past the CPUs, and no binding to one core
// when a rank has several threads or the CPUs are oversubscribed.
std::vector<std::string> mpirun_command(const std::string& mpirun, int ranks, int threads, int cpus,
                                        const std::vector<std::string>& args);
// The full path of `mpirun` found in PATH, or "" when there is none.
std::string find_mpirun();
// What starts a job: the full path of `mpirun`. Throws UsageError saying what to install
// when this build has no MPI or mpirun is not in PATH, so a command that will start jobs
// can refuse before it does anything else.
std::string mpirun_or_usage_error();
// Runs `argv` as a child process and waits for it. When `interrupted()` becomes true while
// it runs (Ctrl-C reached this process), the child gets one SIGINT too, for the case that
// the terminal's did not reach it; SIGTERM 5 s later and SIGKILL 10 s later if it is still
// there. The child gets SIGTERM when this process dies. Returns its exit status, or 128 +
// the signal that ended it.
int run_job(const std::vector<std::string>& argv, bool (*interrupted)());

// In a rank: says "gdlab: rank R: what" on stderr and ends the whole job (MPI_Abort) with
// `status`. Every other rank is stopped by mpirun, which exits non-zero; never returns.
[[noreturn]] void abort_job(const std::string& what, int status);

}  // namespace gd::ranks
