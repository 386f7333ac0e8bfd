// Processes beside threads: the MPI patterns' cells (p = ranks × threads), their time on the
// wire against the communication model (measure/transport.hpp), and the model's prediction
// for more ranks and for real networks. The rest of the report shows one process (ranks 1);
// this section looks at every rank count.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "measure/statistics.hpp"
#include "measure/transport.hpp"
#include "report/run_report.hpp"
#include "report/text.hpp"
#include "train/model.hpp"

namespace gd::report {

namespace {

constexpr int kPredictedRanks[] = {2, 3, 4, 8, 16, 32, 64};  // 2 and 3 beside the measured points

std::string split_name(const Cell& c) {
  return fmt::format("{} rank{} × {} thread{}", c.ranks, c.ranks == 1 ? "" : "s", c.threads, c.threads == 1 ? "" : "s");
}

}  // namespace

void RunReport::processes(Doc& doc) {
  const Results& r = v_.r;
  // The patterns that ran as several processes, and their cells at every rank count.
  std::set<std::string> multi;
  for (const Cell& c : r.cells)
    if (c.ranks > 1 && !c.rep_seconds.empty()) multi.insert(c.pattern);
  if (multi.empty()) return;
  std::vector<const Cell*> cells;
  for (const Cell& c : r.cells)
    if (multi.count(c.pattern) && !c.rep_seconds.empty()) cells.push_back(&c);
  std::sort(cells.begin(), cells.end(), [](const Cell* a, const Cell* b) {
    return std::tie(a->batch, a->shards, a->pattern, a->ranks, a->threads) <
           std::tie(b->batch, b->shards, b->pattern, b->ranks, b->threads);
  });
  // Whether every rank cell has its own sequential baseline (measure/results.hpp).
  const bool paired = std::all_of(cells.begin(), cells.end(), [](const Cell* c) {
    return c->rep_reference_seconds.size() == c->rep_seconds.size();
  });
  const std::size_t param_floats = Layout(parse_layers(r.config.layers)).size;
  const double bytes = double(param_floats) * sizeof(float);
  const std::optional<Transport>& tr = r.transport;
  auto model_comm = [&](int ranks) -> std::optional<double> {
    if (!tr) return std::nullopt;
    return ring_allreduce_seconds(ranks, bytes, tr->alpha_seconds, tr->allreduce_beta_bytes_per_second);
  };

  doc.h3("Processes: MPI ranks beside threads", anchor_ + "-ranks");
  doc.para(fmt::format(
      "The MPI patterns run as processes, each a full replica of the model, and p = ranks × threads in S and "
      "E. Each rank computes its block of the shards; one step's gradient ({} floats, {} KiB) crosses between "
      "the processes once each way. Comm/step is the time a rank spent in the exchange (mean over the ranks; "
      "waiting for a slower rank counts), and the wait column how much of it was that wait: what a rank spent in "
      "an exchange before the last rank had come to it. The model's column is a ring allreduce of the gradient, "
      "2(p−1)α + 2(p−1)/p · n/β, with α and β measured on this machine's loopback transport{}. {}",
      grouped(double(param_floats)), sig(bytes / 1024, 3),
      tr ? fmt::format(": α {} µs, the one-way time of a small message between two ranks; β {} GB/s, the "
                       "bandwidth that fits the formula to the allreduce measured over sizes at {} ranks (one "
                       "message between two ranks reaches {} GB/s, but in a collective every rank sends, "
                       "receives and sums at once)",
                       sig(tr->alpha_seconds * 1e6, 2), sig(tr->allreduce_beta_bytes_per_second / 1e9, 3), tr->ranks,
                       sig(tr->beta_bytes_per_second / 1e9, 3))
         : " (not measured in this run: no job of two or more ranks)",
      paired ? "Each rank count ran in an mpirun job of its own, after the other cells; in it, rank 0 alone ran "
               "sequential (the same batch, shards, blocks and steps) right before each repetition, with the other "
               "ranks asleep, and S and E are against those runs: the two were measured side by side."
             : "Each rank count ran in an mpirun job of its own, after the other cells: its repetitions are not "
               "interleaved with theirs."));

  Table t{{"batch", "pattern", "ranks × threads", "p", "time/step ms [95% CI]", "S", "E", "comm/step µs", "wait µs",
           "model µs", "weights", "flags"},
          {}};
  struct Comm {
    double seconds;
    std::optional<double> wait, rest;  // rest: the median over repetitions of the time not spent waiting
  };
  std::map<int, Comm> measured_comm;  // ranks -> the deterministic pattern's comm/step, 1 thread a rank
  for (const Cell* c : cells) {
    const auto m = c->ranks > 1 ? model_comm(c->ranks) : std::nullopt;
    t.rows.push_back({{std::to_string(c->batch), c->pattern, split_name(*c), std::to_string(c->workers()),
                       fmt::format("{} [{}–{}]", ms(c->step_seconds.median), ms(c->step_seconds.ci95_low),
                                   ms(c->step_seconds.ci95_high)),
                       fixed2(c->speedup), fixed2(c->efficiency), us(c->comm_seconds_per_step),
                       us(c->wait_seconds_per_step), us(m), weights_text(*c), flags_text(*c)},
                      flagged(*c) ? "flag" : ""});
    // Oversubscribed, a rank waits for a CPU, not for the wire: left out.
    if (c->batch == v_.headline_batch() && c->threads == 1 && c->deterministic && c->comm_seconds_per_step &&
        c->workers() <= v_.cpus) {
      Comm m{*c->comm_seconds_per_step, c->wait_seconds_per_step, std::nullopt};
      if (c->wait_seconds_per_step) {
        std::vector<double> rest;
        for (std::size_t i = 0; i < c->rep_wait_seconds.size(); ++i)
          rest.push_back((c->rep_comm_seconds[i] - c->rep_wait_seconds[i]) / double(c->steps));
        m.rest = median_of(rest);
      }
      measured_comm[c->ranks] = m;
    }
  }

  // S and E against p at the headline batch: by processes (1 thread each) and by threads (1 process).
  const int batch = v_.headline_batch();
  int shards = 0;
  for (const Cell* c : cells)
    if (c->batch == batch && (shards == 0 || c->shards == v_.primary.at(batch))) shards = c->shards;
  // The sequential step the model splits over the ranks: where the rank cells have their own
  // baselines, those of the job that measured α and β (the median of their medians), so the
  // model's three inputs come from one job; else the sequential cell.
  std::optional<double> t_seq;
  std::vector<double> beside;
  for (const Cell* c : cells)
    if (c->batch == batch && c->shards == shards && !c->rep_reference_seconds.empty() && tr && c->ranks == tr->ranks)
      beside.push_back(median_of(c->rep_reference_seconds) / double(c->steps));
  if (paired && !beside.empty())
    t_seq = median_of(beside);
  else if (const Cell* seq = v_.sequential(batch, shards))
    t_seq = seq->step_seconds.median;
  int pmax = 1;
  for (const Cell* c : cells)
    if (c->batch == batch && c->shards == shards) pmax = std::max(pmax, c->workers());
  for (const bool efficiency : {false, true}) {
    report::LineChart ch;
    ch.title =
        fmt::format("{} against processes and threads, {}", efficiency ? "E" : "S", workload_name(batch, shards));
    ch.xlabel = "p (ranks × threads)";
    ch.ylabel = efficiency ? "E = S/p" : "S = T_seq/T_p";
    for (int p = 1; p <= pmax; ++p) ch.xtics.push_back(p);
    if (pmax > v_.cpus) ch.vline = v_.cpus, ch.vline_label = "CPUs available";
    for (const std::string& pattern : multi)
      for (const bool by_ranks : {true, false}) {
        std::vector<std::pair<double, double>> pts;
        for (const Cell* c : cells) {
          if (c->pattern != pattern || c->batch != batch || c->shards != shards) continue;
          if ((by_ranks ? c->threads : c->ranks) != 1 || !c->speedup) continue;
          const double y = efficiency ? *c->efficiency : *c->speedup;
          pts.push_back({double(c->workers()), y});
          if (flagged(*c)) ch.flagged.push_back(pts.back());
        }
        if (pts.size() < 2) continue;
        ch.series.push_back({fmt::format("{}, {}", pattern, by_ranks ? "ranks of 1 thread" : "threads in 1 rank"),
                             colours_.colour(pattern),
                             by_ranks ? report::Series::Style::LinesPoints : report::Series::Style::Points,
                             by_ranks ? 7 : 6, std::move(pts)});
      }
    if (t_seq && tr) {
      std::vector<std::pair<double, double>> pts{{1, 1}};
      for (int p = 2; p <= pmax; ++p) {
        const Prediction x = predict_step(*t_seq, p, bytes, tr->alpha_seconds, tr->allreduce_beta_bytes_per_second);
        pts.push_back({double(p), efficiency ? x.efficiency : x.speedup});
      }
      ch.series.push_back({"model (loopback α, β)", "#888888", report::Series::Style::DashedLine, 0, pts});
    }
    if (ch.series.empty()) continue;
    std::string text =
        "Filled points: ranks of one thread each; open points: threads of one process. The dashed line is the "
        "model: the sequential step's compute split evenly over p ranks, plus the ring allreduce.";
    if (!ch.flagged.empty())
      text += fmt::format(" {} flagged point{} circled in red.", ch.flagged.size(), ch.flagged.size() == 1 ? "" : "s");
    doc.figure(chart(efficiency ? "ranks-efficiency" : "ranks-speedup", ch.title, ch, text));
  }
  doc.table(std::move(t));

  if (!tr) return;
  // How good is the model here? The measured exchange against it, then the allreduce sizes.
  // With the wait known, the model meets what it models: the exchange without the wait.
  std::vector<std::string> said;
  bool waits = true;
  for (const auto& [ranks, comm] : measured_comm) {
    if (ranks < 2) continue;
    const double model = *model_comm(ranks);
    waits = waits && comm.rest;
    if (comm.rest)
      said.push_back(fmt::format(
          "at {} ranks the exchange took {} µs a step and waited {} µs of it for the slower rank (medians over "
          "the repetitions); without the wait, the median of each repetition's difference, it took {} µs against "
          "the model's {} µs ({}×)",
          ranks, sig(comm.seconds * 1e6, 3), sig(*comm.wait * 1e6, 3), sig(*comm.rest * 1e6, 3), sig(model * 1e6, 3),
          sig(*comm.rest / model, 2)));
    else
      said.push_back(fmt::format("at {} ranks the exchange took {} µs a step against the model's {} µs ({}×)", ranks,
                                 sig(comm.seconds * 1e6, 3), sig(model * 1e6, 3), sig(comm.seconds / model, 2)));
  }
  if (!said.empty())
    doc.para(fmt::format(
        "Measured against the model, batch {}: {}. Above 1×, the difference is what the model leaves out: {}the "
        "copies in and out of the message buffers, and the exchange's own steps. Rank counts above the CPUs are "
        "left out: there a rank waits for a CPU.",
        batch, join(said, "; "), waits ? "" : "the wait for the slower rank, "));
  if (!tr->allreduce.empty()) {
    Table a{{"MPI_Allreduce of", "measured µs", "ring model µs", "measured / model"}, {}};
    for (auto [n, s] : tr->allreduce) {
      const double m = ring_allreduce_seconds(tr->ranks, n, tr->alpha_seconds, tr->allreduce_beta_bytes_per_second);
      a.rows.push_back({{fmt::format("{} floats ({} KiB)", grouped(n / sizeof(float)), sig(n / 1024, 3)),
                         sig(s * 1e6, 3), sig(m * 1e6, 3), sig(s / m, 2)},
                        ""});
    }
    doc.para(
        fmt::format("The allreduce over sizes, {} ranks on the loopback transport (median of 11), against the "
                    "ring model with the fitted β (small messages pay more than α: the collective's own "
                    "set-up):",
                    tr->ranks));
    doc.table(std::move(a));
  }
  if (!t_seq) return;
  // Planning on paper: more ranks, and real networks.
  Table p{{"ranks"}, {}};
  struct Net {
    std::string name;
    double alpha, beta;
  };
  std::vector<Net> nets{{"loopback (measured)", tr->alpha_seconds, tr->allreduce_beta_bytes_per_second}};
  for (const Network& n : kNetworks) nets.push_back({n.name, n.alpha_seconds, n.beta_bytes_per_second});
  for (const Net& n : nets) p.header.push_back(n.name + ": step ms, E");
  p.header.push_back("measured: step ms, E");
  for (int ranks : kPredictedRanks) {
    Row row{{std::to_string(ranks)}, ""};
    for (const Net& n : nets) {
      const Prediction x = predict_step(*t_seq, ranks, bytes, n.alpha, n.beta);
      row.cells.push_back(fmt::format("{}, {}", ms(x.step_seconds), fixed2(x.efficiency)));
    }
    std::string measured = "–";
    for (const Cell* c : cells)
      if (c->batch == batch && c->shards == shards && c->threads == 1 && c->ranks == ranks && c->deterministic)
        measured = fmt::format("{}, {}", ms(c->step_seconds.median), fixed2(c->efficiency));
    row.cells.push_back(measured);
    p.rows.push_back(std::move(row));
  }
  doc.para(fmt::format(
      "Predicted for more ranks, {} (the sequential step {} ms): the compute split evenly over the ranks, which "
      "needs at least as many shards as ranks, plus the ring allreduce of the gradient. The networks' α and β "
      "are nominal (line rate and a usual MPI latency for the kind), not measured here. Where the prediction's "
      "E falls, the gradient's exchange outweighs each rank's share of the step: a larger batch per rank, or "
      "fewer parameters, moves the point.",
      workload_name(batch, shards), ms(*t_seq)));
  doc.table(std::move(p));
}

}  // namespace gd::report
