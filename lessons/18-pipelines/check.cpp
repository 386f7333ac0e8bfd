// Check for lesson 18: BatchQueue between one producer and one consumer thread delivers
// every item once and in order, holds the producer back when it is full, and wakes a
// waiting consumer when it is closed. Every part runs under a time limit: a hang fails.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "exercise.hpp"
#include "lesson.hpp"

using namespace std::chrono_literals;

int main() {
  lesson::Verdict v("lesson 18: a bounded queue between a producer and a consumer");

  // 1. A producer that is sometimes slow, a consumer that pops until the queue is closed.
  constexpr int kItems = 20000;
  constexpr std::size_t kCapacity = 4;
  std::vector<int> got;
  std::size_t most_ahead = 0;
  lesson::within(10000ms, "a producer and a consumer, 20000 items", [&] {
    BatchQueue q(kCapacity);
    std::atomic<int> pushed{0}, popped{0};
    std::atomic<std::size_t> ahead{0};
    std::jthread producer([&] {
      for (int i = 0; i < kItems; ++i) {
        if (i % 1000 == 0) std::this_thread::sleep_for(2ms);  // preparing a dear batch
        q.push(i);
        const int n = ++pushed;
        const std::size_t a = std::size_t(n - popped.load());
        if (a > ahead) ahead = a;
      }
      q.close();
    });
    while (auto item = q.pop()) {
      got.push_back(*item);
      ++popped;
    }
    producer.join();
    most_ahead = ahead;
  });
  bool in_order = got.size() == std::size_t(kItems);
  for (std::size_t i = 0; in_order && i < got.size(); ++i) in_order = got[i] == int(i);
  v.expect(in_order, fmt::format("the consumer got all {} items once, in order (it got {}{})", kItems, got.size(),
                                 got.size() == std::size_t(kItems) ? "" : ": it stopped before the producer was done"));
  // The producer counts an item after its push returns, the consumer after its pop: the
  // difference may run one or two past the capacity, never far.
  v.expect(most_ahead <= kCapacity + 2, fmt::format("the producer never ran more than about {} items ahead (at most "
                                                    "{} pushed and not yet popped)",
                                                    kCapacity, most_ahead));

  // 2. Backpressure: a push into a full queue waits until a pop makes room.
  lesson::within(5000ms, "a push into a full queue", [&] {
    BatchQueue q(2);
    q.push(1);
    q.push(2);
    std::atomic<bool> third{false};
    std::jthread producer([&] {
      q.push(3);
      third = true;
    });
    std::this_thread::sleep_for(100ms);
    v.expect(!third, "a push into a full queue waits");
    const auto first = q.pop();
    producer.join();
    v.expect(first == 1 && third, "... and goes through once a pop has made room");
    q.close();
  });

  // 3. close() wakes a consumer waiting on an empty queue, and a push after it fails.
  lesson::within(5000ms, "close() with a consumer waiting", [&] {
    BatchQueue q(2);
    std::atomic<bool> woke{false};
    std::optional<int> seen = 7;
    std::jthread consumer([&] {
      seen = q.pop();
      woke = true;
    });
    std::this_thread::sleep_for(100ms);
    v.expect(!woke, "a pop from an empty queue waits for an item");
    q.close();
    consumer.join();
    v.expect(woke && !seen, "close() wakes it, with nothing to take");
    v.expect(!q.push(1), "a push after close() returns false");
  });
  return v.finish();
}
