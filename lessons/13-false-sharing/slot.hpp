// Lesson 13 exercise: one thread's partial sums. Threads write their own Slot, side by
// side in an array, millions of times. Change this struct so that `./gdlab check 13`
// passes: no two slots of the array may share a 64-byte cache line.
#pragma once

struct Slot {
  double loss = 0;
  long samples = 0;
};
