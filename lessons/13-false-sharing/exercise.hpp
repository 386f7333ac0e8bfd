// Lesson 13 exercise: per-thread partial sums that do not share cache lines.
#pragma once
#include <slot.hpp>  // angle brackets: the solution build finds solution/slot.hpp first

// Sums loss[i] over i in [0, n) with `threads` threads: thread t adds its indices
// t, t + threads, ... into slots[t], and the slots are added in order at the end.
double parallel_loss_sum(const float* loss, long n, int threads);
