// Lesson 04: condition variables. A wait without a predicate misses a notify that came
// first (a lost wake-up); a wait with a predicate cannot. Then the cost of a barrier
// round between 2 threads: the hand-written mutex + condition_variable barrier of
// patterns/thread_condvar.cpp's kind, without and with a spin before it sleeps,
// versus std::barrier.
//   lesson_04_demo [--quick]
#include <fmt/format.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "lesson.hpp"
#include "train/spin_wait.hpp"

namespace {
std::mutex m;
std::condition_variable cv;
bool ready = false;

// The notify happens BEFORE the wait starts: the waiter must not miss it.
void lost_wakeup_demo(bool with_predicate) {
  ready = false;
  std::jthread signaller([] {
    std::lock_guard lock(m);
    ready = true;
    cv.notify_one();
  });
  signaller.join();  // the notify is over before anyone waits
  auto t0 = std::chrono::steady_clock::now();
  std::unique_lock lock(m);
  bool woke;
  if (with_predicate)
    woke = cv.wait_for(lock, std::chrono::milliseconds(300), [] { return ready; });
  else
    woke = cv.wait_for(lock, std::chrono::milliseconds(300)) == std::cv_status::no_timeout;
  fmt::print("  {:<22} {} after {:.1f} ms\n", with_predicate ? "wait(lock, predicate):" : "wait(lock):",
             woke ? "went on" : "TIMED OUT (the notify was lost)", 1e3 * lesson::seconds_since(t0));
}

// Counted barrier from a mutex and a condition variable (the generation tells a woken
// thread whether its own round is over). With spin set, a waiter first polls the
// generation for up to gd::kSpinBudget, as patterns/thread_condvar.cpp does.
class CondvarBarrier {
 public:
  CondvarBarrier(int n, bool spin) : n_(n), spin_(spin) {}
  void arrive_and_wait() {
    std::unique_lock lock(m_);
    const long gen = gen_;
    if (++arrived_ == n_) {
      arrived_ = 0;
      ++gen_;
      cv_.notify_all();
      return;
    }
    if (spin_) {
      lock.unlock();
      if (gd::spin_until([&] { return gen_ != gen; })) return;
      lock.lock();
    }
    cv_.wait(lock, [&] { return gen_ != gen; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_, arrived_ = 0;
  bool spin_;
  std::atomic<long> gen_ = 0;
};

template <class Barrier>
double round_us(Barrier& b, long max_rounds) {
  return lesson::us_per_round(
      [&](long rounds) {
        auto t0 = std::chrono::steady_clock::now();
        std::jthread other([&] {
          for (long i = 0; i < rounds; ++i) b.arrive_and_wait();
        });
        for (long i = 0; i < rounds; ++i) b.arrive_and_wait();
        other.join();
        return lesson::seconds_since(t0);
      },
      max_rounds);
}
}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const long rounds = quick ? 2000 : 20000;
  fmt::print("a notify that comes before the wait:\n");
  lost_wakeup_demo(false);
  lost_wakeup_demo(true);
  CondvarBarrier cb(2, false), spinning(2, true);
  std::barrier<> sb(2);
  fmt::print("barrier rounds, 2 threads (up to {} rounds or about 0.3 s each):\n", rounds);
  fmt::print("  mutex + condition_variable  {:7.2f} us a round\n", round_us(cb, rounds));
  fmt::print("  the same, spinning first    {:7.2f} us a round\n", round_us(spinning, rounds));
  fmt::print("  std::barrier                {:7.2f} us a round\n", round_us(sb, rounds));
}
