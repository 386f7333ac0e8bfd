// The MPI patterns' cells of gdlab matrix: one mpirun job per rank count, each running
// gdlab matrix again as its ranks; and the loopback transport those jobs measure for the
// communication model (measure/transport.hpp).
#include "matrix_ranks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "commands.hpp"
#include "measure/environment.hpp"
#include "measure/metrics.hpp"
#include "measure/results.hpp"
#include "ranks/ranks.hpp"
#include "registry.hpp"
#include "train/cpus.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "train/gemm.hpp"
#include "train/model.hpp"

namespace gd::cli {
namespace {

std::string list_text(const std::vector<int>& v) {  // 0 written as "auto"
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ",") + (x == 0 ? std::string("auto") : std::to_string(x));
  return s;
}

// The rank patterns' cells run in MPI jobs, one per rank count: gdlab matrix again under
// mpirun, with this run's configuration spelled out (also after --resume), measuring only
// the cells of its own rank count and writing them to `out`.
std::vector<std::string> job_command(const MatrixConfig& c, int ranks, const std::string& out) {
  std::string patterns;
  for (const auto& p : c.patterns) patterns += (patterns.empty() ? "" : ",") + p;
  std::vector<std::string> args{std::filesystem::read_symlink("/proc/self/exe").string(),
                                "matrix",
                                "--patterns",
                                patterns,
                                "--threads",
                                list_text(c.threads),
                                "--batch",
                                list_text(c.batches),
                                "--shards",
                                list_text(c.shards),
                                "--blocks",
                                list_text(c.blocks),
                                "--ranks",
                                list_text(c.ranks),
                                "--layers",
                                c.layers,
                                "--data",
                                c.data,
                                "--samples",
                                std::to_string(c.samples),
                                "--steps",
                                std::to_string(c.steps),
                                "--rep-samples",
                                std::to_string(c.rep_samples),
                                "--warmup",
                                std::to_string(c.warmup),
                                "--reps",
                                std::to_string(c.reps),
                                "--seed",
                                std::to_string(c.seed),
                                "--kernels",
                                std::string(kernels_name(kernels())),
                                "--out",
                                out,
                                "--force"};
  if (c.target_accuracy > 0)  // fmt's shortest form reads back as the same double
    args.insert(args.end(), {"--target-accuracy", fmt::format("{}", c.target_accuracy), "--eval-every",
                             std::to_string(c.eval_every), "--epochs", std::to_string(c.epochs)});
  int threads = 1;
  for (int t : c.threads) threads = std::max(threads, t);
  return ranks::mpirun_command(ranks::mpirun_or_usage_error(), ranks, threads, available_cpus(), args);
}

// The job that measures the transport: the fewest ranks past one (0: none has two).
int transport_ranks(const std::vector<int>& ranks) {
  int best = 0;
  for (int n : ranks)
    if (n >= 2 && (best == 0 || n < best)) best = n;
  return best;
}

// α and β of the loopback transport (ping-pong from 16 bytes to 4 MiB), and the allreduce at
// several sizes, the gradient's among them (`param_floats`). Every rank of the job calls it.
Transport measure_transport(int ranks, std::size_t param_floats) {
  std::vector<std::pair<double, double>> pingpong;
  for (std::size_t bytes = 16; bytes <= (std::size_t(4) << 20); bytes *= 4)
    pingpong.emplace_back(double(bytes), ranks::pingpong_seconds(bytes, 21));
  Transport t = fit_transport(pingpong);
  t.ranks = ranks;
  std::vector<std::size_t> sizes{256, 4096, 65536, param_floats, std::size_t(1) << 20};
  std::sort(sizes.begin(), sizes.end());
  for (std::size_t n : sizes) t.allreduce.emplace_back(double(n * sizeof(float)), ranks::allreduce_seconds(n, 11));
  t.allreduce_beta_bytes_per_second = fit_allreduce_beta(t);
  return t;
}

}  // namespace

bool rank_cell(const Cell& c) { return is_rank_pattern(c.pattern); }

bool run_rank_jobs(Results& r, const std::string& out, const MatrixHooks& hooks) {
  for (int ranks : r.config.ranks) {
    auto mine = [&](const Cell& c) { return rank_cell(c) && c.ranks == ranks; };
    if (missing_repetitions(r, mine) == 0) continue;
    if (hooks.stop && hooks.stop()) return false;
    const std::string part = fmt::format("{}.ranks{}.json", out, ranks);
    fmt::print("matrix: the MPI patterns at {} rank{}, in a job of their own (mpirun)\n", ranks, ranks == 1 ? "" : "s");
    std::fflush(stdout);
    const int status = ranks::run_job(job_command(r.config, ranks, part), [] { return CtrlC::pressed(); });
    std::error_code ec;
    if (CtrlC::pressed()) {
      std::filesystem::remove(part, ec);
      std::filesystem::remove(csv_path_for(part), ec);
      return false;
    }
    std::optional<Results> got;
    if (status == 0) got = read_results(part);
    if (got && got->transport) r.transport = got->transport;
    std::filesystem::remove(part, ec);
    std::filesystem::remove(csv_path_for(part), ec);
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      if (!mine(r.cells[i])) continue;
      const Cell* measured = nullptr;
      if (got)
        for (const Cell& c : got->cells)
          if (c.key() == r.cells[i].key() && int(c.rep_seconds.size()) >= r.config.reps) measured = &c;
      if (measured) {
        r.cells[i] = *measured;
        continue;
      }
      const Cell& c = r.cells[i];
      Skipped sk{c.pattern,
                 c.threads,
                 c.batch,
                 c.shards,
                 fmt::format("the MPI job of {} ranks failed (mpirun exited with status {})", ranks, status),
                 c.blocks,
                 c.ranks};
      if (got)  // the job ran, and skipped the cell itself: its reason
        for (const Skipped& s : got->skipped)
          if (s.key() == c.key()) sk.reason = s.reason;
      if (hooks.warn)
        hooks.warn(fmt::format("skipped {} {}x{} batch={} shards={}: {}", c.pattern, c.ranks, c.threads, c.batch,
                               c.shards, sk.reason));
      r.skipped.push_back(std::move(sk));
      r.cells.erase(r.cells.begin() + long(i--));
    }
    compute_metrics(r);
    if (hooks.checkpoint) hooks.checkpoint(r);
  }
  return true;
}

void run_as_rank(const MatrixOptions& o) {
  ranks::Session session;
  try {
    if (session.rank() != 0 && !std::freopen("/dev/null", "w", stdout))
      throw std::runtime_error("cannot silence a rank");
    apply_kernels(o.kernels);
    Results r;
    r.config = config_from(o);
    r.environment = capture_environment(o.command_line);
    DataSplit data = load_data(r.config.data, std::uint64_t(r.config.seed));
    truncate(data.train, std::size_t(r.config.samples));
    r.cells = plan_cells(r.config, registry_refs());
    MatrixHooks hooks;
    hooks.runs_here = [&](const Cell& c) { return rank_cell(c) && c.ranks == session.size(); };
    // Each repetition's baseline, side by side with it: sequential on rank 0 alone.
    hooks.reference = [](const Cell&, const std::function<double()>& time_sequential) -> std::optional<double> {
      return ranks::on_rank0_alone(time_sequential);
    };
    hooks.combine = [](RepOutcome& x) {
      try {  // a rank that skipped these collectives would leave the others waiting in them
        ranks::combine_outcome(x.seconds, x.cpu_seconds, x.threads_at_work, x.busy_seconds);
        x.comm_seconds = ranks::mean_comm_seconds();
        x.wait_seconds = ranks::mean_wait_seconds();
      } catch (const std::exception& e) {
        ranks::abort_job(e.what(), 1);
      }
    };
    // Every rank makes the same cells in the same order; a step that fails in one rank
    // must end them all, not be skipped by this rank alone.
    std::vector<PatternRef> refs;
    for (PatternRef ref : registry_refs()) {
      if (ref.ranks)
        ref.make = [make = ref.make, warmup = r.config.warmup](int t) -> std::unique_ptr<Pattern> {
          // A repetition makes its pattern anew: the time on the wire counts from its
          // first timed step, after the warm-up.
          struct EndsTheJob final : Pattern {
            std::unique_ptr<Pattern> inner;
            long warmup = 0, steps = 0;
            void step(Step& s) override {
              if (steps++ == warmup) {
                ranks::reset_comm_seconds();
                ranks::log_exchanges();
              }
              try {
                inner->step(s);
              } catch (const std::exception& e) {
                ranks::abort_job(e.what(), 1);
              }
            }
          };
          auto p = std::make_unique<EndsTheJob>();
          p->inner = make(t);
          p->warmup = warmup;
          return p;
        };
      refs.push_back(std::move(ref));
    }
    // Time to accuracy too: every rank evaluates its own replica, and the replicas are equal
    // (gathered slices, or an allreduce whose result MPI makes the same on every rank), so
    // every rank stops at the same step without a word between them.
    run_matrix(r, refs, data.train, hooks, &data.test);
    if (session.size() == transport_ranks(r.config.ranks))
      r.transport = measure_transport(session.size(), Layout(parse_layers(r.config.layers)).size);
    if (session.rank() == 0) write_results(o.out, r);
  } catch (const UsageError& e) {
    ranks::abort_job(e.what(), 2);
  } catch (const std::exception& e) {
    ranks::abort_job(e.what(), 1);
  }
}

}  // namespace gd::cli
