// Lesson 05 exercise: a one-slot mailbox for handing gradients from a producer thread to
// a consumer thread, built from two semaphores.
#pragma once
#include <semaphore>

class Mailbox {
 public:
  void put(float value);  // blocks while the slot is full
  float take();           // blocks while the slot is empty

 private:
  float value_ = 0.0f;
  std::binary_semaphore empty_{1};  // 1: the slot may be written
  std::binary_semaphore full_{0};   // 1: the slot holds a value not yet taken
};
