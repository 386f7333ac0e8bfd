// mpi - one process per rank, each with a whole copy of the model and the data
// (`gdlab train --pattern mpi --ranks N` starts them with mpirun). Rank r's workers
// (--threads of them) run its contiguous block of shards and fold it by the step's tree;
// with --inner NAME, that thread pattern's threads do, each given the same block.
// Each slice of the parameters has an owner rank: it receives every other rank's block
// sums of its slices, combines them by the same tree and updates them; MPI_Allgatherv then
// gives every rank the updated weights.
//
// Deterministic at any rank and thread count (same shards): the step's tree decides every
// addition, wherever its operands were computed. An MPI_Allreduce sums in an order of the
// library's choosing, which may change with the rank count: mpi_allreduce.cpp is that
// contrast. What crosses between processes: each rank's block sums of the other ranks'
// slices (a reduce-scatter, by point-to-point messages), then the owners' updated slices
// (an all-gather): the volume of a ring allreduce. Diff against openmp.cpp (the same split
// among threads, where the owner reads the others' sums from shared memory).
// Per step it pays: a reduce-scatter of the gradient in messages, an all-gather of the weights and one of the shards'
// losses; threads - 1 thread spawns and joins in each rank.
#include <memory>
#include <optional>

#include "ranks/ranks.hpp"
#include "registry.hpp"
#include "train/error.hpp"
#include "train/pattern.hpp"

#if GDLAB_HAVE_MPI
#include <mpi.h>

namespace gd {

class Mpi final : public Pattern {
 public:
  Mpi(const ranks::Session& s, int threads)
      : me_(s.rank()), ranks_(s.size()), threads_(threads), inner_(make_inner_pattern(s.inner(), threads)) {}

  // [lesson:mpi_step]
  void step(Step& step) override {
    ranks::run_rank_shards(step, me_, ranks_, threads_, inner_.get());  // --inner, if given, runs them
    // Reduce-scatter: my slices of the others' block sums come in, into the same shard
    // buffers they have in the sender's copy; their slices of mine go out.
    const auto [mine, mine_end] = ranks::owned_floats(step, me_, ranks_);
    std::optional<ranks::CommClock> wire(std::in_place);  // the time on the wire, for the matrix
    std::vector<MPI_Request> requests;
    for (int o = 0; o < ranks_; ++o) {
      if (o == me_) continue;
      const auto [theirs, theirs_end] = ranks::owned_floats(step, o, ranks_);
      for (auto [first, last] : ranks::worker_blocks(step, o, ranks_, threads_))
        for (auto [a, b] : step.block_nodes(first, last))
          ranks::check(MPI_Irecv(step.shard_gradient(a) + mine, int(mine_end - mine), MPI_FLOAT, o, a, MPI_COMM_WORLD,
                                 &requests.emplace_back()),
                       "MPI_Irecv");
      for (auto [first, last] : ranks::worker_blocks(step, me_, ranks_, threads_))
        for (auto [a, b] : step.block_nodes(first, last))
          ranks::check(MPI_Isend(step.shard_gradient(a) + theirs, int(theirs_end - theirs), MPI_FLOAT, o, a,
                                 MPI_COMM_WORLD, &requests.emplace_back()),
                       "MPI_Isend");
    }
    ranks::check(MPI_Waitall(int(requests.size()), requests.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
    wire.reset();
    for (int o = 0; o < ranks_; ++o)
      if (o != me_)
        for (auto [first, last] : ranks::worker_blocks(step, o, ranks_, threads_)) step.adopt_block(first, last);
    // My slices: combined by the tree, updated.
    const auto [k0, k1] = ranks::slice_block(step, me_, ranks_);
    for (int k = k0; k < k1; ++k) {
      step.combine_slice(k);
      step.update_slice(k);
    }
    // All-gather: every owner's updated slices to every rank.
    std::vector<int> counts, displs;
    for (int o = 0; o < ranks_; ++o) {
      const auto [b, e] = ranks::owned_floats(step, o, ranks_);
      displs.push_back(int(b));
      counts.push_back(int(e - b));
    }
    wire.emplace();
    ranks::check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, step.weights(), counts.data(), displs.data(),
                                MPI_FLOAT, MPI_COMM_WORLD),
                 "MPI_Allgatherv (the weights)");
    wire.reset();
    ranks::share_totals(step, ranks_, threads_);
  }
  // [/lesson:mpi_step]

 private:
  int me_, ranks_, threads_;
  std::unique_ptr<Pattern> inner_;  // the thread pattern inside this rank, or none
};

std::unique_ptr<Pattern> make_mpi(int threads) {
  const ranks::Session* s = ranks::current_session();
  if (!s) throw UsageError("--pattern mpi runs as MPI ranks: give gdlab train --ranks N (it starts mpirun)");
  return std::make_unique<Mpi>(*s, threads);
}

}  // namespace gd

#else

namespace gd {
std::unique_ptr<Pattern> make_mpi(int) {
  throw UsageError("this build has no MPI patterns: install libopenmpi-dev and openmpi-bin, then rebuild");
}
}  // namespace gd

#endif
