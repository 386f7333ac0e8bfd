// Check for lesson 07: tasks still queued when the pool is destroyed are run, not dropped.
#include <atomic>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 07: MiniPool finishes its queue on shutdown");
  std::atomic<int> ran{0};
  lesson::within(std::chrono::seconds(5), "submit 2 slow and 100 quick tasks, destroy the pool", [&] {
    MiniPool pool(2);
    for (int i = 0; i < 2; ++i)  // keep both workers busy while the rest queues up
      pool.submit([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ++ran;
      });
    for (int i = 0; i < 100; ++i) pool.submit([&] { ++ran; });
  });  // ~MiniPool runs here, while most tasks are still queued
  v.expect(ran == 102, fmt::format("all 102 submitted tasks ran ({} did)", ran.load()));
  lesson::within(std::chrono::seconds(2), "destroying an idle pool", [] { MiniPool idle(2); });
  v.expect(true, "an idle pool shuts down");
  return v.finish();
}
