// Lesson 10 exercise: a parallel sum with OpenMP's reduction clause.
#pragma once
#include <functional>

// Returns term(0) + term(1) + ... + term(n-1), computed by exactly `threads` OpenMP threads.
double parallel_sum(int n, const std::function<double(int)>& term, int threads);
