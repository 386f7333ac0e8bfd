// The table of patterns: one explicit row each, so a reader sees them all in one place.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "train/pattern.hpp"
#include "measure/results.hpp"

namespace gd {

struct PatternInfo {
  std::string_view name;        // --pattern NAME
  std::string_view file;        // where to read it
  std::string_view mechanism;   // one line: how it schedules the step
  std::string_view library;     // what it is built on
  bool deterministic;           // bit-identical to sequential (same shard count)
  std::unique_ptr<Pattern> (*make)(int threads);
  std::span<const PrimitiveUse> pays;  // per step, in bench_primitives' rows (none: sequential)
};

std::span<const PatternInfo> all_patterns();
// Throws UsageError listing the known names when `name` is not one of them.
const PatternInfo& find_pattern(std::string_view name);
// What the pattern of that name pays per step (PatternInfo::pays); nothing for a name
// that is not a pattern (a results file may hold patterns this build does not have).
std::span<const PrimitiveUse> what_it_pays(std::string_view name);

}  // namespace gd
