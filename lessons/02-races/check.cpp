// Check for lesson 02: two threads add 5000 shards each; nothing may be lost and the
// gradient may only be touched while its mutex is held.
#include <thread>

#include "exercise.hpp"
#include "lesson.hpp"

int main() {
  lesson::Verdict v("lesson 02: add_shard is safe to call from several threads");
  const int calls = 5000;
  SharedGradient g(256);
  const std::vector<float> ones(256, 1.0f);
  lesson::within(std::chrono::seconds(20), "two threads calling add_shard", [&] {
    std::jthread a([&] {
      for (int i = 0; i < calls; ++i) add_shard(g, ones);
    });
    std::jthread b([&] {
      for (int i = 0; i < calls; ++i) add_shard(g, ones);
    });
  });
  long wrong = 0;
  for (float x : g.peek()) wrong += x != 2.0f * calls;
  v.expect(g.unguarded_accesses == 0,
           fmt::format("every access holds the mutex ({} accesses without it)", g.unguarded_accesses.load()));
  v.expect(wrong == 0, fmt::format("every parameter is {} ({} are not: lost updates)", 2 * calls, wrong));
  return v.finish();
}
