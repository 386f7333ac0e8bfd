#include "report/run_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "measure/statistics.hpp"
#include "report/text.hpp"
#include "train/model.hpp"

namespace gd::report {
namespace {

std::string axis_label(const std::string& name) {
  constexpr std::size_t kHead = 16, kTail = 17;
  if (name.size() <= kHead + kTail + 1) return name;
  std::size_t head = kHead, tail = name.size() - kTail;
  while (head > 0 && (static_cast<unsigned char>(name[head]) & 0xC0) == 0x80) --head;  // not inside a UTF-8 character
  while (tail < name.size() && (static_cast<unsigned char>(name[tail]) & 0xC0) == 0x80) ++tail;
  return name.substr(0, head) + "…" + name.substr(tail);
}

// Spearman's rank correlation of two equally long lists: 1 when they rank alike, -1 when
// one ranks in the reverse order of the other. Ties share the mean of their ranks. Not
// defined (nullopt) when either list has every value equal.
std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
      for (std::size_t k = i; k <= j; ++k) r[order[k]] = double(i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const std::vector<double> rx = ranks(x), ry = ranks(y);
  const double n = double(x.size()), mean = (n + 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0 || syy == 0) return std::nullopt;
  return sxy / std::sqrt(sxx * syy);
}

// A pattern's overhead beside what it pays per step in primitives (ReportOptions::pays),
// priced with the primitives the run measured.
struct Priced {
  const Cell* cell;
  double overhead_us;
  std::string uses;               // "2 × name (1.9 µs) + ..."
  std::optional<double> cost_us;  // absent when a primitive it uses was not measured
};

// The cells with a positive overhead, cheapest first, each with its primitives priced
// when `pays` knows the pattern.
// `layers`: the model's, for what a pattern pays once a layer.
std::vector<Priced> price(const std::vector<const Cell*>& cells, const std::vector<const Primitive*>& prims,
                          const ReportOptions& opt, int layers) {
  std::vector<Priced> out;
  for (const Cell* x : cells) {
    Priced y{x, *x->overhead_per_step_seconds * 1e6, "", std::nullopt};
    const auto uses = opt.pays ? opt.pays(x->pattern) : std::span<const PrimitiveUse>{};
    if (!uses.empty()) y.cost_us = 0.0;
    std::vector<std::pair<std::string_view, double>> counted;  // rows of one primitive added up, in order
    for (const PrimitiveUse& u : uses) {
      if (!u.applies(x->threads * x->ranks, x->shards)) continue;
      auto same = std::find_if(counted.begin(), counted.end(), [&](const auto& c) { return c.first == u.primitive; });
      if (same == counted.end())
        counted.emplace_back(u.primitive, u.times(layers));
      else
        same->second += u.times(layers);
    }
    for (const auto& row : counted) {
      const std::string_view primitive = row.first;  // a plain name: clang 14 cannot capture a structured binding
      const double times = row.second;
      auto it = std::find_if(prims.begin(), prims.end(), [&](const Primitive* p) { return p->name == primitive; });
      y.uses += fmt::format("{}{} × {} ({})", y.uses.empty() ? "" : " + ", times, primitive,
                            it == prims.end() ? "not measured" : sig((*it)->microseconds) + " µs");
      if (it == prims.end())
        y.cost_us.reset();
      else if (y.cost_us)
        *y.cost_us += times * (*it)->microseconds;
    }
    out.push_back(std::move(y));
  }
  std::sort(out.begin(), out.end(), [](const Priced& a, const Priced& b) { return a.overhead_us < b.overhead_us; });
  return out;
}

// The sentences that set the priced patterns' overheads beside their primitives.
std::vector<std::string> pricing_text(const std::vector<const Priced*>& priced, int shards, int p) {
  std::vector<double> o, k, share, rest;
  int flagged_cells = 0;
  for (const Priced* y : priced) {
    o.push_back(y->overhead_us);
    k.push_back(*y->cost_us);
    share.push_back(*y->cost_us / y->overhead_us);
    rest.push_back(y->overhead_us - *y->cost_us);
    flagged_cells += flagged(*y->cell);
  }
  std::vector<std::string> text;
  const auto [slo, shi] = std::minmax_element(share.begin(), share.end());
  text.push_back(fmt::format("Their primitives (the table below) cost {}–{}% of these overheads.", sig(*slo * 100, 2),
                             sig(*shi * 100, 2)));
  const std::optional<double> rho = spearman(o, k);
  const Priced* dearest =
      *std::max_element(priced.begin(), priced.end(), [](auto* a, auto* b) { return *a->cost_us < *b->cost_us; });
  const auto rank = std::find(priced.begin(), priced.end(), dearest) - priced.begin() + 1;
  if (rho)
    text.push_back(fmt::format(
        "Ranked by that cost, the {} priced patterns come in {} order as by overhead: Spearman's ρ = {:.2f} "
        "(1: the same order, 0: unrelated, −1: reversed). The dearest in primitives, {} ({} µs a step), ranks "
        "{} of {} by overhead.",
        priced.size(),
        *rho >= 0.9   ? "nearly the same"
        : *rho >= 0.6 ? "much the same"
        : *rho >= 0.3 ? "only partly the same"
                      : "not the same",
        std::fabs(*rho) < 0.005 ? 0.0 : *rho, dearest->cell->pattern, sig(*dearest->cost_us), rank, priced.size()));
  else
    text.push_back(
        "Every priced pattern has the same overhead or the same primitive cost, so the two "
        "rankings cannot be compared.");
  const double median = median_of(rest);
  std::vector<std::string> parts;
  if (shards < p)
    parts.push_back(fmt::format("the time {} of the {} threads wait{} in the map phase (only {} shard{})", p - shards,
                                p, p - shards == 1 ? "s" : "", shards, shards == 1 ? "" : "s"));
  parts.push_back(
      "the combine and update reading gradients and weights that other cores wrote (the rewrite rows, "
      "where measured, price a MiB of that)");
  if (median > 0)
    text.push_back(fmt::format("The rest (the last column; median {} µs a step) is not priced here. It includes {}.",
                               sig(median), and_list(parts)));
  else
    text.push_back(
        fmt::format("The primitives cost more than most of these overheads (the last column; median "
                    "{} µs a step): the registry's primitives overprice these patterns.",
                    sig(median)));
  std::vector<std::string> far;
  for (std::size_t i = 0; i < priced.size(); ++i)
    if (median > 0 && rest[i] > 2 * median)
      far.push_back(fmt::format("{} ({} µs)", priced[i]->cell->pattern, sig(rest[i])));
  if (!far.empty())
    text.push_back(fmt::format("More than twice that for {}: {} more per step than {} primitives cost alone.",
                               and_list(far), far.size() == 1 ? "it pays" : "they pay",
                               far.size() == 1 ? "its" : "their"));
  if (flagged_cells > 0)
    text.push_back(fmt::format("{} of these {} cells {} flagged (⚠): read their order with care.", flagged_cells,
                               priced.size(), flagged_cells == 1 ? "is" : "are"));
  return text;
}

}  // namespace

void RunReport::overhead(Doc& doc) {
  // The smallest batch: a step has the least work there, so what a pattern adds to it
  // weighs most. With fewer shards than threads, the overhead also holds the time the
  // threads without a shard wait in the map phase.
  const int batch = v_.batches.empty() ? 0 : v_.batches.front();
  const int shards = v_.primary.count(batch) ? v_.primary.at(batch) : 1;
  doc.h3("Overhead per step and the primitives behind it", anchor_ + "-overhead");
  report::BarChart c;
  c.title = fmt::format("Overhead per step at p = {}, {}; primitive costs", v_.pc, workload_name(batch, shards));
  c.ylabel = "microseconds (log scale)";
  c.group_title[0] = "pattern: overhead per step (p·T_p − T_seq)/p";
  c.group_title[1] = "primitive: one operation";
  c.group_color[0] = "#4c78a8";
  c.group_color[1] = "#b0b0b0";
  std::vector<const Cell*> cells, negative;
  for (const auto& pattern : v_.patterns) {
    if (pattern == kSequential) continue;
    if (const Cell* x = v_.find(pattern, v_.pc, batch, shards); x && x->overhead_per_step_seconds) {
      if (*x->overhead_per_step_seconds > 0) {
        cells.push_back(x);
        c.bars.push_back({x->pattern, *x->overhead_per_step_seconds * 1e6, 0, flagged(*x)});
      } else {
        negative.push_back(x);
      }
    }
  }
  // Primitives measured on the same thread count (or the nearest one measured).
  std::vector<const Primitive*> prims;
  int pp = 0;
  for (const auto& p : v_.r.primitives)
    if (pp == 0 || std::abs(p.threads - v_.pc) < std::abs(pp - v_.pc)) pp = p.threads;
  for (const auto& p : v_.r.primitives)
    if (p.threads == pp && p.microseconds > 0) prims.push_back(&p);
  std::sort(prims.begin(), prims.end(), [](auto* a, auto* b) { return a->microseconds < b->microseconds; });
  for (const Primitive* p : prims) c.bars.push_back({axis_label(p->name), p->microseconds, 1, false});

  const std::vector<Priced> all = price(cells, prims, opt_, int(parse_layers(v_.r.config.layers).size()) - 1);
  std::vector<const Priced*> priced;
  for (const Priced& y : all)
    if (y.cost_us) priced.push_back(&y);

  std::vector<std::string> text;
  if (!all.empty()) {
    std::vector<std::string> names;
    for (const Priced& y : all) names.push_back(fmt::format("{} ({} µs)", y.cell->pattern, sig(y.overhead_us)));
    text.push_back(fmt::format("Ranked by overhead, cheapest first: {}.", join(names, ", ")));
  }
  if (priced.size() >= 3) {
    for (std::string& t : pricing_text(priced, shards, v_.pc)) text.push_back(std::move(t));
  } else if (!all.empty() && !prims.empty()) {
    const bool known = std::any_of(all.begin(), all.end(), [](const Priced& y) { return !y.uses.empty(); });
    text.push_back(known ? fmt::format("Only {} pattern{} could be priced with the primitives measured: too few "
                                       "to compare the rankings.",
                                       priced.size(), priced.size() == 1 ? "" : "s")
                         : "What each pattern pays per step in primitives is not known to this report "
                           "(gdlab report takes it from the pattern registry).");
  }
  if (!negative.empty()) {
    std::vector<std::string> names;
    for (const Cell* x : negative)
      names.push_back(fmt::format("{} ({} µs)", x->pattern, us(x->overhead_per_step_seconds)));
    text.push_back(fmt::format("No bar for {}: overhead ≤ 0, faster than p × sequential allows (caches, or noise).",
                               and_list(names)));
  }
  if (prims.empty())
    text.push_back("This results file holds no primitive costs, so the patterns stand alone here.");
  else
    text.push_back(
        fmt::format("Grey bars: the primitives measured on {} thread{}, cheapest first.", pp, pp == 1 ? "" : "s"));
  if (!c.bars.empty() && (!cells.empty() || !prims.empty()))
    doc.figure(chart("overhead", c.title, c, join(text, " ")));
  else if (!text.empty())
    doc.para(join(text, " "));
  if (prims.empty() || std::none_of(all.begin(), all.end(), [](const Priced& y) { return !y.uses.empty(); })) return;
  Table t{{"pattern", "overhead µs a step", "pays per step", "those primitives µs", "share", "the rest µs"}, {}};
  for (const Priced& y : all) {
    if (y.uses.empty()) continue;
    t.rows.push_back({{y.cell->pattern, sig(y.overhead_us), y.uses, y.cost_us ? sig(*y.cost_us) : "–",
                       y.cost_us ? sig(*y.cost_us / y.overhead_us * 100, 2) + "%" : "–",
                       y.cost_us ? sig(y.overhead_us - *y.cost_us) : "–"},
                      flagged(*y.cell) ? "flag" : ""});
  }
  doc.table(std::move(t));
}

}  // namespace gd::report
