// Spinning before sleeping.
//
// A thread that sleeps in the kernel (condition_variable::wait, semaphore::acquire)
// must be woken to go on: a system call for the thread that wakes it and, on an idle
// CPU, the time the CPU needs to come out of its idle state; on a virtual machine
// whose idle vCPU the host has descheduled, longer still (bench_primitives' handoff
// rows, with and without spinning, show the difference). When the wait is
// short, because the other threads are nearly done with their share, polling a flag
// for a while costs less. OpenMP and oneTBB spin before they sleep by default; the
// hand-written patterns use spin_until for the same reason.
//
// Spin only while every thread has a CPU of its own (spin_pays): with more threads
// than CPUs, a spinning thread takes the CPU from the very thread it waits for.
#pragma once
#include <chrono>

#include "train/cpus.hpp"

namespace gd {

// How long a thread polls before it goes to sleep. Long enough to cover the wait
// between two phases of a balanced step, short enough that a thread waiting for a
// much slower one soon gives its CPU back.
inline constexpr std::chrono::microseconds kSpinBudget{200};

// Counted against the CPUs this process may use (cpus.hpp), not every CPU of the machine.
inline bool spin_pays(int threads) { return threads <= available_cpus(); }

// Tells the CPU this is a busy-wait loop (x86 `pause`): the core saves power and lets
// its hyper-thread sibling run, and leaving the loop does not flush the pipeline.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls ready() until it returns true (then returns true) or the budget is spent
// (then returns false, and the caller goes on to its blocking wait). The clock is read
// after every poll (tens of nanoseconds, no system call), so a poll that is itself slow
// cannot stretch the budget.
template <class Ready>
bool spin_until(Ready&& ready, std::chrono::microseconds budget = kSpinBudget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    cpu_relax();
  }
}

}  // namespace gd
