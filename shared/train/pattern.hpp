// The interface every concurrency pattern implements (patterns/*.cpp).
//
// A pattern is built for a thread count p: it creates its threads, pool or arena in
// its constructor (outside any timed region) and must use exactly p workers. step()
// runs one whole Step (all shards, then all slices; see step.hpp) and returns when
// it is done. If a shard fails, step() throws that failure (a ShardError naming the
// shard) after every worker has stopped touching the step, and the pattern stays
// usable and destructible.
#pragma once
#include "train/step.hpp"

namespace gd {

class Pattern {
 public:
  virtual ~Pattern() = default;
  virtual void step(Step& step) = 0;
};

}  // namespace gd
