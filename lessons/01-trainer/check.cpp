// Check for lesson 01: my_step must train exactly like patterns/sequential.cpp.
#include "exercise.hpp"
#include "lesson_train.hpp"
#include "registry.hpp"

namespace {
struct Mine final : gd::Pattern {
  void step(gd::Step& s) override { my_step(s); }
};
}  // namespace

int main() {
  lesson::Verdict v("lesson 01: my_step trains like the sequential pattern");
  lesson::Problem pb;
  gd::Model fresh(pb.spec);
  fresh.init(1);
  auto reference = gd::find_pattern("sequential").make(1);
  Mine mine;
  const auto want = lesson::train_checksum(pb, *reference, 5);
  const auto got = lesson::train_checksum(pb, mine, 5);
  v.expect(got != fresh.checksum(), "the weights change during training");
  v.expect(got == want, fmt::format("weights after 5 steps equal sequential's bit for bit (checksum {} vs {})",
                                    gd::checksum_hex(got), gd::checksum_hex(want)));
  return v.finish();
}
