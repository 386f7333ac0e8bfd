// Lesson 19 exercise: an update of shared floats that loses nothing, without a lock.
//
// add(shared, delta, n) adds delta[i] to shared[i] for i = 0 .. n-1, and touches nothing
// else. Many threads call it at once on the same `shared` array, with no lock around the
// call, and every addition must land: after T threads have each called it R times with the
// same delta, shared[i] has grown by exactly T * R * delta[i] (the check picks values whose
// sums are exact in float, in any order).
//
// hogwild's update (patterns/hogwild.cpp) is an atomic load and then an atomic store: free
// of data races, but another thread's store can land between the two and be overwritten.
// Here each float's read-modify-write must be ONE atomic operation on
// std::atomic_ref<float>(shared[i]): fetch_add, or a compare_exchange_weak loop.
#pragma once
#include <cstddef>

void add(float* shared, const float* delta, std::size_t n);
