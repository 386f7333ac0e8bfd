#include "measure/harness.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "train/error.hpp"
#include "train/model.hpp"
#include "train/trainer.hpp"

#ifdef EIGEN_USE_BLAS
extern "C" char* openblas_get_config(void);
#endif

extern char** environ;

// Versions and flags of the build, passed in by shared/measure/CMakeLists.txt.
#ifndef GDLAB_CXX_FLAGS
#define GDLAB_CXX_FLAGS "unknown"
#endif
#ifndef GDLAB_SOURCE_DIR
#define GDLAB_SOURCE_DIR ""
#endif
#ifndef GDLAB_COMPILER
#define GDLAB_COMPILER "unknown"
#endif
#ifndef GDLAB_KERNEL_LIB
#define GDLAB_KERNEL_LIB "unknown"
#endif

namespace gd {

// ---- statistics ------------------------------------------------------------------

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Ranks median_ci_ranks(int n, double level) {
  if (n < 1) return {0, 0};
  // P(B <= j) for B ~ Binomial(n, 1/2), accumulated term by term in log space.
  auto log_term = [n](int j) {
    return std::lgamma(n + 1.0) - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0) - n * std::log(2.0);
  };
  int best = 1;
  // coverage(k) = 1 - 2 P(B <= k - 1) shrinks as k grows: keep the last k that reaches `level`.
  double cdf = 0;  // P(B <= k - 1), starting with k = 1: P(B <= 0)
  for (int k = 1; 2 * k <= n + 1; ++k) {
    cdf += std::exp(log_term(k - 1));
    if (1 - 2 * cdf >= level) best = k;
    else break;
  }
  return {best, n + 1 - best};
}

StepStats summarize(std::vector<double> v) {
  StepStats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = median_of(v);
  s.min = v.front();
  s.max = v.back();
  Ranks r = median_ci_ranks(int(v.size()));
  s.ci95_low = v[r.low - 1];
  s.ci95_high = v[r.high - 1];
  return s;
}

// ---- metrics ----------------------------------------------------------------------

double speedup(double t_seq, double t_p) { return t_p > 0 ? t_seq / t_p : 0; }
double efficiency(double s, int p) { return p > 0 ? s / p : 0; }
std::optional<double> karp_flatt(double s, int p) {
  if (p <= 1 || s <= 0) return std::nullopt;
  return (1 / s - 1.0 / p) / (1 - 1.0 / p);
}
double overhead_per_step(double T_p, double T_seq, int p, long steps) {
  return (p * T_p - T_seq) / (double(p) * double(steps));
}

namespace {

bool has_flag(const Cell& c, const std::string& f) { return std::find(c.flags.begin(), c.flags.end(), f) != c.flags.end(); }

const Cell* find_cell(const Results& r, const std::string& pattern, int threads, int batch, int shards) {
  for (const Cell& c : r.cells)
    if (c.pattern == pattern && c.threads == threads && c.batch == batch && c.shards == shards && !c.rep_seconds.empty())
      return &c;
  return nullptr;
}

}  // namespace

void compute_metrics(Results& r) {
  const int cpus = r.environment.cpus_available > 0 ? r.environment.cpus_available : available_cpus();
  // Pass 1: each cell on its own.
  for (Cell& c : r.cells) {
    const bool reps_differ = has_flag(c, "reps_differ");  // observed while running, kept
    c.flags.clear();
    c.complete = int(c.rep_seconds.size()) >= r.config.reps;
    c.speedup = c.speedup_best = c.speedup_relative = c.efficiency = c.karp_flatt = c.overhead_per_step_seconds =
        std::nullopt;
    c.matches_sequential = std::nullopt;
    if (c.rep_seconds.empty()) {
      c.step_seconds = {};
      c.cpu_seconds_median = c.parallelism = c.samples_per_second = 0;
      c.flags.push_back("incomplete");
      continue;
    }
    std::vector<double> per_step, ratio;
    for (std::size_t i = 0; i < c.rep_seconds.size(); ++i) {
      per_step.push_back(c.rep_seconds[i] / double(c.steps));
      ratio.push_back(c.rep_seconds[i] > 0 ? c.rep_cpu_seconds[i] / c.rep_seconds[i] : 0);
    }
    c.step_seconds = summarize(per_step);
    c.cpu_seconds_median = median_of(c.rep_cpu_seconds);
    c.parallelism = median_of(ratio);
    c.useful_parallelism = c.imbalance = std::nullopt;
    if (!c.rep_useful_parallelism.empty()) c.useful_parallelism = median_of(c.rep_useful_parallelism);
    if (!c.rep_imbalance.empty()) c.imbalance = median_of(c.rep_imbalance);
    c.samples_per_second = c.step_seconds.median > 0 ? c.batch / c.step_seconds.median : 0;
    if (c.threads > cpus) c.flags.push_back("oversubscribed");
    if (c.threads > 1 && c.parallelism < kLowParallelism * std::min(c.threads, cpus)) c.flags.push_back("low_parallelism");
    if (c.step_seconds.median > 0 && (c.step_seconds.max - c.step_seconds.min) / c.step_seconds.median > kNoisySpread)
      c.flags.push_back("noisy");
    if (!c.complete) c.flags.push_back("incomplete");
    if (reps_differ) c.flags.push_back("reps_differ");
  }
  // Pass 2: against the sequential and the 1-thread cells.
  for (Cell& c : r.cells) {
    if (c.rep_seconds.empty()) continue;
    const double t_p = c.step_seconds.median;
    if (const Cell* seq = find_cell(r, "sequential", 1, c.batch, c.shards)) {
      const double t_seq = seq->step_seconds.median;
      c.speedup = speedup(t_seq, t_p);
      c.efficiency = efficiency(*c.speedup, c.threads);
      c.karp_flatt = karp_flatt(*c.speedup, c.threads);
      // In per-step times: (p T_p - T_seq) / (p steps) = (p t_p - t_seq) / p.
      c.overhead_per_step_seconds = overhead_per_step(t_p, t_seq, c.threads, 1);
      if (c.pattern != "sequential" && seq->steps == c.steps && !seq->checksum.empty()) {
        c.matches_sequential = c.checksum == seq->checksum;
        if (c.deterministic && !*c.matches_sequential) c.flags.push_back("checksum_differs");
      }
    }
    double best = 0;
    for (const Cell& s : r.cells)
      if (s.pattern == "sequential" && s.threads == 1 && s.batch == c.batch && !s.rep_seconds.empty() &&
          (best == 0 || s.step_seconds.median < best))
        best = s.step_seconds.median;
    if (best > 0) c.speedup_best = speedup(best, t_p);
    if (const Cell* one = find_cell(r, c.pattern, 1, c.batch, c.shards)) c.speedup_relative = speedup(one->step_seconds.median, t_p);
  }
}

// ---- environment ------------------------------------------------------------------

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

namespace {

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    ::pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      if (auto colon = line.find(':'); colon != std::string::npos) {
        auto first = line.find_first_not_of(' ', colon + 1);
        return first == std::string::npos ? "" : line.substr(first);
      }
  utsname u{};
  return ::uname(&u) == 0 ? std::string(u.machine) : "unknown";
}

std::string git_commit() {
  const std::string dir = GDLAB_SOURCE_DIR;
  if (dir.empty()) return "unknown";
  std::string head = run_command("git -C '" + dir + "' rev-parse --short HEAD 2>/dev/null");
  if (head.empty()) return "unknown";
  if (!run_command("git -C '" + dir + "' status --porcelain --untracked-files=no 2>/dev/null").empty()) head += "-dirty";
  return head;
}

}  // namespace

std::map<std::string, std::string> library_versions() {
  std::map<std::string, std::string> v;
#ifdef GDLAB_BOOST_VERSION
  v["boost"] = GDLAB_BOOST_VERSION;
#endif
#ifdef GDLAB_TBB_VERSION
  v["onetbb"] = GDLAB_TBB_VERSION;
#endif
#ifdef GDLAB_OPENMP_VERSION
  v["openmp"] = GDLAB_OPENMP_VERSION;
#endif
#ifdef GDLAB_BENCHMARK_VERSION
  v["google_benchmark"] = GDLAB_BENCHMARK_VERSION;
#endif
  v["eigen"] = fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
#ifdef EIGEN_USE_BLAS
  std::string blas = openblas_get_config();
  while (!blas.empty() && blas.back() == ' ') blas.pop_back();
  v["openblas"] = blas;
#else
  v["openblas"] = "not used";
#endif
  return v;
}

Environment capture_environment(const std::string& command_line) {
  Environment e;
  e.cpu_model = cpu_model();
  e.cpus_available = available_cpus();
  e.compiler = GDLAB_COMPILER;
  e.flags = GDLAB_CXX_FLAGS;
  e.flags.erase(0, e.flags.find_first_not_of(' '));
  e.kernel_library = GDLAB_KERNEL_LIB;
  e.libraries = library_versions();
  e.git_commit = git_commit();
  static const char* kPrefixes[] = {"OMP_", "GOMP_", "KMP_", "TBB_", "OPENBLAS_", "GDLAB_"};
  for (char** v = environ; v && *v; ++v) {
    std::string kv = *v;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    for (const char* p : kPrefixes)
      if (kv.rfind(p, 0) == 0) e.env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
  e.date = date;
  e.command_line = command_line;
  {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    if (in >> a >> b >> c) e.load_average = a + " " + b + " " + c;
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) e.hostname = host;
  return e;
}

// ---- the matrix ------------------------------------------------------------------

long auto_steps(int batch, long rep_samples) {
  return std::max(10L, (rep_samples + batch - 1) / std::max(1, batch));
}

std::vector<Cell> plan_cells(const MatrixConfig& c, const std::vector<PatternRef>& patterns) {
  std::vector<Cell> cells;
  auto add = [&](const PatternRef& p, int threads, int batch, int shards) {
    for (const Cell& x : cells)
      if (x.pattern == p.name && x.threads == threads && x.batch == batch && x.shards == shards) return;
    Cell x;
    x.pattern = p.name;
    x.threads = threads;
    x.batch = batch;
    x.shards = shards;
    x.steps = c.steps > 0 ? c.steps : auto_steps(batch, c.rep_samples);
    x.deterministic = p.deterministic;
    cells.push_back(std::move(x));
  };
  const PatternRef* seq = nullptr;
  for (const PatternRef& p : patterns)
    if (p.name == "sequential") seq = &p;
  for (int batch : c.batches) {
    std::vector<int> shard_counts;
    for (int s : c.shards) {
      const int real = s == 0 ? default_shards(batch) : s;
      if (real <= batch && std::find(shard_counts.begin(), shard_counts.end(), real) == shard_counts.end())
        shard_counts.push_back(real);
    }
    if (seq) add(*seq, 1, batch, 1);  // the fastest sequential configuration: speedup_best
    for (int shards : shard_counts)
      for (const std::string& name : c.patterns)
        for (const PatternRef& p : patterns)
          if (p.name == name) {
            if (p.name == "sequential") add(p, 1, batch, shards);
            else
              for (int t : c.threads) add(p, t, batch, shards);
          }
  }
  return cells;
}

RepOutcome one_copys_share(RepOutcome all, int copies) {
  all.seconds /= copies;
  all.cpu_seconds /= copies;
  for (double& b : all.busy_seconds) b /= copies;
  return all;
}

PatternRef independent_ref(const PatternRef& sequential) {
  return {kIndependent, true, [make = sequential.make](int) { return make(1); }};
}

namespace {
// One trainer of a repetition: its model, step and pattern, built before any clock runs.
// Step k trains on the (k mod runs)-th run of `batch` indices of the sample order.
struct Trainee {
  Model model;
  Step step;
  std::unique_ptr<Pattern> pattern;
  const std::vector<int>& order;
  const int batch;
  const long runs;   // full batches in one pass over the data
  double loss = 0;   // summed over the timed steps
  Trainee(const PatternRef& p, int threads, const ModelSpec& spec, std::uint64_t seed, const Dataset& train,
          const std::vector<int>& order, int batch, int shards, Hyper hyper)
      : model(spec), step((model.init(seed), model), train, batch, shards, hyper), pattern(p.make(threads)),
        order(order), batch(batch), runs(long(order.size()) / batch) {}
  void run_step(long k) {
    step.prepare(order.data() + (k % runs) * batch, batch);
    pattern->step(step);
  }
  void warm_up(long warmup) {
    for (long k = 0; k < warmup; ++k) run_step(k);
    step.busy.reset();
  }
  void timed_steps(long warmup, long steps, const std::atomic<bool>* stop = nullptr) {
    for (long k = warmup; k < warmup + steps && !(stop && *stop); ++k) {
      run_step(k);
      loss += step.totals().loss;
    }
  }
  RepOutcome outcome(double seconds, double cpu_seconds, long steps) const {
    return {seconds, cpu_seconds, loss / double(steps * batch), checksum_hex(model.checksum()), step.busy.seconds()};
  }
};

RepOutcome run_independent(const PatternRef& pattern, int copies, const ModelSpec& spec, const Dataset& train,
                           const std::vector<int>& order, int batch, int shards, long warmup, long steps,
                           std::uint64_t seed, Hyper hyper) {
  // p copies need p times one step's memory: refuse (a skipped cell) rather than be killed.
  const double bytes = double(copies) * double(step_floats(spec.layers, batch, shards)) * sizeof(float);
  if (bytes > double(kMaxStepBytes))
    throw UsageError(fmt::format("{} independent copies need about {:.1f} GiB, over the {} GiB limit", copies,
                                 bytes / double(1 << 30), kMaxStepBytes >> 30));
  // Set-up: not timed. Copy i runs on thread i; the caller runs copy 0.
  struct Copy : Trainee {
    using Trainee::Trainee;
    std::exception_ptr error;
  };
  std::vector<std::unique_ptr<Copy>> c;
  for (int i = 0; i < copies; ++i)
    c.push_back(std::make_unique<Copy>(pattern, 1, spec, seed, train, order, batch, shards, hyper));

  // The clocks are read by the barriers' completion steps: after the last copy has arrived
  // and before any copy goes on, so the timed span is exactly "all copies stepping".
  std::chrono::steady_clock::time_point t0, t1;
  double cpu0 = 0, cpu1 = 0;
  std::barrier start(copies, [&]() noexcept { cpu0 = process_cpu_seconds(), t0 = std::chrono::steady_clock::now(); });
  std::barrier done(copies, [&]() noexcept { t1 = std::chrono::steady_clock::now(), cpu1 = process_cpu_seconds(); });
  std::atomic<bool> failed = false;  // one copy failed: the others stop early
  auto run = [&](Copy& x) {
    try {
      if (!x.error) x.warm_up(warmup);
    } catch (...) {
      x.error = std::current_exception();
      failed = true;
    }
    start.arrive_and_wait();
    try {
      if (!x.error) x.timed_steps(warmup, steps, &failed);
    } catch (...) {
      x.error = std::current_exception();
      failed = true;
    }
    done.arrive_and_wait();
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < copies; ++i) {
    try {
      threads.emplace_back([&, i] { run(*c[std::size_t(i)]); });
    } catch (...) {  // no thread for copies i ..: they leave both barriers, copy 0 does no steps
      c[0]->error = std::current_exception();
      for (int j = i; j < copies; ++j) start.arrive_and_drop(), done.arrive_and_drop();
      break;
    }
  }
  run(*c[0]);
  for (auto& t : threads) t.join();
  for (const auto& x : c)
    if (x->error) std::rethrow_exception(x->error);
  for (const auto& x : c)  // the same seed, data and order: different weights would mean a race
    if (x->model.checksum() != c[0]->model.checksum())
      throw std::runtime_error("independent copies trained different weights from the same data");

  RepOutcome all = c[0]->outcome(std::chrono::duration<double>(t1 - t0).count(), cpu1 - cpu0, steps);
  all.busy_seconds.clear();  // one busy time per copy: each copy is one thread
  for (const auto& x : c) {
    double busy = 0;
    for (double b : x->step.busy.seconds()) busy += b;
    all.busy_seconds.push_back(busy);
  }
  return one_copys_share(all, copies);
}
}  // namespace

RepOutcome run_repetition(const PatternRef& pattern, int threads, const ModelSpec& spec, const Dataset& train,
                          const std::vector<int>& order, int batch, int shards, long warmup, long steps,
                          std::uint64_t seed, Hyper hyper) {
  const long runs = long(order.size()) / batch;  // full batches in one pass over the data
  if (runs < 1)
    throw UsageError(fmt::format("--batch {} is larger than the {} training samples", batch, order.size()));
  if (pattern.name == kIndependent)
    return run_independent(pattern, threads, spec, train, order, batch, shards, warmup, steps, seed, hyper);
  Trainee t(pattern, threads, spec, seed, train, order, batch, shards, hyper);  // set-up: not timed
  t.warm_up(warmup);

  // The timed loop: two clock readings on each side, nothing per step but the step
  // and the loss (the same bookkeeping the trainer does).
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  t.timed_steps(warmup, steps);
  const auto t1 = std::chrono::steady_clock::now();
  const double cpu1 = process_cpu_seconds();
  return t.outcome(std::chrono::duration<double>(t1 - t0).count(), cpu1 - cpu0, steps);
}

long missing_repetitions(const Results& r) {
  long n = 0;
  for (const Cell& c : r.cells) n += std::max(0L, long(r.config.reps) - long(c.rep_seconds.size()));
  return n;
}

bool run_matrix(Results& r, const std::vector<PatternRef>& patterns, const Dataset& train, const MatrixHooks& hooks) {
  const ModelSpec spec{parse_layers(r.config.layers)};
  std::vector<int> order(train.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  shuffle_indices(order, std::uint64_t(r.config.seed));
  auto warn = [&](const std::string& s) {
    if (hooks.warn) hooks.warn(s);
  };

  const long total = missing_repetitions(r);
  long done = 0;
  compute_metrics(r);
  for (int round = 0; round < r.config.reps; ++round) {
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      if (int(r.cells[i].rep_seconds.size()) > round) continue;  // measured before a resume
      if (hooks.stop && hooks.stop()) return false;
      Cell& c = r.cells[i];
      if (hooks.progress) hooks.progress(done, total, c);
      const PatternRef* ref = nullptr;
      for (const PatternRef& p : patterns)
        if (p.name == c.pattern) ref = &p;
      try {
        if (!ref) throw UsageError("unknown pattern '" + c.pattern + "'");
        RepOutcome o = run_repetition(*ref, c.threads, spec, train, order, c.batch, c.shards, r.config.warmup, c.steps,
                                      std::uint64_t(r.config.seed));
        if (c.rep_seconds.empty()) {
          c.checksum = o.checksum;
          c.final_loss = o.loss;
        } else if (o.checksum != c.checksum && !has_flag(c, "reps_differ")) {
          c.flags.push_back("reps_differ");
        }
        c.rep_seconds.push_back(o.seconds);
        c.rep_cpu_seconds.push_back(o.cpu_seconds);
        if (!o.busy_seconds.empty() && o.seconds > 0) {
          double sum = 0, max = 0;
          for (double b : o.busy_seconds) sum += b, max = std::max(max, b);
          c.rep_useful_parallelism.push_back(sum / o.seconds);
          // Imbalance compares p workers; a pattern that starts fresh threads every step
          // (more threads than p worked) has no fixed workers to compare.
          const double mean = sum / double(c.threads);  // a worker that never worked counts as 0
          if (o.busy_seconds.size() <= std::size_t(c.threads)) c.rep_imbalance.push_back(mean > 0 ? max / mean : 1.0);
        }
      } catch (const std::exception& e) {
        // The pattern refused this configuration or failed: record why, move on.
        Skipped s{c.pattern, c.threads, c.batch, c.shards, e.what()};
        warn(fmt::format("skipped {} p={} batch={} shards={}: {}", s.pattern, s.threads, s.batch, s.shards, s.reason));
        done += std::max(0L, long(r.config.reps) - long(c.rep_seconds.size()));
        r.skipped.push_back(std::move(s));
        r.cells.erase(r.cells.begin() + long(i));
        --i;
        compute_metrics(r);
        if (hooks.checkpoint) hooks.checkpoint(r);
        continue;
      }
      ++done;
      compute_metrics(r);
      if (hooks.checkpoint) hooks.checkpoint(r);
      // Let pools that spin after their work (OpenMP, TBB) fall asleep before the
      // next cell, so their spinning is not counted against it.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (hooks.progress && !r.cells.empty()) hooks.progress(done, total, r.cells.back());
  return true;
}

void adopt_previous(Results& fresh, const Results& previous, const std::string& source) {
  if (!(fresh.config == previous.config))
    throw UsageError(source + ": its configuration differs from this run's (with --resume the file's own is used)");
  for (Cell& c : fresh.cells) {
    for (const Cell& old : previous.cells)
      if (old.pattern == c.pattern && old.threads == c.threads && old.batch == c.batch && old.shards == c.shards) {
        if (old.steps != c.steps) throw UsageError(fmt::format("{}: cell {} p={} batch={} ran {} steps, the plan says {}",
                                                               source, c.pattern, c.threads, c.batch, old.steps, c.steps));
        c = old;
        c.rep_seconds.resize(std::min<std::size_t>(c.rep_seconds.size(), std::size_t(fresh.config.reps)));
        c.rep_cpu_seconds.resize(c.rep_seconds.size());
        if (c.rep_useful_parallelism.size() > c.rep_seconds.size()) c.rep_useful_parallelism.resize(c.rep_seconds.size());
        if (c.rep_imbalance.size() > c.rep_seconds.size()) c.rep_imbalance.resize(c.rep_seconds.size());
      }
  }
  // Cells that were skipped before stay skipped: they failed for a reason.
  for (const Skipped& s : previous.skipped) {
    fresh.cells.erase(std::remove_if(fresh.cells.begin(), fresh.cells.end(),
                                     [&](const Cell& c) {
                                       return c.pattern == s.pattern && c.threads == s.threads && c.batch == s.batch &&
                                              c.shards == s.shards;
                                     }),
                      fresh.cells.end());
    fresh.skipped.push_back(s);
  }
  fresh.primitives = previous.primitives;
  compute_metrics(fresh);
}

// ---- primitives ------------------------------------------------------------------

std::vector<Primitive> primitives_from_benchmark_json(const std::string& text, const std::string& source) {
  using Json = nlohmann::json;
  // Google Benchmark writes a counter's undefined aggregate (e.g. the cv of all zeros) as
  // a bare nan or inf, which is not JSON: read those values as null.
  static const std::regex kNonFinite(R"re(:(\s*)-?(nan|NaN|inf|Inf|INF|NAN|infinity)\b)re");
  const std::string clean = std::regex_replace(text, kNonFinite, ":$1null");
  Json j;
  try {
    j = Json::parse(clean);
  } catch (const Json::parse_error& e) {
    throw UsageError(fmt::format("{}: corrupt JSON ({})", source, e.what()));
  }
  if (!j.is_object() || !j.contains("benchmarks") || !j["benchmarks"].is_array())
    throw UsageError(source + ": not Google Benchmark JSON output (no \"benchmarks\" array; write it with "
                              "--benchmark_out=FILE --benchmark_out_format=json)");
  struct Acc {
    std::string run, label;
    int threads = 1;
    std::vector<double> iterations;
    std::optional<double> median;
  };
  std::vector<Acc> acc;
  auto unit_us = [&](const std::string& u) {
    if (u == "ns") return 1e-3;
    if (u == "us") return 1.0;
    if (u == "ms") return 1e3;
    if (u == "s") return 1e6;
    throw UsageError(source + ": unknown time_unit '" + u + "'");
  };
  for (const Json& b : j["benchmarks"]) {
    if (!b.is_object() || !b.contains("run_name") || !b.contains("real_time") || !b["real_time"].is_number()) continue;
    if (b.value("error_occurred", false)) continue;
    const std::string run = b["run_name"].get<std::string>();
    auto it = std::find_if(acc.begin(), acc.end(), [&](const Acc& a) { return a.run == run; });
    if (it == acc.end()) {
      Acc a;
      a.run = run;
      if (auto at = run.find("threads:"); at != std::string::npos) a.threads = std::atoi(run.c_str() + at + 8);
      acc.push_back(a);
      it = acc.end() - 1;
    }
    if (b.contains("label") && b["label"].is_string() && !b["label"].get<std::string>().empty())
      it->label = b["label"].get<std::string>();
    const double us = b["real_time"].get<double>() * unit_us(b.value("time_unit", std::string("ns")));
    if (b.value("run_type", std::string("iteration")) == "aggregate") {
      if (b.value("aggregate_name", std::string()) == "median") it->median = us;
    } else {
      it->iterations.push_back(us);
    }
  }
  std::vector<Primitive> out;
  for (const Acc& a : acc)
    out.push_back({a.label.empty() ? a.run : a.label, a.threads, a.median ? *a.median : median_of(a.iterations)});
  if (out.empty()) throw UsageError(source + ": no benchmark results in it");
  return out;
}

// ---- printing ---------------------------------------------------------------------

namespace {
std::string opt2(const std::optional<double>& v, const char* fmtstr = "{:.2f}") {
  return v ? fmt::format(fmt::runtime(fmtstr), *v) : "-";
}
std::string time_str(double s) {
  if (s <= 0) return "-";
  if (s < 1e-3) return fmt::format("{:.1f} us", s * 1e6);
  if (s < 1) return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.3f} s", s);
}
}  // namespace

std::string summary_table(const Results& r) {
  std::string out;
  std::vector<int> batches;
  for (const Cell& c : r.cells)
    if (std::find(batches.begin(), batches.end(), c.batch) == batches.end()) batches.push_back(c.batch);
  for (int batch : batches) {
    out += fmt::format("\nbatch {}\n", batch);
    out += fmt::format("{:<18} {:>2} {:>6} {:>11} {:>23} {:>6} {:>6} {:>5} {:>5} {:>5} {:>6} {:>10} {:>6}  {}\n", "pattern",
                       "p", "shards", "time/step", "95% CI of median", "S", "S_best", "E", "A", "U", "e(KF)", "overhead",
                       "match", "flags");
    for (const Cell& c : r.cells) {
      if (c.batch != batch) continue;
      std::string flags;
      for (const auto& f : c.flags) flags += (flags.empty() ? "" : ",") + f;
      const std::string match =
          c.matches_sequential ? (*c.matches_sequential ? "yes" : (c.deterministic ? "NO" : "no")) : "-";
      out += fmt::format("{:<18} {:>2} {:>6} {:>11} {:>23} {:>6} {:>6} {:>5} {:>5.2f} {:>5} {:>6} {:>10} {:>6}  {}\n",
                         c.pattern, c.threads, c.shards, time_str(c.step_seconds.median),
                         c.rep_seconds.empty() ? std::string("-")
                                               : time_str(c.step_seconds.ci95_low) + " - " +
                                                     time_str(c.step_seconds.ci95_high),
                         opt2(c.speedup), opt2(c.speedup_best), opt2(c.efficiency), c.parallelism,
                         opt2(c.useful_parallelism), opt2(c.karp_flatt, "{:.3f}"),
                         c.overhead_per_step_seconds ? time_str(std::abs(*c.overhead_per_step_seconds)).insert(
                                                           0, *c.overhead_per_step_seconds < 0 ? "-" : "")
                                                     : "-",
                         match, flags);
    }
  }
  return out;
}

std::vector<std::string> flag_warnings(const Results& r) {
  // One line per flag: what it means, then the cells that carry it.
  struct Kind {
    const char* flag;
    std::string meaning;
  };
  const std::vector<Kind> kinds{
      {"oversubscribed", fmt::format("more threads than the {} available CPUs", r.environment.cpus_available)},
      {"low_parallelism", fmt::format("A < {:.0f}% of min(p, CPUs): threads wait instead of computing", 100 * kLowParallelism)},
      {"noisy", fmt::format("repetitions spread more than {:.0f}% around the median", 100 * kNoisySpread)},
      {"checksum_differs", "weights differ from sequential although the pattern claims determinism (a bug)"},
      {"reps_differ", "repetitions ended with different weights"},
      {"incomplete", fmt::format("fewer than {} repetitions", r.config.reps)}};
  std::vector<std::string> out;
  for (const Kind& k : kinds) {
    std::vector<std::string> who;
    for (const Cell& c : r.cells)
      if (has_flag(c, k.flag))
        who.push_back(fmt::format("{} p={} b={} s={}{}", c.pattern, c.threads, c.batch, c.shards,
                                  k.flag == std::string("low_parallelism") ? fmt::format(" (A={:.2f})", c.parallelism)
                                                                           : ""));
    if (who.empty()) continue;
    std::string list;
    const std::size_t shown = std::min<std::size_t>(who.size(), 6);
    for (std::size_t i = 0; i < shown; ++i) list += (i ? ", " : "") + who[i];
    if (who.size() > shown) list += fmt::format(", and {} more", who.size() - shown);
    out.push_back(fmt::format("{} ({}): {} cell{}: {}", k.flag, k.meaning, who.size(), who.size() == 1 ? "" : "s", list));
  }
  return out;
}

}  // namespace gd
