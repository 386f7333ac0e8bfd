// Run by test_mpi under mpirun (Mpi.OnlyRankZeroWorksWhileItMeasuresAlone): every rank calls
// ranks::on_rank0_alone twice, as the matrix does around a rank cell, and prints one line
// per call with what it saw:
//   rank R result X cpu C wall W   rank 0 measured for 0.3 s by spinning; X is its result,
//                                  C and W this rank's CPU and wall seconds inside the call
//   rank R threw MESSAGE           the second time, rank 0's measurement throws
// Then it checks ranks::mean_wait_seconds: ranks 0, 1 and 2 come to one exchange (an
// MPI_Barrier timed by a CommClock) 0, 0.2 and 0.1 s late, so they wait 0.2, 0 and 0.1 s in it:
//   rank R waited W wire C         W the ranks' mean wait, C their mean time on the wire
#include <time.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include <mpi.h>

#include <thread>

#include "ranks/ranks.hpp"

namespace {

double seconds(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

// A measurement that keeps its core busy for `s` seconds, as timing a step does.
double spin(double s) {
  const double until = seconds(CLOCK_MONOTONIC) + s;
  volatile double x = 0;
  while (seconds(CLOCK_MONOTONIC) < until) x = x + 1;
  return 42.5;
}

}  // namespace

int main() {
  try {
    gd::ranks::Session session;
    const int r = session.rank();
    const double cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID), wall0 = seconds(CLOCK_MONOTONIC);
    const double result = gd::ranks::on_rank0_alone([] { return spin(0.3); });
    std::printf("rank %d result %.1f cpu %.3f wall %.3f\n", r, result, seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0,
                seconds(CLOCK_MONOTONIC) - wall0);
    std::fflush(stdout);
    try {
      gd::ranks::on_rank0_alone([]() -> double { throw std::runtime_error("the baseline's step failed"); });
      std::printf("rank %d threw nothing\n", r);
    } catch (const std::exception& e) {
      std::printf("rank %d threw %s\n", r, e.what());
    }
    std::fflush(stdout);
    gd::ranks::reset_comm_seconds();
    gd::ranks::log_exchanges();
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * (r == 1 ? 2 : r == 2 ? 1 : 0)));
    {
      gd::ranks::CommClock wire;
      gd::ranks::check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
    }
    const double comm = gd::ranks::mean_comm_seconds();
    const std::optional<double> wait = gd::ranks::mean_wait_seconds();
    std::printf("rank %d waited %.4f wire %.4f\n", r, wait.value_or(-1), comm);
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ranks_alone: %s\n", e.what());
    return 1;
  }
}
