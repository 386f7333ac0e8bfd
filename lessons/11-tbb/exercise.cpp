// Lesson 11 exercise. tbb::parallel_reduce splits the range wherever work stealing
// happens to split it, so the float additions group differently from run to run. Make
// the sum reproducible so that `./gdlab check 11` passes.
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <functional>

#include "exercise.hpp"

float tbb_sum(const float* x, std::size_t n) {
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, n, 1024), 0.0f,
      [x](const tbb::blocked_range<std::size_t>& r, float acc) {
        for (std::size_t i = r.begin(); i < r.end(); ++i) acc += x[i];
        return acc;
      },
      std::plus<float>());
}
