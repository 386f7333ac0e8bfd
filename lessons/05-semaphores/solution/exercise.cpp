// Lesson 05, reference solution: two signals, no mutex. put() waits for "empty" and
// signals "full"; take() waits for "full" and signals "empty". The acquire/release
// pair also orders the memory: the value written before release() is seen after acquire().
#include "exercise.hpp"

void Mailbox::put(float value) {
  empty_.acquire();
  value_ = value;
  full_.release();
}

float Mailbox::take() {
  full_.acquire();
  const float v = value_;
  empty_.release();
  return v;
}
