// Check for lesson 06: two threads swap the same two buffers in opposite argument
// order, 20 times each, within 3 seconds.
#include <thread>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 06: swap_buffers cannot deadlock");
  static Buffer x, y;  // static: outlives threads left stuck if the check times out
  x.g.assign(4, 1.0f);
  y.g.assign(8, 2.0f);
  lesson::within(std::chrono::seconds(3), "swap_buffers(x, y) and swap_buffers(y, x) at once", [] {
    std::jthread a([] {
      for (int i = 0; i < 20; ++i) swap_buffers(x, y);
    });
    std::jthread b([] {
      for (int i = 0; i < 20; ++i) swap_buffers(y, x);
    });
  });
  v.expect(true, "both threads finish");
  v.expect(x.g.size() == 4 && y.g.size() == 8, "40 swaps leave each buffer where it started");
  return v.finish();
}
