// Lesson 03 exercise: the thread_mutex step, made deterministic.
#pragma once
#include "train/step.hpp"

// One step on `threads` std::threads started for this step. Must give the weights of
// patterns/sequential.cpp bit for bit, whatever order the shards finish in.
void ordered_step(gd::Step& step, int threads);
