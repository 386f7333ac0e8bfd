// Lesson 14, reference solution.
#include "exercise.hpp"

double serial_fraction(double t1, double tp, int p) {
  const double s = t1 / tp;
  return (1.0 / s - 1.0 / p) / (1.0 - 1.0 / p);
}

// T(1) = a + b and T(p) = a + b/p give b = (t1 - tp) / (1 - 1/p) and a = t1 - b.
double amdahl_predict(double t1, double tp, int p, int q) {
  const double b = (t1 - tp) / (1.0 - 1.0 / p), a = t1 - b;
  return a + b / q;
}
