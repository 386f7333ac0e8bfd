// The two axes side by side. At each batch: the fastest pattern that splits the data
// (shards), the fastest that splits the model (neuron blocks) and the fastest that splits
// both, each at whichever (shards, blocks) it ran fastest, against the fastest sequential
// run of that batch (S_best). The rest of the report shows one block count; this section
// looks at every cell.
#include <fmt/format.h>

#include <array>
#include <functional>
#include <map>

#include "report/run_report.hpp"
#include "report/text.hpp"

namespace gd::report {

namespace {

constexpr std::array kAxes{Axis::data, Axis::model, Axis::both};

const char* axis_colour(Axis a) {
  switch (a) {
    case Axis::model:
      return "#e45756";
    case Axis::both:
      return "#54a24b";
    default:
      return "#4c78a8";
  }
}

std::string configuration(const Cell& c) {
  return fmt::format("{} shard{} × {} block{}", c.shards, c.shards == 1 ? "" : "s", c.blocks, c.blocks == 1 ? "" : "s");
}

// The fastest complete cell of each axis at p threads and each batch, the fastest
// sequential run of each batch, and the machine's ceiling there.
struct Fastest {
  std::map<int, std::map<Axis, const Cell*>> by_axis;
  std::map<int, const Cell*> sequential, ceiling;
};

bool faster(const Cell* a, const Cell* b) { return !b || a->step_seconds.median < b->step_seconds.median; }

Fastest fastest(const RunView& v, int p, const std::function<Axis(const std::string&)>& axis_of) {
  Fastest f;
  for (const Cell& c : v.r.cells) {
    if (c.rep_seconds.empty() || !c.complete || c.ranks != 1) continue;  // processes: section_ranks.cpp
    if (c.pattern == kSequential) {
      if (c.threads == 1 && faster(&c, f.sequential[c.batch])) f.sequential[c.batch] = &c;
      continue;
    }
    if (c.threads != p || !c.speedup_best) continue;
    if (c.pattern == kIndependent) {
      if (faster(&c, f.ceiling[c.batch])) f.ceiling[c.batch] = &c;
      continue;
    }
    const Axis a = axis_of(c.pattern);
    if (a == Axis::none) continue;
    const Cell*& best = f.by_axis[c.batch][a];
    if (faster(&c, best)) best = &c;
  }
  return f;
}

}  // namespace

void RunReport::axes(Doc& doc) {
  if (!opt_.axis) return;
  const int p = v_.pc;
  const Fastest f = fastest(v_, p, opt_.axis);
  // Only a run that measured a pattern splitting the model has a second axis to show.
  bool model = false;
  for (const auto& [batch, m] : f.by_axis) model = model || m.count(Axis::model) || m.count(Axis::both);
  if (!model || p < 2) return;

  doc.h3(fmt::format("Data against model parallelism, p = {}", p), anchor_ + "-axes");
  doc.para(
      "Data parallelism splits the batch's samples into shards: every shard's gradient of all the parameters "
      "is combined across the cores. Model parallelism splits every layer's neurons into blocks: the "
      "activations and deltas of each layer cross the cores, once each way. Here is the fastest pattern of "
      "each kind at every batch, at whichever shards and blocks it ran fastest. S_best is against the "
      "fastest sequential run of the batch, whatever its shards and blocks, so the three are compared on "
      "one scale. Lesson 16 derives the volumes each kind moves and where they cross.");

  Table t{{"batch", "splits", "fastest", "shards × blocks", "time/step ms [95% CI]", "S_best", "E_best", "weights",
           "flags"},
          {}};
  report::LineChart c = batch_chart(fmt::format("S against the fastest sequential step, p = {}", p), "S_best");
  std::map<Axis, std::vector<std::pair<double, double>>> points;
  std::vector<std::pair<double, double>> ceiling;
  std::vector<std::string> winners;
  for (const auto& [batch, m] : f.by_axis) {
    if (const auto s = f.sequential.find(batch); s != f.sequential.end())
      t.rows.push_back(
          {{std::to_string(batch), "sequential (the reference)", cell_name(*s->second), configuration(*s->second),
            fmt::format("{} [{}–{}]", ms(s->second->step_seconds.median), ms(s->second->step_seconds.ci95_low),
                        ms(s->second->step_seconds.ci95_high)),
            "1.00", "", "", flags_text(*s->second)},
           flagged(*s->second) ? "flag" : ""});
    const Cell* first = nullptr;
    const Cell* second = nullptr;
    for (Axis a : kAxes) {
      const auto it = m.find(a);
      if (it == m.end()) continue;
      const Cell& x = *it->second;
      t.rows.push_back({{std::to_string(batch), axis_name(a), cell_name(x), configuration(x),
                         fmt::format("{} [{}–{}]", ms(x.step_seconds.median), ms(x.step_seconds.ci95_low),
                                     ms(x.step_seconds.ci95_high)),
                         fixed2(x.speedup_best), fixed2(*x.speedup_best / p), weights_text(x), flags_text(x)},
                        flagged(x) ? "flag" : ""});
      points[a].push_back({double(batch), *x.speedup_best});
      if (flagged(x)) c.flagged.push_back({double(batch), *x.speedup_best});
      if (faster(&x, first))
        second = first, first = &x;
      else if (faster(&x, second))
        second = &x;
    }
    if (const auto z = f.ceiling.find(batch); z != f.ceiling.end()) {
      const Cell& x = *z->second;
      t.rows.push_back({{std::to_string(batch), "the machine's ceiling", cell_name(x), configuration(x),
                         fmt::format("{} [{}–{}]", ms(x.step_seconds.median), ms(x.step_seconds.ci95_low),
                                     ms(x.step_seconds.ci95_high)),
                         fixed2(x.speedup_best), fixed2(*x.speedup_best / p), "", flags_text(x)},
                        flagged(x) ? "flag" : ""});
      ceiling.push_back({double(batch), *x.speedup_best});
    }
    if (!first) continue;
    const Axis wa = opt_.axis(first->pattern);
    std::string w = fmt::format("at batch {}, {} ({}, {}; S_best {})", batch, axis_name(wa), cell_name(*first),
                                configuration(*first), fixed2(first->speedup_best));
    if (second)
      w += overlap(*first, *second)
               ? fmt::format(", within noise of {} ({})", axis_name(opt_.axis(second->pattern)), cell_name(*second))
               : fmt::format(", beyond noise ahead of {} ({}, S_best {})", axis_name(opt_.axis(second->pattern)),
                             cell_name(*second), fixed2(second->speedup_best));
    winners.push_back(std::move(w));
  }
  for (Axis a : kAxes)
    if (!points[a].empty())
      c.series.push_back({axis_name(a), axis_colour(a), report::Series::Style::LinesPoints,
                          a == Axis::data    ? 7
                          : a == Axis::model ? 5
                                             : 9,
                          points[a]});
  if (!ceiling.empty())
    c.series.push_back(
        {"the machine's ceiling (independent)", "#888888", report::Series::Style::DashedLine, 0, ceiling});

  std::vector<std::string> text;
  if (!winners.empty()) text.push_back(fmt::format("Fastest: {}.", join(winners, "; ")));
  if (!ceiling.empty())
    text.push_back(
        "The dashed line is the machine's ceiling: p independent copies of the sequential step, which share "
        "nothing but the memory system.");
  if (!c.flagged.empty())
    text.push_back(
        fmt::format("{} flagged point{} circled in red.", c.flagged.size(), c.flagged.size() == 1 ? "" : "s"));
  doc.figure(chart("axes", c.title, c, join(text, " ")));
  doc.table(std::move(t));
}

}  // namespace gd::report
