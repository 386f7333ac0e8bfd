#include "report/run_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "report/text.hpp"

namespace gd::report {

void RunReport::efficiency_threads(Doc& doc) {
  const int batch = v_.headline_batch();
  const int shards = v_.primary.at(batch);
  doc.h3("Efficiency", anchor_ + "-efficiency");
  report::LineChart c = threads_chart(fmt::format("Efficiency E = S / p, {}", workload_name(batch, shards)),
                                      "efficiency E", "ideal E = 1", 1.0);
  std::vector<std::pair<double, double>> ceiling;
  for (const Cell* x : v_.series(kIndependent, batch, shards))
    if (x->efficiency) ceiling.push_back({double(x->threads), *x->efficiency});
  if (!ceiling.empty())
    c.series.push_back({"machine ceiling (p independent sequential copies)", "#555555",
                        report::Series::Style::DashedLine, 0, ceiling});
  for (const auto& pattern : v_.patterns) {
    std::vector<std::pair<double, double>> pts;
    for (const Cell* x : v_.series(pattern, batch, shards)) {
      if (!x->efficiency) continue;
      pts.push_back({double(x->threads), *x->efficiency});
      if (flagged(*x)) c.flagged.push_back({double(x->threads), *x->efficiency});
    }
    if (!pts.empty())
      c.series.push_back(
          {pattern, colours_.colour(pattern), report::Series::Style::LinesPoints, colours_.point(pattern), pts});
  }
  std::vector<std::string> text;
  const Cell *lo = nullptr, *hi = nullptr;
  for (const auto& pattern : v_.patterns) {
    if (pattern == kSequential) continue;
    if (const Cell* x = v_.find(pattern, v_.pc, batch, shards); x && x->efficiency) {
      if (!lo || *x->efficiency < *lo->efficiency) lo = x;
      if (!hi || *x->efficiency > *hi->efficiency) hi = x;
    }
  }
  if (lo && hi)
    text.push_back(fmt::format("At p = {} efficiency runs from {} ({}) to {} ({}).", v_.pc, fixed2(lo->efficiency),
                               lo->pattern, fixed2(hi->efficiency), hi->pattern));
  if (const Cell* x = v_.find(kIndependent, v_.pc, batch, shards); x && x->efficiency && v_.pc > 1) {
    text.push_back(
        fmt::format("The machine's ceiling (the dashed grey line): {} copies of the sequential step at "
                    "once, sharing nothing, ran at E = {}.",
                    v_.pc, fixed2(x->efficiency)));
    if (hi && *hi->efficiency > *x->efficiency)
      text.push_back(fmt::format(
          "{} lies above it: noise, or one shared model used the caches better than {} separate copies did.",
          hi->pattern, v_.pc));
    else if (lo)
      text.push_back(
          "What a pattern loses below it is its own cost: waiting, and moving gradients and weights "
          "between the cores.");
  }
  // Karp–Flatt: flat e means a fixed serial part, growing e means overhead that grows with p.
  std::vector<std::string> growing, flat;
  for (const auto& pattern : v_.patterns) {
    std::vector<const Cell*> kf;
    for (const Cell* x : v_.series(pattern, batch, shards))
      if (x->threads > 1 && x->threads <= v_.cpus && x->karp_flatt) kf.push_back(x);
    if (kf.size() < 2) continue;
    const double first = *kf.front()->karp_flatt, last = *kf.back()->karp_flatt;
    (last - first > 0.02 ? growing : flat).push_back(fmt::format("{} ({} → {})", pattern, fixed2(first), fixed2(last)));
  }
  if (!growing.empty())
    text.push_back(
        fmt::format("The Karp–Flatt fraction e grows with p for {}: overhead that grows with the "
                    "thread count, not a fixed serial part.",
                    and_list(growing)));
  if (!flat.empty())
    text.push_back(fmt::format("It stays flat for {}: a fixed serial part, as Amdahl's law assumes.", and_list(flat)));
  if (growing.empty() && flat.empty() && lo && hi) {
    const Cell *klo = nullptr, *khi = nullptr;
    for (const auto& pattern : v_.patterns)
      if (const Cell* x = v_.find(pattern, v_.pc, batch, shards); x && x->karp_flatt) {
        if (!klo || *x->karp_flatt < *klo->karp_flatt) klo = x;
        if (!khi || *x->karp_flatt > *khi->karp_flatt) khi = x;
      }
    if (klo && khi)
      text.push_back(fmt::format(
          "Karp–Flatt serial fraction at p = {}: from {} ({}) to {} ({}). With one thread count above 1 within "
          "the CPUs available, whether e grows with p cannot be told here; a machine with more CPUs can.",
          v_.pc, fixed2(klo->karp_flatt), klo->pattern, fixed2(khi->karp_flatt), khi->pattern));
  }
  if (!c.flagged.empty())
    text.push_back(
        fmt::format("{} flagged point{} circled in red.", c.flagged.size(), c.flagged.size() == 1 ? "" : "s"));
  if (c.series.size() > 1) doc.figure(chart("efficiency-threads", c.title, c, join(text, " ")));
}

void RunReport::efficiency_batch(Doc& doc) {
  report::LineChart c = batch_chart(fmt::format("Efficiency against batch size, p = {}", v_.pc), "efficiency E");
  for (const auto& pattern : v_.patterns) {
    std::vector<std::pair<double, double>> pts;
    for (int batch : v_.batches)
      if (const Cell* x = v_.find(pattern, v_.pc, batch, v_.primary.at(batch)); x && x->efficiency) {
        pts.push_back({double(batch), *x->efficiency});
        if (flagged(*x)) c.flagged.push_back({double(batch), *x->efficiency});
      }
    if (!pts.empty())
      c.series.push_back(
          {pattern, colours_.colour(pattern), report::Series::Style::LinesPoints, colours_.point(pattern), pts});
  }
  // Fastest pattern per batch size (any p), and the batch size from which each pattern's
  // parallel step beats the sequential one beyond noise: below it, coordinating p threads
  // (spawning them, handing work over, waiting) costs more than the work they share.
  std::vector<std::string> fastest, text;
  for (int batch : v_.batches) {
    const int shards = v_.primary.at(batch);
    const Cell* best = nullptr;
    for (const auto& pattern : v_.patterns)
      for (const Cell* x : v_.series(pattern, batch, shards))
        if (!best || x->step_seconds.median < best->step_seconds.median) best = x;
    if (best)
      fastest.push_back(fmt::format("batch {}: {}, {} ms", batch, cell_name(*best), ms(best->step_seconds.median)));
  }
  if (!fastest.empty()) text.push_back(fmt::format("Fastest at each batch size: {}.", join(fastest, "; ")));
  if (v_.pc > 1) {
    std::vector<std::string> from, always, never;
    for (const auto& pattern : v_.patterns) {
      if (pattern == kSequential) continue;
      std::vector<std::pair<int, bool>> pays;  // batch, beats sequential beyond noise
      for (int batch : v_.batches) {
        const int shards = v_.primary.at(batch);
        const Cell* x = v_.find(pattern, v_.pc, batch, shards);
        const Cell* seq = v_.sequential(batch, shards);
        if (x && seq) pays.push_back({batch, faster_beyond_noise(*x, *seq)});
      }
      if (pays.empty()) continue;
      // The smallest batch from which it pays at every larger batch too.
      int start = -1;
      for (int i = int(pays.size()) - 1; i >= 0 && pays[i].second; --i) start = i;
      if (start == 0)
        always.push_back(pattern);
      else if (start < 0)
        never.push_back(pattern);
      else
        from.push_back(fmt::format("{} from batch {} (not at {})", pattern, pays[start].first, pays[start - 1].first));
    }
    if (!from.empty())
      text.push_back(
          fmt::format("Running the step on {} threads pays (beats sequential beyond noise) only for large "
                      "enough batches: {}. Below that, spawning or waking the threads and combining "
                      "costs more than the shared work saves.",
                      v_.pc, join(from, "; ")));
    if (!always.empty()) text.push_back(fmt::format("It pays at every batch size measured for {}.", and_list(always)));
    if (!never.empty()) text.push_back(fmt::format("It pays at no batch size measured for {}.", and_list(never)));
  }
  if (!c.flagged.empty())
    text.push_back(
        fmt::format("{} flagged point{} circled in red.", c.flagged.size(), c.flagged.size() == 1 ? "" : "s"));
  if (!c.series.empty()) doc.figure(chart("efficiency-batch", c.title, c, join(text, " ")));
}

// A primitive's name shortened for the chart's rotated axis labels: its start and its end,
// where names of one family differ ("... plain stores", "... with write prefetch"). The

}  // namespace gd::report
