// lesson_quotes ROOT [--sync]: checks (or refreshes) every quoted code block in lessons/.
// Exit 0 when every quote matches its source region, 1 otherwise.
#include <fmt/format.h>

#include <cstring>

#include "quotes.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: lesson_quotes ROOT [--sync]\n");
    return 2;
  }
  const bool sync = argc > 2 && std::strcmp(argv[2], "--sync") == 0;
  const auto r = lesson::check_quotes(argv[1], sync);
  for (const auto& i : r.issues) fmt::print(stderr, "{}: {}\n", i.where, i.message);
  fmt::print("{} quotes checked, {} problem(s){}\n", r.quotes, r.issues.size(),
             sync ? fmt::format(", {} block(s) refreshed", r.synced) : "");
  return r.issues.empty() ? 0 : 1;
}
