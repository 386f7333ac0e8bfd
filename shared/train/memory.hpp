// Keep freed memory inside the process.
//
// glibc returns large freed blocks to the kernel (munmap, or trimming the heap), so
// the next allocation of that size page-faults on every page again. A step makes such
// allocations all the time (Eigen's GEMM packing buffers, OpenMP's private copies of
// the gradient in openmp_reduction), and on a virtual machine a page fault is
// expensive: a pattern that allocates every step would pay for its faults every step, at a
// cost that depends on what ran before in the same process.
// Raising both thresholds makes every pattern pay the same, small, steady price.
#pragma once
#include <malloc.h>

namespace gd {

inline void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);  // blocks below 256 MiB come from the heap, not mmap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);    // and the heap is not given back below 1 GiB free
}

}  // namespace gd
