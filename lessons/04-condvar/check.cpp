// Check for lesson 04: ShardLatch waits while shards are missing, goes on once all are
// done, and does not miss a count_down that came before wait().
#include <atomic>
#include <thread>
#include <vector>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 04: ShardLatch waits for the condition");
  {
    ShardLatch latch(3);
    std::atomic<bool> returned{false};
    lesson::within(std::chrono::seconds(3), "wait() while one shard is missing, then its count_down", [&] {
      latch.count_down();
      latch.count_down();
      std::jthread waiter([&] {
        latch.wait();
        returned = true;
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      v.expect(!returned, "wait() blocks while a shard is missing");
      latch.count_down();
    });
    v.expect(returned, "wait() returns after the last count_down");
  }
  lesson::within(std::chrono::seconds(3), "wait() after every shard is already done", [&] {
    ShardLatch latch(4);
    std::vector<std::jthread> shards;
    for (int s = 0; s < 4; ++s) shards.emplace_back([&] { latch.count_down(); });
    for (auto& t : shards) t.join();  // every notify is over before anyone waits
    latch.wait();
  });
  v.expect(true, "wait() returns when every shard was done before it was called");
  return v.finish();
}
