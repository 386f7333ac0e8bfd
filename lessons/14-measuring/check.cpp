// Check for lesson 14: the serial fraction agrees with the harness (shared/measure/harness.hpp)
// and with hand-worked cases; the Amdahl fit predicts what the model says.
#include <cmath>

#include "exercise.hpp"
#include "lesson.hpp"
#include "measure/harness.hpp"

int main() {
  lesson::Verdict v("lesson 14: Karp-Flatt and an Amdahl fit");
  auto near = [](double a, double b) { return std::abs(a - b) < 1e-9; };
  // 10% serial: T(p) = 1 + 9/p.
  v.expect(near(serial_fraction(10, 5.5, 2), 0.1),
           fmt::format("T1=10, T2=5.5: e = 0.1 (got {})", serial_fraction(10, 5.5, 2)));
  v.expect(near(serial_fraction(10, 3.25, 4), 0.1),
           fmt::format("T1=10, T4=3.25: e = 0.1 (got {})", serial_fraction(10, 3.25, 4)));
  v.expect(near(serial_fraction(8, 4, 2), 0.0), "perfect halving: e = 0");
  const double s = 12.0 / 7.0;
  v.expect(near(serial_fraction(12, 7, 2), *gd::karp_flatt(s, 2)), "agrees with gd::karp_flatt");
  v.expect(near(amdahl_predict(10, 5.5, 2, 4), 3.25),
           fmt::format("T1=10, T2=5.5 predict T4 = 3.25 (got {})", amdahl_predict(10, 5.5, 2, 4)));
  v.expect(near(amdahl_predict(10, 5.5, 2, 1000000), 1 + 9e-6), "with many workers only the serial part a = 1 is left");
  return v.finish();
}
