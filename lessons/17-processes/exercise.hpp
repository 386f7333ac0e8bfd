// Lesson 17 exercise: a sum over MPI ranks whose bits do not depend on the rank count.
// The data are K blocks of n floats. Rank r of p holds a contiguous run of them,
// rank_blocks(r, p, K), and the job must compute, on every rank, the sum of all K blocks
// element by element in ONE fixed order: the left fold in block order,
//   sum[i] = (((block 0[i] + block 1[i]) + block 2[i]) + ...) + block K-1[i],
// which is what one process computes when it holds every block. Float addition is not
// associative, so any other grouping may give other bits.
#pragma once
#include <utility>
#include <vector>

// The blocks rank r of `ranks` holds: [first, last) of `blocks`, contiguous, in rank order.
// Given: the check deals the blocks with it.
inline std::pair<int, int> rank_blocks(int r, int ranks, int blocks) {
  return {r * blocks / ranks, (r + 1) * blocks / ranks};
}

// Called at the same point by every rank of MPI_COMM_WORLD (the check has called
// MPI_Init). `mine` holds this rank's blocks rank_blocks(rank, size, blocks), each of `n`
// floats, one after the other. Returns the n floats of the sum above, the same on every
// rank, equal bit for bit to the one-process left fold whatever the number of ranks.
std::vector<float> sum_blocks(const std::vector<float>& mine, int blocks, int n);
