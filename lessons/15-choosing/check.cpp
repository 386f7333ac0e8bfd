// Check for lesson 15: smallest_batch on worked cases.
#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 15: the smallest batch that hides a pattern's overhead");
  // 80 us of thread starts per step (async_futures, p = 2), 12 us a sample, at most 5%:
  // 80 <= 0.05 (6 b + 80)  <=>  b >= 253.3  ->  256.
  const int b1 = smallest_batch(80, 12, 2, 0.05);
  v.expect(b1 == 256, fmt::format("overhead 80 us, 12 us/sample, p = 2, 5%: batch 256 (got {})", b1));
  // A barrier pattern, 2 us per step: even batch 16 is fine at p = 2 (2 <= 0.05 * 98).
  const int b2 = smallest_batch(2, 12, 2, 0.05);
  v.expect(b2 == 16, fmt::format("overhead 2 us: batch 16 (got {})", b2));
  // p = 1: the whole batch is one worker's work: 80 <= 0.05 (12 b + 80) <=> b >= 126.7 -> 128.
  const int b3 = smallest_batch(80, 12, 1, 0.05);
  v.expect(b3 == 128, fmt::format("p = 1: batch 128 (got {})", b3));
  const int b4 = smallest_batch(1e6, 1, 2, 0.01);
  v.expect(b4 == 0, fmt::format("an overhead no batch hides: 0 (got {})", b4));
  return v.finish();
}
