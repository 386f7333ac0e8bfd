// mpi_allreduce - the textbook data-parallel MPI step: every rank runs its block of shards
// (as mpi.cpp does), adds its block sums into one gradient, and one
// MPI_Allreduce(MPI_SUM) gives every rank the whole batch's gradient; then every rank
// updates all the weights itself.
//
// Not deterministic across rank counts: the MPI standard leaves the order of the
// allreduce's additions to the library, which picks an algorithm by message size and rank
// count, so 2 and 3 ranks give different bits (at one rank count, Open MPI's choice is
// repeatable). It is the contrast to mpi.cpp, as openmp_reduction.cpp is to openmp.cpp.
// Per step it pays: one allreduce of the gradient and an all-gather of the shards' losses; threads - 1 thread spawns
// and joins in each rank.
#include <memory>

#include "ranks/ranks.hpp"
#include "registry.hpp"
#include "train/error.hpp"
#include "train/pattern.hpp"

#if GDLAB_HAVE_MPI
#include <mpi.h>

namespace gd {

class MpiAllreduce final : public Pattern {
 public:
  MpiAllreduce(const ranks::Session& s, int threads)
      : me_(s.rank()), ranks_(s.size()), threads_(threads), inner_(make_inner_pattern(s.inner(), threads)) {}

  // [lesson:mpi_allreduce_step]
  void step(Step& step) override {
    ranks::run_rank_shards(step, me_, ranks_, threads_, inner_.get());  // --inner, if given, runs them
    step.clear_gradient();
    for (auto [first, last] : ranks::worker_blocks(step, me_, ranks_, threads_))
      for (auto [a, b] : step.block_nodes(first, last)) step.add_shard_to_gradient(a);
    {
      ranks::CommClock wire;  // the time on the wire, for the matrix
      ranks::check(
          MPI_Allreduce(MPI_IN_PLACE, step.gradient(), int(step.param_floats()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
    }
    for (int k = 0; k < step.slices(); ++k) step.update_slice(k);
    ranks::share_totals(step, ranks_, threads_);
  }
  // [/lesson:mpi_allreduce_step]

 private:
  int me_, ranks_, threads_;
  std::unique_ptr<Pattern> inner_;  // the thread pattern inside this rank, or none
};

std::unique_ptr<Pattern> make_mpi_allreduce(int threads) {
  const ranks::Session* s = ranks::current_session();
  if (!s) throw UsageError("--pattern mpi_allreduce runs as MPI ranks: give gdlab train --ranks N (it starts mpirun)");
  return std::make_unique<MpiAllreduce>(*s, threads);
}

}  // namespace gd

#else

namespace gd {
std::unique_ptr<Pattern> make_mpi_allreduce(int) {
  throw UsageError("this build has no MPI patterns: install libopenmpi-dev and openmpi-bin, then rebuild");
}
}  // namespace gd

#endif
