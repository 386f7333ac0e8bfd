// The registry and MPI ranks: which patterns run as ranks, and which thread patterns can run
// a rank's shards inside it (`gdlab train --inner NAME`). The tables are in registry.cpp.
#include <string>
#include <string_view>

#include "registry.hpp"
#include "train/error.hpp"

namespace gd {

bool is_rank_pattern(std::string_view name) {
  for (const auto& p : rank_patterns())
    if (p.name == name) return true;
  return false;
}

// The thread patterns that can run a rank's shards inside an MPI rank (`--inner`): each of
// their threads takes its shards from step.shard_block and its slices from step.slices(),
// which a Step::RankView narrows to the rank's block and to none. The others do not fit:
// tbb cuts the shards by its own ranges, thread_mutex and openmp_reduction sum in arrival
// order, model_parallel and hybrid split every shard by neuron blocks, and sequential and
// the rank patterns are no threads of a rank.
constexpr std::string_view kInsideARank[] = {"thread_condvar", "thread_semaphore", "thread_pool", "asio_pool",
                                             "async_futures",  "coroutines",       "openmp",      "boost_thread"};

const PatternInfo& find_inner_pattern(std::string_view name) {
  for (std::string_view n : kInsideARank)
    if (n == name) return find_pattern(name);
  std::string fits;
  for (std::string_view n : kInsideARank) fits += (fits.empty() ? "" : ", ") + std::string(n);
  throw UsageError("--inner " + std::string(name) + " cannot run inside a rank: choose one of " + fits);
}

std::unique_ptr<Pattern> make_inner_pattern(std::string_view name, int threads) {
  return name.empty() ? nullptr : find_inner_pattern(name).make(threads);
}

}  // namespace gd
