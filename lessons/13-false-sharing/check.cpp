// Check for lesson 13: neighbouring Slots live on different 64-byte cache lines, and
// parallel_loss_sum still adds up.
#include <cstdint>
#include <vector>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 13: per-thread slots without false sharing");
  std::vector<Slot> slots(4);
  bool apart = true;
  for (std::size_t i = 0; i + 1 < slots.size(); ++i) {
    const auto a = reinterpret_cast<std::uintptr_t>(&slots[i]), b = reinterpret_cast<std::uintptr_t>(&slots[i + 1]);
    apart =
        apart && (a / 64 != b / 64) && ((b + sizeof(Slot) - 1) / 64 != a / 64) && (a + sizeof(Slot) - 1) / 64 != b / 64;
  }
  v.expect(alignof(Slot) >= 64, fmt::format("a Slot starts on a 64-byte boundary (alignof = {})", alignof(Slot)));
  v.expect(apart, fmt::format("neighbouring slots of an array share no cache line (sizeof = {})", sizeof(Slot)));
  std::vector<float> loss(100001, 0.5f);
  const double sum = parallel_loss_sum(loss.data(), long(loss.size()), 2);
  v.expect(sum == 0.5 * 100001, fmt::format("the sum is right ({} for {})", sum, 0.5 * 100001));
  return v.finish();
}
