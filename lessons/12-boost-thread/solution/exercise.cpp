// Lesson 12, reference solution with Boost.Thread, as patterns/boost_thread.cpp does it.
// The standard library version: std::vector<std::jthread> and std::barrier<> sync(threads),
// calling sync.arrive_and_wait() where boost::barrier::wait() is called here.
#include <boost/thread/barrier.hpp>
#include <boost/thread/thread.hpp>

#include "exercise.hpp"

void phased_run(int threads, int phases, const std::function<void(int t, int phase)>& body) {
  boost::barrier sync(static_cast<unsigned>(threads));
  boost::thread_group group;
  for (int t = 0; t < threads; ++t)
    group.create_thread([&, t] {
      for (int phase = 0; phase < phases; ++phase) {
        body(t, phase);
        sync.wait();  // everyone has finished this phase
      }
    });
  group.join_all();
}
