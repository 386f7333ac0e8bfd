// Lesson 06 exercise. Two threads calling swap_buffers(x, y) and swap_buffers(y, x)
// deadlock. Fix it so that `./gdlab check 06` passes.
#include "exercise.hpp"

void swap_buffers(Buffer& a, Buffer& b) {
  std::lock_guard first(a.m);
  std::lock_guard second(b.m);
  a.g.swap(b.g);
}
