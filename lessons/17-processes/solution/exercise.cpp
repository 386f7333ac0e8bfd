// Lesson 17, reference solution: the owner of each slice of the n elements sums it, as
// patterns/mpi.cpp's owners combine their slices of the gradient. Rank o owns elements
// [o * n / p, (o + 1) * n / p). One MPI_Alltoallv sends every block's slice o to rank o
// (a reduce-scatter's volume, but the raw blocks, not partial sums); the owner then holds
// its slice of all K blocks in block order, folds them 0, 1, ..., K-1, and MPI_Allgatherv
// gives every rank every owner's slice.
#include <mpi.h>

#include "exercise.hpp"
#include "ranks/ranks.hpp"

namespace {
// The elements rank o of `ranks` owns: [first, last) of n.
std::pair<int, int> owned(int o, int ranks, int n) { return {int(long(o) * n / ranks), int(long(o + 1) * n / ranks)}; }
}  // namespace

std::vector<float> sum_blocks(const std::vector<float>& mine, int blocks, int n) {
  int rank = 0, ranks = 1;
  gd::ranks::check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  gd::ranks::check(MPI_Comm_size(MPI_COMM_WORLD, &ranks), "MPI_Comm_size");
  const auto [first, last] = rank_blocks(rank, ranks, blocks);
  const auto [lo, hi] = owned(rank, ranks, n);

  // To rank o: slice o of each of my blocks, in block order. From rank s: my slice of each
  // of its blocks. The ranks' runs are in rank order, so what arrives is my slice of
  // blocks 0, 1, ..., K-1, one after the other.
  std::vector<float> send;
  std::vector<int> send_counts, send_displs, recv_counts, recv_displs;
  for (int o = 0; o < ranks; ++o) {
    const auto [a, b] = owned(o, ranks, n);
    send_displs.push_back(int(send.size()));
    for (int k = first; k < last; ++k)
      send.insert(send.end(), mine.begin() + long(k - first) * n + a, mine.begin() + long(k - first) * n + b);
    send_counts.push_back(int(send.size()) - send_displs.back());
  }
  int received = 0;
  for (int s = 0; s < ranks; ++s) {
    const auto [sf, sl] = rank_blocks(s, ranks, blocks);
    recv_displs.push_back(received);
    recv_counts.push_back((sl - sf) * (hi - lo));
    received += recv_counts.back();
  }
  std::vector<float> slices(std::size_t(received) + 1);  // + 1: a valid pointer when empty
  gd::ranks::check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_FLOAT, slices.data(),
                                 recv_counts.data(), recv_displs.data(), MPI_FLOAT, MPI_COMM_WORLD),
                   "MPI_Alltoallv (every block's slices to their owners)");

  // My slice of the sum, folded in block order: the one-process order.
  std::vector<float> sum(std::size_t(n), 0.0f);
  const int w = hi - lo;
  for (int k = 0; k < blocks; ++k)
    for (int i = 0; i < w; ++i) sum[std::size_t(lo + i)] += slices[std::size_t(k) * w + i];

  // Every owner's slice to every rank.
  std::vector<int> counts, displs;
  for (int o = 0; o < ranks; ++o) {
    const auto [a, b] = owned(o, ranks, n);
    displs.push_back(a);
    counts.push_back(b - a);
  }
  gd::ranks::check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, sum.data(), counts.data(), displs.data(),
                                  MPI_FLOAT, MPI_COMM_WORLD),
                   "MPI_Allgatherv (the owners' slices)");
  return sum;
}
