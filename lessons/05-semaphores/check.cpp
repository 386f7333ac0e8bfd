// Check for lesson 05: take() waits for put(); 500 values cross in order.
#include <atomic>
#include <thread>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 05: Mailbox hands values over one by one");
  {
    Mailbox box;
    std::atomic<bool> returned{false};
    float got = -1;
    lesson::within(std::chrono::seconds(3), "take() on an empty mailbox, then put(42)", [&] {
      std::jthread consumer([&] {
        got = box.take();
        returned = true;
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      v.expect(!returned, "take() waits while the mailbox is empty");
      box.put(42.0f);
    });
    v.expect(got == 42.0f, fmt::format("take() returns the value put (got {})", got));
  }
  Mailbox box;
  const int n = 500;
  long out_of_order = 0;
  lesson::within(std::chrono::seconds(20), "a producer and a consumer, 500 values", [&] {
    std::jthread producer([&] {
      for (int i = 1; i <= n; ++i) box.put(float(i));
    });
    for (int i = 1; i <= n; ++i) out_of_order += box.take() != float(i);
  });
  v.expect(out_of_order == 0, fmt::format("values 1..{} arrive once each, in order ({} did not)", n, out_of_order));
  return v.finish();
}
