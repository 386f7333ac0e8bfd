// Lesson 12 exercise: run a body on p threads, phase by phase.
#pragma once
#include <functional>

// Runs body(t, phase) for t in [0, threads) on `threads` threads, for phase = 0, 1, ...,
// phases-1. No thread may start phase k+1 before every thread has finished phase k.
void phased_run(int threads, int phases, const std::function<void(int t, int phase)>& body);
