// Lesson 08 exercise: run tasks concurrently with std::async and collect their failures.
#pragma once
#include <functional>
#include <vector>

// Runs every task at the same time, each on its own thread; returns when ALL have
// finished. If any threw, rethrows the exception of the lowest-numbered task that threw.
void run_all(const std::vector<std::function<void()>>& tasks);
