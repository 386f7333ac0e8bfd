// The matrix's results as text for a terminal: the summary table and the flag warnings.
#pragma once
#include <string>
#include <vector>

#include "measure/results.hpp"

namespace gd {

// The summary table: per batch, one row per cell.
std::string summary_table(const Results& r);
// Time to accuracy (config.target_accuracy): per batch, one row per cell that measured it,
// then the pattern that reached the target first at each thread count.
std::string accuracy_table(const Results& r);
// The cell of `batch` with p threads (one process) that reached the target soonest by its
// score; null when none reached it.
const Cell* first_to_accuracy(const Results& r, int batch, int threads);
// One line per flagged cell, saying what the flag means; and one when the core-to-core
// round trip changed by more than kRoundTripDrift between the matrix's start and end.
std::vector<std::string> flag_warnings(const Results& r);
inline constexpr double kRoundTripDrift = 0.25;
// "core-to-core round trip: 480 ns at the start, 610 ns at the end", or "" when not measured.
std::string round_trip_line(const Environment& e);

}  // namespace gd
