// Lesson 14 exercise. Both functions below give wrong answers. Fix them so that
// `./gdlab check 14` passes (exercise.hpp has the formulas).
#include "exercise.hpp"

double serial_fraction(double t1, double tp, int p) {
  const double s = t1 / tp;
  return 1.0 / s - 1.0 / p;
}

double amdahl_predict(double t1, double tp, int p, int q) {
  (void)tp;
  (void)p;
  return t1 / q;  // perfect scaling: ignores the serial part the measurements show
}
