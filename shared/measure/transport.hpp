// The communication model: what one step's exchange between ranks costs, from two numbers
// of the network. A message of n bytes takes α + n/β (α the latency, β the bandwidth).
// A ring allreduce of n bytes over p ranks sends 2(p−1) messages of n/p bytes one after
// the other from every rank (a reduce-scatter, then an all-gather), so it takes
//     T(p) = 2(p−1)·α + 2(p−1)/p · n/β.
// The mpi pattern's deterministic combine moves the same volume (each owner receives the
// others' sums of its slices and sends its updated slices back), so the model prices both
// MPI patterns. `gdlab matrix --ranks` measures α and β on the loopback transport of this
// machine (ping-pong between two ranks) and the allreduce at several sizes; the report
// predicts step time and efficiency at more ranks and on real networks from them.
// A collective reaches less bandwidth than one message between two ranks: every rank sends,
// receives and sums at once, through the same memory. So the model's β on this machine is
// the allreduce's own, fitted to the formula above; the ping-pong's β is kept beside it.
#pragma once
#include <optional>
#include <utility>
#include <vector>

namespace gd {

struct Transport {
  int ranks = 0;                                     // the job that measured it
  double alpha_seconds = 0;                          // α: the one-way time of the smallest message
  double beta_bytes_per_second = 0;                  // β: from the large messages' extra time over α
  double allreduce_beta_bytes_per_second = 0;        // β that fits the ring formula to the allreduce
  std::vector<std::pair<double, double>> pingpong;   // (bytes, one-way seconds)
  std::vector<std::pair<double, double>> allreduce;  // (bytes, seconds of one MPI_Allreduce)
};

// α and β from ping-pong points (bytes, one-way seconds): α the time of the smallest
// message; β the least-squares slope of (T − α) against n through the origin, over the
// messages of 64 KiB and more (where the bandwidth, not the latency, decides).
Transport fit_transport(std::vector<std::pair<double, double>> pingpong);

// The allreduce's β: the least-squares fit through the origin of T − 2(p−1)α against
// 2(p−1)/p · n over the allreduce points of 64 KiB and more (all of them when none is that
// large), with t's α and t.ranks. 0 without allreduce points.
double fit_allreduce_beta(const Transport& t);

// T(p) above; 0 for one rank.
double ring_allreduce_seconds(int ranks, double bytes, double alpha, double beta);

// A step predicted at `ranks` ranks: the sequential step's compute split evenly (every
// rank holds at least one shard) plus the ring allreduce of the gradient's bytes.
struct Prediction {
  double step_seconds = 0, comm_seconds = 0, speedup = 0, efficiency = 0;
};
Prediction predict_step(double sequential_step_seconds, int ranks, double bytes, double alpha, double beta);

// Networks the report plans for. Their figures are nominal (line rate; a usual MPI latency
// for the kind), not measured here, and the report says so.
struct Network {
  const char* name;
  double alpha_seconds, beta_bytes_per_second;
};
inline constexpr Network kNetworks[] = {
    {"10 Gbit/s Ethernet (TCP, α 25 µs)", 25e-6, 1.25e9},
    {"100 Gbit/s InfiniBand (RDMA, α 2 µs)", 2e-6, 12.5e9},
};

}  // namespace gd
