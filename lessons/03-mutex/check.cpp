// Check for lesson 03: ordered_step on 2 threads gives sequential's weights bit for bit,
// also when shard 0 is slowed down so that it finishes last.
#include "exercise.hpp"
#include "lesson_train.hpp"
#include "registry.hpp"

namespace {
struct Mine final : gd::Pattern {
  void step(gd::Step& s) override { ordered_step(s, 2); }
};
}  // namespace

int main() {
  lesson::Verdict v("lesson 03: ordered_step is deterministic");
  lesson::Problem pb;
  auto seq = gd::find_pattern("sequential").make(1);
  const auto want = lesson::train_checksum(pb, *seq, 3);
  Mine mine;
  const auto plain = lesson::train_checksum(pb, mine, 3);
  const auto late = lesson::train_checksum(pb, mine, 3, 4, [](gd::Step& s) {
    s.fault = gd::Fault{gd::Fault::Kind::slow, 0, -1, std::chrono::milliseconds(30)};  // shard 0 arrives last
  });
  v.expect(plain == want, fmt::format("2 threads: checksum {} equals sequential's {}", gd::checksum_hex(plain),
                                      gd::checksum_hex(want)));
  v.expect(late == want, fmt::format("2 threads, shard 0 finishing last: checksum {} equals sequential's {}",
                                     gd::checksum_hex(late), gd::checksum_hex(want)));
  return v.finish();
}
