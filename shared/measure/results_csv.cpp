// The results file's CSV twin: one row per cell, the columns of kCellColumns (bench/RESULTS.md).
#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "measure/results.hpp"

namespace gd {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
std::string csv_num(double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : ""; }
std::string csv_num(const std::optional<double>& v) { return v ? csv_num(*v) : ""; }

namespace {
// One column of a cell's CSV row: its header name and how the cell fills it.
struct Column {
  const char* name;
  std::string (*value)(const Cell&);
};
std::string numbers(const std::vector<double>& xs) {  // a list in one field: "0.1;0.2"
  std::string out;
  for (double x : xs) out += (out.empty() ? "" : ";") + csv_num(x);
  return out;
}
std::string yes_no(bool b) { return b ? "true" : "false"; }
const Column kCellColumns[] = {
    {"pattern", [](const Cell& c) { return csv_field(c.pattern); }},
    {"threads", [](const Cell& c) { return std::to_string(c.threads); }},
    {"batch", [](const Cell& c) { return std::to_string(c.batch); }},
    {"shards", [](const Cell& c) { return std::to_string(c.shards); }},
    {"blocks", [](const Cell& c) { return std::to_string(c.blocks); }},
    {"ranks", [](const Cell& c) { return std::to_string(c.ranks); }},
    {"steps", [](const Cell& c) { return std::to_string(c.steps); }},
    {"deterministic", [](const Cell& c) { return yes_no(c.deterministic); }},
    {"complete", [](const Cell& c) { return yes_no(c.complete); }},
    {"reps", [](const Cell& c) { return std::to_string(c.rep_seconds.size()); }},
    {"step_seconds_median", [](const Cell& c) { return csv_num(c.step_seconds.median); }},
    {"step_seconds_min", [](const Cell& c) { return csv_num(c.step_seconds.min); }},
    {"step_seconds_max", [](const Cell& c) { return csv_num(c.step_seconds.max); }},
    {"step_seconds_ci95_low", [](const Cell& c) { return csv_num(c.step_seconds.ci95_low); }},
    {"step_seconds_ci95_high", [](const Cell& c) { return csv_num(c.step_seconds.ci95_high); }},
    {"cpu_seconds_median", [](const Cell& c) { return csv_num(c.cpu_seconds_median); }},
    {"parallelism", [](const Cell& c) { return csv_num(c.parallelism); }},
    {"speedup", [](const Cell& c) { return csv_num(c.speedup); }},
    {"speedup_best", [](const Cell& c) { return csv_num(c.speedup_best); }},
    {"speedup_relative", [](const Cell& c) { return csv_num(c.speedup_relative); }},
    {"efficiency", [](const Cell& c) { return csv_num(c.efficiency); }},
    {"karp_flatt", [](const Cell& c) { return csv_num(c.karp_flatt); }},
    {"overhead_per_step_seconds", [](const Cell& c) { return csv_num(c.overhead_per_step_seconds); }},
    {"samples_per_second", [](const Cell& c) { return csv_num(c.samples_per_second); }},
    {"final_loss", [](const Cell& c) { return csv_num(c.final_loss); }},
    {"checksum", [](const Cell& c) { return csv_field(c.checksum); }},
    {"matches_sequential",
     [](const Cell& c) { return c.matches_sequential ? yes_no(*c.matches_sequential) : std::string(); }},
    {"flags", [](const Cell& c) { return csv_field(flag_list(c.flags, ";")); }},
    {"useful_parallelism", [](const Cell& c) { return csv_num(c.useful_parallelism); }},
    {"imbalance", [](const Cell& c) { return csv_num(c.imbalance); }},
    {"rep_seconds", [](const Cell& c) { return numbers(c.rep_seconds); }},
    {"rep_cpu_seconds", [](const Cell& c) { return numbers(c.rep_cpu_seconds); }},
    // Time to accuracy (empty when the cell did not measure it): the score, null when not
    // reached, and how many runs reached the target.
    {"time_to_accuracy_seconds",
     [](const Cell& c) { return c.time_to_accuracy ? csv_num(c.time_to_accuracy->seconds) : std::string(); }},
    {"time_to_accuracy_reached",
     [](const Cell& c) {
       return c.time_to_accuracy ? fmt::format("{}/{}", c.time_to_accuracy->reached(), c.time_to_accuracy->runs.size())
                                 : std::string();
     }},
};
}  // namespace

std::string cell_csv_header() {
  std::string out;
  for (const Column& col : kCellColumns) out += (out.empty() ? "" : ",") + std::string(col.name);
  return out;
}

std::string cell_csv_row(const Cell& c) {
  std::string out;
  for (const Column& col : kCellColumns) out += (&col == kCellColumns ? "" : ",") + col.value(c);
  return out;
}

std::string results_to_csv(const Results& r) {
  std::string out = cell_csv_header() + "\n";
  for (const Cell& c : r.cells) out += cell_csv_row(c) + "\n";
  return out;
}

}  // namespace gd
