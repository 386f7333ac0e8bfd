#include "report/run_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <set>

#include "measure/metrics.hpp"
#include "measure/statistics.hpp"
#include "report/text.hpp"

namespace gd::report {

bool flagged(const Cell& c) {
  return std::any_of(c.flags.begin(), c.flags.end(),
                     [&](Flag f) { return !(f == Flag::checksum_differs && !c.deterministic); });
}
bool overlap(const Cell& a, const Cell& b) {
  return a.step_seconds.ci95_low <= b.step_seconds.ci95_high && b.step_seconds.ci95_low <= a.step_seconds.ci95_high;
}
bool faster_beyond_noise(const Cell& c, const Cell& ref) {
  return c.step_seconds.ci95_high < ref.step_seconds.ci95_low;
}

std::string cell_name(const Cell& c) {
  if (c.ranks > 1) return fmt::format("{} (p = {}: {} ranks × {})", c.pattern, c.workers(), c.ranks, c.threads);
  return fmt::format("{} (p = {})", c.pattern, c.threads);
}
std::string workload_name(int batch, int shards) {
  return fmt::format("batch {}, {} shard{}", batch, shards, shards == 1 ? "" : "s");
}

std::optional<double> series_baseline(const RunView& v, const std::string& pattern, int batch, int shards) {
  std::vector<double> t;
  for (const Cell* c : v.series(pattern, batch, shards))
    if (auto b = baseline_step_seconds(v.r, *c)) t.push_back(*b);
  if (t.empty()) return std::nullopt;
  return median_of(t);
}

std::optional<Fit> amdahl_fit(const RunView& v, const std::string& pattern, int batch, int shards) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  std::set<int> ps;
  for (const Cell* c : v.series(pattern, batch, shards)) {
    if (c->threads > v.cpus || c->step_seconds.median <= 0) continue;
    const double x = 1.0 / c->threads, y = c->step_seconds.median;
    sx += x, sy += y, sxx += x * x, sxy += x * y, ++n;
    ps.insert(c->threads);
  }
  if (ps.size() < 2) return std::nullopt;
  const double den = n * sxx - sx * sx;
  Fit f{pattern, batch, shards, n, 0, 0};
  f.b = (n * sxy - sx * sy) / den;
  f.a = (sy - f.b * sx) / n;
  return f;
}

namespace {
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                                    "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31",
                                    "#843c39", "#7b4173", "#3182bd", "#e6550d"};
constexpr int kPointTypes[] = {7, 5, 9, 11, 13, 15};
}  // namespace

std::string ColourMap::colour(const std::string& pattern) const {
  if (pattern == kSequential) return "#000000";
  return kPalette[index(pattern) % std::size(kPalette)];
}
int ColourMap::point(const std::string& pattern) const { return kPointTypes[index(pattern) % std::size(kPointTypes)]; }
std::size_t ColourMap::index(const std::string& p) const {
  return std::size_t(std::find(order_.begin(), order_.end(), p) - order_.begin());
}

std::string weights_text(const Cell& c) {
  if (!c.matches_sequential) return "–";
  if (*c.matches_sequential) return "= sequential";
  return c.deterministic ? "DIFFERS (bug)" : "differs (by design)";
}

std::string flags_text(const Cell& c) { return flag_list(c.flags, ", "); }

}  // namespace gd::report
