// Check for lesson 10: parallel_sum uses 2 OpenMP threads and is exact, 20 times over.
#include <omp.h>

#include <atomic>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 10: parallel_sum with a reduction");
  omp_set_dynamic(0);
  const int n = 200000;
  std::atomic<bool> used[8] = {};
  int wrong = 0;
  for (int rep = 0; rep < 20; ++rep) {
    const double s = parallel_sum(
        n,
        [&](int i) {
          used[omp_get_thread_num() & 7].store(true, std::memory_order_relaxed);
          return double(i % 7);  // small integers: exact in any order
        },
        2);
    double want = 0;
    for (int i = 0; i < n; ++i) want += i % 7;
    wrong += s != want;
  }
  v.expect(used[0] && used[1], "the terms are computed by 2 OpenMP threads");
  v.expect(wrong == 0, fmt::format("the sum is exact in every run ({} of 20 were not)", wrong));
  return v.finish();
}
