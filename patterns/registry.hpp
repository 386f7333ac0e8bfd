// The table of patterns: one explicit row each, so a reader sees them all in one place.
// The row is the one description of a pattern: `gdlab patterns` prints it, `gdlab patterns
// --markdown` prints the README's table from it, and tests/test_patterns.cpp checks that
// README.md and each file's header say the same.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "measure/results.hpp"
#include "train/pattern.hpp"

namespace gd {

// The text fields may mark code with `backticks` (kept in the README's table, dropped
// in the terminal's).
struct PatternInfo {
  std::string_view name;        // --pattern NAME
  std::string_view file;        // where to read it
  std::string_view mechanism;   // one line: how it schedules the step
  std::string_view per_step;    // one line: what a step pays beyond the arithmetic, in primitives
  std::string_view library;     // what it is built on, without a version
  std::string_view version_of;  // key of library_versions() (harness.hpp) whose version this build has; "" for none
  bool deterministic;           // bit-identical to sequential (same shard count)
  std::unique_ptr<Pattern> (*make)(int threads);
  std::span<const PrimitiveUse> pays;  // per_step priced, in bench_primitives' rows (none: sequential)
  Axis axis = Axis::data;              // what its threads split (shards unless the row says)
  // Asynchronous SGD (hogwild): its threads update the weights without meeting, so its
  // answer is not sequential's even within rounding; it is held to an accuracy instead.
  bool asynchronous = false;
};

// The patterns whose workers are threads of this process, and those whose workers are
// MPI ranks, which run only in a job that mpirun started (gdlab train --ranks N). The
// lookups below and the README's table take both.
std::span<const PatternInfo> all_patterns();
std::span<const PatternInfo> rank_patterns();
bool is_rank_pattern(std::string_view name);
// Throws UsageError listing the known names when `name` is not one of them.
const PatternInfo& find_pattern(std::string_view name);
// The thread pattern `--inner NAME` runs inside each rank of a rank pattern; throws
// UsageError, listing those that can, when it is not one of them.
const PatternInfo& find_inner_pattern(std::string_view name);
// That pattern made for `threads` threads; nullptr for "" (the rank's own threads).
std::unique_ptr<Pattern> make_inner_pattern(std::string_view name, int threads);
// What the pattern of that name pays per step (PatternInfo::pays); nothing for a name
// that is not a pattern (a results file may hold patterns this build does not have).
std::span<const PrimitiveUse> what_it_pays(std::string_view name);
// What the pattern of that name splits among its threads (PatternInfo::axis); none for a
// name that is not a pattern.
Axis axis_of(std::string_view name);

// The library with the version this build was compiled against ("oneTBB 2021.8.0").
std::string library_of_build(const PatternInfo& p);
// The README's table of patterns, header line included, one line per row ending in '\n'.
std::string patterns_markdown();
// `text` without its markdown: backticks and ** removed.
std::string plain_text(std::string_view text);

}  // namespace gd
