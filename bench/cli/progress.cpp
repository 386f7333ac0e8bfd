#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace gd {

bool Progress::terminal() { return ::isatty(2) == 1; }

Progress::Progress(std::string label, long total)
    : label_(std::move(label)), total_(total), on_(terminal()), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::update(long done, const std::string& note) {
  if (!on_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const int width = 30;
  const double frac = total_ > 0 ? double(done) / double(total_) : 1.0;
  const int filled = int(frac * width);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double left = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  std::string bar(filled, '#');
  bar.resize(width, '.');
  fmt::print(stderr, "\r\033[K{} [{}] {}/{} {:.0f}s left {}", label_, bar, done, total_, left, note);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (on_ && drawn_) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
  }
  drawn_ = false;
}

}  // namespace gd
