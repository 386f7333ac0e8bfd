// The matrix's results as text for a terminal: the summary table and the flag warnings.
#pragma once
#include <string>
#include <vector>

#include "measure/results.hpp"

namespace gd {

// The summary table: per batch, one row per cell.
std::string summary_table(const Results& r);
// One line per flagged cell, saying what the flag means.
std::vector<std::string> flag_warnings(const Results& r);

}  // namespace gd
