// Lesson 10 exercise. This sum runs on one thread. Make it run on `threads` OpenMP
// threads and still be right, so that `./gdlab check 10` passes.
#include <omp.h>

#include "exercise.hpp"

double parallel_sum(int n, const std::function<double(int)>& term, int threads) {
  (void)threads;
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += term(i);
  return sum;
}
