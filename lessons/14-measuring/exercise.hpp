// Lesson 14 exercise: two models of parallel time, from measured step times.
#pragma once

// Karp-Flatt: the serial fraction e = (1/S - 1/p) / (1 - 1/p), with S = t1 / tp, p > 1.
double serial_fraction(double t1, double tp, int p);

// Amdahl: fit T(p) = a + b/p through the two measurements T(1) = t1 and T(p) = tp,
// and predict the time on q workers.
double amdahl_predict(double t1, double tp, int p, int q);
