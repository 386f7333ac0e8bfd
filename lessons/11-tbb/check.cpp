// Check for lesson 11: tbb_sum gives one result, bit for bit, over 30 runs in an arena
// of 1 thread and 30 in an arena of 2.
#include <tbb/task_arena.h>

#include <random>
#include <set>
#include <vector>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 11: a reproducible TBB sum");
  std::mt19937 rng(5);
  std::lognormal_distribution<float> dist(0.0f, 3.0f);
  std::vector<float> x(1 << 20);
  for (auto& e : x) e = dist(rng);
  std::set<float> results;
  double reference = 0;
  for (float e : x) reference += e;
  float last = 0;
  for (int threads : {1, 2}) {
    tbb::task_arena arena(threads);
    arena.execute([&] {
      for (int r = 0; r < 30; ++r) results.insert(last = tbb_sum(x.data(), x.size()));
    });
  }
  v.expect(results.size() == 1, fmt::format("one result over 60 runs ({} different)", results.size()));
  v.expect(std::abs(last - reference) <= 1e-3 * reference, fmt::format("the sum is right ({} vs {})", last, reference));
  return v.finish();
}
