// A one-line progress bar on a terminal; silent when stderr is not a terminal
// (logs and CI get the plain per-epoch lines instead).
#pragma once
#include <chrono>
#include <string>

namespace gd {

class Progress {
 public:
  Progress(std::string label, long total);
  ~Progress();
  void update(long done, const std::string& note = "");
  void finish();  // erases the bar
  static bool terminal();

 private:
  std::string label_;
  long total_;
  bool on_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace gd
