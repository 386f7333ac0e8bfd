// A deliberate data race inside an OpenMP loop. Built and run only in the tsan preset,
// where the test expects ThreadSanitizer to report it: proof that the sanitizer (and
// Archer, for LLVM's OpenMP runtime) is really watching, so a clean pattern run means
// something.
#include <cstdio>

int main() {
  long sum = 0;
#pragma omp parallel for num_threads(2)
  for (int i = 0; i < 100000; ++i) sum += i;  // unsynchronised read-modify-write: a race
  std::printf("%ld\n", sum);
  return 0;
}
