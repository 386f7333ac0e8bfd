#include "registry.hpp"

#include "error.hpp"

namespace gd {

std::unique_ptr<Pattern> make_sequential(int threads);

namespace {
const PatternInfo kPatterns[] = {
    {"sequential", "patterns/sequential.cpp", "one thread runs map, combine and update in order",
     "C++ standard library", true, make_sequential},
};
}  // namespace

std::span<const PatternInfo> all_patterns() { return kPatterns; }

const PatternInfo& find_pattern(std::string_view name) {
  for (const auto& p : kPatterns)
    if (p.name == name) return p;
  std::string known;
  for (const auto& p : kPatterns) known += (known.empty() ? "" : ", ") + std::string(p.name);
  throw UsageError("unknown pattern '" + std::string(name) + "' (known: " + known + "; see gdlab patterns)");
}

}  // namespace gd
