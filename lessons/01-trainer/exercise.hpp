// Lesson 01 exercise: write the sequential step yourself.
#pragma once
#include "train/step.hpp"

// Runs one whole training step on the calling thread, in the order of shared/train/step.hpp:
// every shard (map), then for every slice its combine and its update.
void my_step(gd::Step& step);
