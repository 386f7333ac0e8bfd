// Lesson 05 exercise. The mailbox below neither waits nor signals. Use the two
// semaphores so that `./gdlab check 05` passes: every value arrives once, in order.
#include "exercise.hpp"

void Mailbox::put(float value) { value_ = value; }

float Mailbox::take() { return value_; }
