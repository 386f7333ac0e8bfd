// Lesson 19 exercise. add() does nothing yet, so every addition is lost and
// `./gdlab check 19` fails. Write it as exercise.hpp says: for every i, add delta[i] to
// shared[i] as ONE atomic read-modify-write through std::atomic_ref<float> (fetch_add, or a
// compare_exchange_weak loop), so that no other thread's addition can be overwritten.
// Neither a plain `shared[i] += delta[i]` (a data race) nor an atomic load followed by an
// atomic store (hogwild's update) will do: both lose additions when threads collide.
#include "exercise.hpp"

#include <atomic>

void add([[maybe_unused]] float* shared, [[maybe_unused]] const float* delta, [[maybe_unused]] std::size_t n) {
  // Yours: for each i, shared[i] += delta[i], as one atomic operation.
}
