// What the two files of bench_primitives share: the thread counts each row is run at.
#pragma once
#include <benchmark/benchmark.h>

#include <algorithm>

#include "train/cpus.hpp"

namespace gd::bench {

inline int threads_of(const benchmark::State& s) { return int(s.range(0)); }

// p = 1, 2, 4, ... up to the available CPUs (at least 2).
inline void thread_args(benchmark::internal::Benchmark* b) {
  b->ArgName("threads")->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);
  for (int p = 1; p <= std::max(2, gd::available_cpus()); p *= 2) b->Arg(p);
}

}  // namespace gd::bench
