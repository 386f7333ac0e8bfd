// gdlab report: tables against golden files, charts by their series, bad inputs, atomic output.
//
// The inputs are the fixed results files in tests/data/ (see make_fixture.py there); the
// expected tables are tests/golden/*. After an intended change to the report, regenerate them:
//
//   GDLAB_UPDATE_GOLDEN=1 build/release/tests/test_report --gtest_filter='*Golden*'
//
// and review the diff (git diff tests/golden) before committing it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "file_helpers.hpp"
#include "measure/metrics.hpp"
#include "measure/results.hpp"
#include "report/report.hpp"
#include "train/error.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kSource = GDLAB_SOURCE_DIR;
const fs::path kData = kSource / "tests" / "data";
const fs::path kGolden = kSource / "tests" / "golden";

using gdtest::read;
using gdtest::write;

// A fresh folder under the system's temp folder, removed at the end of the test.
struct Scratch : gdtest::Scratch {
  Scratch() : gdtest::Scratch("test-report") {}
  // Everything in the folder, so a test can see that nothing was left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

// Compares with a golden file, or rewrites it when GDLAB_UPDATE_GOLDEN=1.
void expect_golden(const std::string& actual, const std::string& golden_name) {
  const fs::path golden = kGolden / golden_name;
  const char* update = std::getenv("GDLAB_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    fs::create_directories(kGolden);
    write(golden, actual);
    std::printf("rewrote %s\n", golden.string().c_str());
    return;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; see the top of this file to regenerate";
  const std::string expected = read(golden);
  if (actual == expected) return;
  // Point at the first differing line, which says more than two long strings.
  std::istringstream a(actual), e(expected);
  std::string la, le;
  int line = 1;
  while (std::getline(a, la) && std::getline(e, le) && la == le) ++line;
  ADD_FAILURE() << golden_name << " differs from the report at line " << line << "\n  golden: " << le
                << "\n  report: " << la << "\n(intended? regenerate as the top of tests/test_report.cpp says)";
}

std::string results_path(const char* name) { return (kData / name).string(); }

}  // namespace

TEST(ReportGolden, SingleRunTablesAndCsv) {
  Scratch s;
  gd::write_report({results_path("results-2core.json")}, (s.dir / "r").string());
  expect_golden(read(s.dir / "r" / "report.md"), "report-2core.md");
  expect_golden(read(s.dir / "r" / "cells.csv"), "cells-2core.csv");
  expect_golden(read(s.dir / "r" / "fits.csv"), "fits-2core.csv");
}

TEST(ReportGolden, TwoRunsSideBySide) {
  Scratch s;
  gd::write_report({results_path("results-2core.json"), results_path("results-2core-after.json")},
                   (s.dir / "cmp").string());
  const std::string md = read(s.dir / "cmp" / "report.md");
  expect_golden(md, "report-compare.md");
  expect_golden(read(s.dir / "cmp" / "comparison.csv"), "comparison.csv");
  // Independent of the golden file: the comparison names what differs between the environments.
  EXPECT_NE(md.find("The environments differ in git commit"), std::string::npos);
  EXPECT_NE(md.find("results-2core-after against results-2core"), std::string::npos);
}

// The Amdahl fit against step times made to be exactly T(p) = a + b/p at p = 1, 2, 4
// (the machine given 4 CPUs, so no point is left out as oversubscribed): least squares
// must give a and b back, whatever the cells' other numbers say.
TEST(Report, AmdahlFitRecoversAnExactLaw) {
  Scratch s;
  gd::Results r = gd::read_results(results_path("results-2core.json"));
  r.environment.cpus_available = 4;
  const double a = 150e-6, b = 2400e-6;
  int batch = 0;
  for (gd::Cell& c : r.cells)
    if (c.pattern == "openmp") {
      c.step_seconds.median = a + b / c.threads;
      batch = c.batch;
    }
  ASSERT_GT(batch, 0);
  const std::string in = (s.dir / "exact.json").string();
  gd::write_results(in, r);
  gd::write_report({in}, (s.dir / "r").string());
  std::istringstream csv(read(s.dir / "r" / "fits.csv"));
  std::string line;
  int found = 0;
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    if (f.size() != 7 || f[1] != "openmp") continue;
    ++found;
    EXPECT_EQ(f[4], "3") << line;  // p = 1, 2 and 4
    EXPECT_NEAR(std::stod(f[5]), a, 1e-9) << line;
    EXPECT_NEAR(std::stod(f[6]), b, 1e-9) << line;
  }
  EXPECT_GT(found, 0) << read(s.dir / "r" / "fits.csv");
}

// A pattern whose cells were measured against a baseline of their own (an MPI job's, timed
// beside them) has its Amdahl curve and its limit drawn against that baseline too, as its
// points are, not against the sequential cell's.
TEST(Report, TheAmdahlLimitUsesTheBaselineThePointsUsed) {
  Scratch s;
  gd::Results r = gd::read_results(results_path("results-2core.json"));
  r.environment.cpus_available = 4;
  const double a = 150e-6, b = 2400e-6, t_ref = 4e-3;  // t_ref / a = 26.7
  for (gd::Cell& c : r.cells)
    if (c.pattern == "openmp") {
      for (double& t : c.rep_seconds) t = (a + b / c.threads) * double(c.steps);
      c.rep_reference_seconds.assign(c.rep_seconds.size(), t_ref * double(c.steps));
    }
  gd::compute_metrics(r);
  const std::string in = (s.dir / "own-baseline.json").string();
  gd::write_results(in, r);
  gd::write_report({in}, (s.dir / "r").string());
  const std::string md = read(s.dir / "r" / "report.md");
  EXPECT_NE(md.find("gives a = 150 µs serial and b = 2400 µs parallelisable per step: a serial fraction of 0.06, so no "
                    "thread count can take it beyond S = 26.7."),
            std::string::npos)
      << md;
}

// Cells of a second neuron-block count do not leak into the charts and fits, which show
// the fewest blocks measured: copies of openmp's cells at 2 blocks, 10 times slower,
// leave its Amdahl fit where the 1-block cells put it.
TEST(Report, ChartsShowOneBlockCount) {
  Scratch s;
  gd::Results r = gd::read_results(results_path("results-2core.json"));
  r.environment.cpus_available = 4;
  const double a = 150e-6, b = 2400e-6;
  std::vector<gd::Cell> copies;
  for (gd::Cell& c : r.cells)
    if (c.pattern == "openmp") {
      c.step_seconds.median = a + b / c.threads;
      gd::Cell slow = c;
      slow.blocks = 2;
      slow.step_seconds.median *= 10;
      copies.push_back(slow);
    }
  ASSERT_FALSE(copies.empty());
  r.cells.insert(r.cells.end(), copies.begin(), copies.end());
  const std::string in = (s.dir / "blocks.json").string();
  gd::write_results(in, r);
  gd::write_report({in}, (s.dir / "r").string());
  std::istringstream csv(read(s.dir / "r" / "fits.csv"));
  int found = 0;
  for (std::string line; std::getline(csv, line);) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    if (f.size() != 7 || f[1] != "openmp") continue;
    ++found;
    EXPECT_NEAR(std::stod(f[5]), a, 1e-9) << line;
    EXPECT_NEAR(std::stod(f[6]), b, 1e-9) << line;
  }
  EXPECT_GT(found, 0) << read(s.dir / "r" / "fits.csv");
}

// The second axis: with a model-parallel pattern measured, the report sets the fastest
// pattern of each axis side by side at every batch. Copies of openmp's cells at 2 blocks
// stand for model_parallel and hybrid, made faster at batch 16, as fast at 64 and slower at
// 256; the winners, and whether each win is beyond noise, must follow.
TEST(Report, SetsTheFastestOfEachAxisSideBySide) {
  Scratch s;
  gd::Results r = gd::read_results(results_path("results-2core.json"));
  const std::map<int, std::pair<double, double>> scale{{16, {0.5, 0.8}}, {64, {1.0, 1.3}}, {256, {1.5, 1.2}}};
  std::vector<gd::Cell> added;
  for (const gd::Cell& c : r.cells) {
    if (c.pattern == "sequential") {
      gd::Cell seq = c;  // sequential at 2 blocks, a little slower than at 1
      seq.blocks = 2;
      for (double& t : seq.rep_seconds) t *= 1.05;
      added.push_back(seq);
    }
    if (c.pattern != "openmp" || c.threads != 2) continue;
    for (const char* name : {"model_parallel", "hybrid"}) {
      gd::Cell x = c;
      x.pattern = name;
      x.blocks = 2;
      const auto [m, h] = scale.at(c.batch);
      for (double& t : x.rep_seconds) t *= std::string(name) == "hybrid" ? h : m;
      added.push_back(x);
    }
  }
  r.cells.insert(r.cells.end(), added.begin(), added.end());
  gd::compute_metrics(r);
  const std::string in = (s.dir / "axes.json").string();
  gd::write_results(in, r);
  gd::ReportOptions opt;
  opt.axis = [](const std::string& p) {
    return p == "sequential"       ? gd::Axis::none
           : p == "model_parallel" ? gd::Axis::model
           : p == "hybrid"         ? gd::Axis::both
                                   : gd::Axis::data;
  };
  gd::write_report({in}, (s.dir / "r").string(), opt);
  const std::string md = read(s.dir / "r" / "report.md");
  const auto at = md.find("### Data against model parallelism, p = 2");
  ASSERT_NE(at, std::string::npos) << md;
  const std::string sec = md.substr(at, md.find("\n### ", at + 1) - at);
  EXPECT_NE(sec.find("at batch 16, model parallel (model\\_parallel (p = 2), 1 shard × 2 blocks; S\\_best 3.78), "
                     "beyond noise ahead of data × model (hybrid (p = 2)"),
            std::string::npos)
      << sec;
  // At 64 openmp and model_parallel ran the same times: within noise of each other.
  EXPECT_NE(sec.find("at batch 64, data parallel (openmp (p = 2), 1 shard × 1 block; S\\_best 1.94), within noise of "
                     "model parallel"),
            std::string::npos)
      << sec;
  EXPECT_NE(sec.find("at batch 256, data parallel (openmp (p = 2), 4 shards × 1 block; S\\_best 2.01), beyond noise "
                     "ahead of data × model (hybrid (p = 2), S\\_best 1.68)"),
            std::string::npos)
      << sec;
  // The table: the reference and the three axes at each batch, and the fastest sequential run is at 1 block.
  EXPECT_NE(sec.find("| 256 | sequential (the reference) | sequential (p = 1) | 1 shard × 1 block |"),
            std::string::npos)
      << sec;
  for (const char* row :
       {"| 16 | data parallel | openmp (p = 2) |", "| 16 | model parallel | model\\_parallel (p = 2) |",
        "| 256 | data × model | hybrid (p = 2) | 4 shards × 2 blocks |"})
    EXPECT_NE(sec.find(row), std::string::npos) << row << "\n" << sec;
  const std::string svg = read(s.dir / "r" / "axes.svg");
  for (const char* series : {">data parallel<", ">model parallel<", ">data × model<"})
    EXPECT_NE(svg.find(series), std::string::npos) << series;

  // Without a model-parallel pattern, or without the registry's axes, there is no such section.
  gd::write_report({results_path("results-2core.json")}, (s.dir / "plain").string(), opt);
  EXPECT_EQ(read(s.dir / "plain" / "report.md").find("Data against model parallelism"), std::string::npos);
  gd::write_report({in}, (s.dir / "no-axes").string());
  EXPECT_EQ(read(s.dir / "no-axes" / "report.md").find("Data against model parallelism"), std::string::npos);
}

TEST(Report, FilesOfAReport) {
  Scratch s;
  gd::write_report({results_path("results-2core.json")}, (s.dir / "r").string() + "/");
  for (const char* f : {"index.html", "report.md", "cells.csv", "fits.csv", "primitives.csv", "speedup-b16.svg",
                        "speedup-b64.svg", "speedup-b256.svg", "efficiency-threads.svg", "efficiency-batch.svg",
                        "overhead.svg", "throughput.svg", "results/results-2core.json"})
    EXPECT_TRUE(fs::is_regular_file(s.dir / "r" / f)) << f;
  // The report's copy of its input is itself a valid results file.
  EXPECT_EQ(gd::read_results((s.dir / "r" / "results" / "results-2core.json").string()).cells.size(), 39u);
  // Nothing else: no scratch files of gnuplot, no staging folder beside it.
  EXPECT_FALSE(fs::exists(s.dir / "r" / ".gnuplot"));
  EXPECT_EQ(s.entries(), std::vector<std::string>{"r"});
}

// Each chart is checked by what gnuplot wrote: an SVG with one <title> per legend entry.
TEST(Report, ChartsHaveTheExpectedSeries) {
  Scratch s;
  gd::write_report({results_path("results-2core.json")}, (s.dir / "r").string());
  const fs::path r = s.dir / "r";
  auto svg = [&](const char* name) {
    const std::string text = read(r / name);
    EXPECT_EQ(text.rfind("<?xml", 0), 0u) << name;
    EXPECT_NE(text.find("</svg>"), std::string::npos) << name;
    return text;
  };
  // gnuplot puts each plotted series in a group <g id="gnuplot_plot_N"> whose first <text> is
  // its legend entry; a series with a legend entry was therefore really plotted.
  auto has_series = [](const std::string& text, const std::string& title) {
    static const std::regex series(R"(<g id="gnuplot_plot_\d+" >[^]*?<text>([^<]*)</text>)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), series); it != std::sregex_iterator(); ++it)
      if ((*it)[1] == title) return true;
    return false;
  };
  const std::vector<std::string> patterns = {"thread_spawn", "thread_pool", "openmp", "thread_mutex"};
  for (const char* name : {"speedup-b16.svg", "speedup-b64.svg", "speedup-b256.svg"}) {
    const std::string t = svg(name);
    EXPECT_TRUE(has_series(t, "ideal S = p")) << name;
    EXPECT_TRUE(has_series(t, "sequential")) << name;
    for (const auto& p : patterns) EXPECT_TRUE(has_series(t, p)) << name << " lacks " << p;
    // p = 4 on 2 CPUs is oversubscribed: circled, and the CPU line drawn.
    EXPECT_TRUE(has_series(t, "flagged: noisy or oversubscribed")) << name;
    EXPECT_NE(t.find("CPUs available"), std::string::npos) << name;
  }
  const std::string eff = svg("efficiency-threads.svg");
  EXPECT_TRUE(has_series(eff, "ideal E = 1"));
  for (const auto& p : patterns) EXPECT_TRUE(has_series(eff, p)) << p;
  const std::string effb = svg("efficiency-batch.svg");
  for (const auto& p : patterns) EXPECT_TRUE(has_series(effb, p)) << p;
  EXPECT_FALSE(has_series(effb, "sequential"));  // no sequential cell at p = 2
  const std::string tp = svg("throughput.svg");
  for (const auto& p : patterns) EXPECT_TRUE(has_series(tp, p)) << p;
  EXPECT_TRUE(has_series(tp, "sequential"));
  const std::string ov = svg("overhead.svg");
  EXPECT_TRUE(has_series(ov, "pattern: overhead per step (p·T_p − T_seq)/p"));
  EXPECT_TRUE(has_series(ov, "primitive: one operation"));
  EXPECT_NE(ov.find("std::thread create+join"), std::string::npos);
  EXPECT_NE(ov.find("thread_spawn"), std::string::npos);

  // index.html carries all seven charts inline, with ids made unique per chart, and needs nothing
  // from outside: no scripts, no external links or images.
  const std::string html = read(r / "index.html");
  EXPECT_EQ(std::count(html.begin(), html.end(), '\n') > 100, true);
  std::size_t charts = 0;
  for (std::size_t at = html.find("<svg "); at != std::string::npos; at = html.find("<svg ", at + 1)) ++charts;
  EXPECT_EQ(charts, 7u);
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_NE(html.find("id='c7-gpPt0'"), std::string::npos);
  EXPECT_EQ(html.find("id='gpPt0'"), std::string::npos);
  const std::regex external(R"((href|src)\s*=\s*["']?(https?:|//))");
  EXPECT_FALSE(std::regex_search(html, external));
  // Flagged cells are marked in the tables of both formats.
  EXPECT_NE(html.find("<tr class=\"flag\"><td>⚠ "), std::string::npos);
  EXPECT_NE(read(r / "report.md").find("| ⚠ "), std::string::npos);
}

// The fixture with ceiling cells added: openmp's cells renamed "independent", at efficiency
// e and throughput x speed, written to dir/name.
static std::string fixture_with_ceiling(const fs::path& dir, const char* name, double e, double speed = 1) {
  gd::Results r = gd::read_results(results_path("results-2core.json"));
  std::vector<gd::Cell> ceiling;
  for (const gd::Cell& c : r.cells)
    if (c.pattern == "openmp") {
      gd::Cell x = c;
      x.pattern = gd::kIndependent;
      x.efficiency = e;
      x.samples_per_second *= speed;
      ceiling.push_back(x);
    }
  r.cells.insert(r.cells.end(), ceiling.begin(), ceiling.end());
  r.config.patterns.push_back(gd::kIndependent);
  const std::string path = (dir / name).string();
  gd::write_results(path, r);
  return path;
}

// The overhead section prices what each pattern pays per step with the run's primitives
// (here the fixture's, at batch 16, p = 2: thread_spawn 143, thread_mutex 23.8,
// thread_pool 15.4 and openmp 7.34 µs a step) and ranks the two orders against each other.
TEST(Report, OverheadIsPricedWithWhatEachPatternPays) {
  using Pays = std::map<std::string, std::vector<gd::PrimitiveUse>>;
  auto overhead_section = [](const Pays& pays, const std::string& results = results_path("results-2core.json")) {
    Scratch s;
    gd::ReportOptions opt;
    opt.pays = [&pays](const std::string& pattern) -> std::span<const gd::PrimitiveUse> {
      auto it = pays.find(pattern);
      if (it == pays.end()) return {};
      return it->second;
    };
    gd::write_report({results}, (s.dir / "r").string(), opt);
    const std::string md = read(s.dir / "r" / "report.md");
    const auto at = md.find("### Overhead per step");
    return md.substr(at, md.find("### Throughput") - at);
  };
  // Costs in the same order as the overheads: rho = 1.
  const std::string alike = overhead_section({
      {"openmp", {{"omp parallel (empty)", 1}, {"omp barrier", 2}}},  // 0.59 + 2 x 0.32 = 1.23
      {"thread_pool", {{"binary_semaphore handoff", 2}}},             // 8.4
      {"thread_mutex", {{"mutex+condvar handoff", 1}}},               // 32
      {"thread_spawn", {{"std::thread create+join", 2}}},             // 72
  });
  EXPECT_NE(alike.find("batch 16, 1 shard"), std::string::npos) << alike;
  EXPECT_NE(alike.find("Ranked by overhead, cheapest first: openmp (7.34 µs), thread\\_pool (15.4 µs), "
                       "thread\\_mutex (23.8 µs), thread\\_spawn (143 µs)."),
            std::string::npos)
      << alike;
  EXPECT_NE(alike.find("Their primitives (the table below) cost 17–134% of these overheads."), std::string::npos)
      << alike;
  EXPECT_NE(alike.find("the 4 priced patterns come in nearly the same order as by overhead: Spearman's ρ = 1.00"),
            std::string::npos)
      << alike;
  EXPECT_NE(alike.find("The dearest in primitives, thread\\_spawn (72.0 µs a step), ranks 4 of 4"), std::string::npos)
      << alike;
  EXPECT_NE(
      alike.find(
          "| openmp | 7.34 | 1 × omp parallel (empty) (0.590 µs) + 2 × omp barrier (0.320 µs) | 1.23 | 17% | 6.11 |"),
      std::string::npos)
      << alike;
  EXPECT_NE(alike.find("| ⚠ thread\\_spawn | 143 | 2 × std::thread create+join (36.0 µs) | 72.0 | 50% | 71.2 |"),
            std::string::npos)
      << alike;
  EXPECT_NE(alike.find("the time 1 of the 2 threads waits in the map phase (only 1 shard)"), std::string::npos)
      << alike;
  // The rest: 6.11, 6.96, -8.19 and 71.2 µs, median 6.54: thread_spawn pays more than twice that.
  EXPECT_NE(alike.find("median 6.54 µs a step) is not priced here"), std::string::npos) << alike;
  EXPECT_NE(alike.find("More than twice that for thread\\_spawn (71.2 µs): it pays more per step"), std::string::npos)
      << alike;
  EXPECT_NE(alike.find("1 of these 4 cells is flagged"), std::string::npos) << alike;

  // The reverse order: rho = -1, and the primitives cost more than the overheads. A pattern
  // the report has no cell for changes nothing.
  const std::string reverse = overhead_section({
      {"openmp", {{"std::thread create+join", 2}}},
      {"thread_pool", {{"mutex+condvar handoff", 1}}},
      {"thread_mutex", {{"binary_semaphore handoff", 2}}},
      {"thread_spawn", {{"omp parallel (empty)", 1}, {"omp barrier", 2}}},
      {"sequential", {{"no such primitive", 1}}},
  });
  EXPECT_NE(reverse.find("come in not the same order as by overhead: Spearman's ρ = -1.00"), std::string::npos)
      << reverse;
  EXPECT_NE(reverse.find("The primitives cost more than most of these overheads"), std::string::npos) << reverse;

  // Two far above the median rest (-16.6 and 22.6: 3.0 µs), and a fractional count.
  const std::string two_far = overhead_section({
      {"openmp", {{"std::thread create+join", 2}}},                         // 72: rest -64.7
      {"thread_pool", {{"mutex+condvar handoff", 1}}},                      // 32: rest -16.6
      {"thread_mutex", {{"omp parallel (empty)", 1}, {"omp barrier", 2}}},  // 1.23: rest 22.6
      {"thread_spawn", {{"omp parallel (empty)", 0.5}}},                    // 0.295: rest 143
  });
  EXPECT_NE(two_far.find("More than twice that for thread\\_mutex (22.6 µs) and thread\\_spawn (143 µs): they pay"),
            std::string::npos)
      << two_far;
  EXPECT_NE(two_far.find("| 0.5 × omp parallel (empty) (0.590 µs) | 0.295 |"), std::string::npos) << two_far;

  // Every pattern priced the same: the rankings cannot be compared.
  const std::string ties = overhead_section({
      {"openmp", {{"omp barrier", 1}}},
      {"thread_pool", {{"omp barrier", 1}}},
      {"thread_mutex", {{"omp barrier", 1}}},
  });
  EXPECT_NE(ties.find("so the two rankings cannot be compared"), std::string::npos) << ties;
  EXPECT_EQ(ties.find("Spearman"), std::string::npos) << ties;

  // A primitive the run did not measure prices nothing; two priced patterns are too few.
  const std::string partly = overhead_section({
      {"openmp", {{"omp parallel (empty)", 1}}},
      {"thread_pool", {{"no such primitive", 1}}},
      {"thread_mutex", {{"omp barrier", 1}}},
  });
  EXPECT_NE(partly.find("| thread\\_pool | 15.4 | 1 × no such primitive (not measured) | – | – | – |"),
            std::string::npos)
      << partly;
  EXPECT_NE(partly.find("Only 2 patterns could be priced with the primitives measured"), std::string::npos) << partly;
  EXPECT_EQ(partly.find("Spearman"), std::string::npos) << partly;

  // A row paid only where the threads outnumber the shards (hybrid's group rounds): priced
  // at p = 2 with 1 shard, left out of the same cells at 2 shards. Rows of one primitive
  // are added up into one.
  const Pays past_shards{{"openmp", {{"omp parallel (empty)", 1}, {"omp barrier", 1}, {"omp barrier", 1, 0, true}}}};
  const std::string one_shard = overhead_section(past_shards);
  EXPECT_NE(
      one_shard.find("| openmp | 7.34 | 1 × omp parallel (empty) (0.590 µs) + 2 × omp barrier (0.320 µs) | 1.23 |"),
      std::string::npos)
      << one_shard;
  Scratch two;
  gd::Results r = gd::read_results(results_path("results-2core.json"));
  for (gd::Cell& c : r.cells)
    if (c.batch == 16) c.shards = 2;
  gd::write_results((two.dir / "two-shards.json").string(), r);
  const std::string two_shards = overhead_section(past_shards, (two.dir / "two-shards.json").string());
  EXPECT_NE(two_shards.find("batch 16, 2 shards"), std::string::npos) << two_shards;
  EXPECT_NE(
      two_shards.find("| openmp | 7.34 | 1 × omp parallel (empty) (0.590 µs) + 1 × omp barrier (0.320 µs) | 0.910 |"),
      std::string::npos)
      << two_shards;

  // Without the registry's table the patterns stand unexplained, and say so.
  const std::string unknown = overhead_section({});
  EXPECT_NE(unknown.find("is not known to this report"), std::string::npos) << unknown;
  EXPECT_EQ(unknown.find("| pattern |"), std::string::npos) << unknown;
}

// The machine's ceiling (pattern "independent") is drawn and tabled, never ranked as a pattern.
TEST(Report, TheMachinesCeilingIsAReferenceNotAPattern) {
  Scratch s;
  // Above every pattern of the fixture (openmp 1.01 at p = 2, batch 256), and 10 times faster
  // than all of them: it must still not be called the fastest.
  gd::write_report({fixture_with_ceiling(s.dir, "with-ceiling.json", 1.02, 10)}, (s.dir / "r").string());
  const std::string md = read(s.dir / "r" / "report.md");
  const std::string eff = read(s.dir / "r" / "efficiency-threads.svg");
  EXPECT_NE(eff.find("machine ceiling (p independent sequential copies)"), std::string::npos);
  EXPECT_NE(md.find("The machine's ceiling (the dashed grey line): 2 copies of the sequential step at once, sharing "
                    "nothing, ran at E = 1.02."),
            std::string::npos);
  EXPECT_NE(md.find("### independent"), std::string::npos);
  EXPECT_NE(md.find("Not a pattern: the machine's own ceiling."), std::string::npos);
  EXPECT_NE(md.find("| independent (the machine's ceiling) | 2 |"), std::string::npos);
  EXPECT_NE(md.find("What a pattern loses below it is its own cost"), std::string::npos);
  EXPECT_NE(md.find(" and the machine's ceiling × thread counts"), std::string::npos) << "the summary names it";
  // Not ranked: neither fastest, nor in the speedup and throughput charts, nor in the overhead bars.
  const std::size_t at = md.find("Highest throughput: ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(md.substr(at, md.find('\n', at) - at).find("independent"), std::string::npos);
  for (const char* chart : {"speedup-b256.svg", "throughput.svg", "overhead.svg"})
    EXPECT_EQ(read(s.dir / "r" / chart).find(">independent<"), std::string::npos) << chart;
}

// A ceiling below a pattern's E is said to be noise or cache effects; two runs compare their ceilings.
TEST(Report, APatternAboveTheCeilingAndTwoRunsCeilings) {
  Scratch s;
  gd::write_report({fixture_with_ceiling(s.dir, "low.json", 0.05), fixture_with_ceiling(s.dir, "high.json", 0.97)},
                   (s.dir / "r").string());
  const std::string md = read(s.dir / "r" / "report.md");
  EXPECT_NE(md.find("lies above it: noise, or one shared model used the caches better than 2 separate copies did"),
            std::string::npos);
  EXPECT_NE(md.find("The machine's ceiling (independent copies) at p = 2, batch 256: E = 0.05 in low, 0.97 in high."),
            std::string::npos);
  EXPECT_EQ(md.find("Cells only in"), std::string::npos) << "the ceiling's cells are not counted as unmatched";
}

TEST(Report, ReplacesAnOlderReportButNotOtherFolders) {
  Scratch s;
  const std::string out = (s.dir / "r").string();
  gd::write_report({results_path("results-2core.json")}, out);
  write(s.dir / "r" / "stale.txt", "left from before");
  gd::write_report({results_path("results-2core-after.json")}, out);
  EXPECT_FALSE(fs::exists(s.dir / "r" / "stale.txt"));
  EXPECT_TRUE(fs::exists(s.dir / "r" / "results" / "results-2core-after.json"));
  EXPECT_EQ(s.entries(), std::vector<std::string>{"r"});

  fs::create_directories(s.dir / "notes");
  write(s.dir / "notes" / "mine.txt", "not a report");
  EXPECT_THROW(gd::write_report({results_path("results-2core.json")}, (s.dir / "notes").string()), gd::UsageError);
  EXPECT_EQ(read(s.dir / "notes" / "mine.txt"), "not a report");
  EXPECT_THROW(gd::write_report({results_path("results-2core.json")}, "/"), gd::UsageError);
}

TEST(Report, BadInputsLeaveNothingBehind) {
  Scratch s;
  write(s.dir / "corrupt.json", "{\"schema\": \"gdlab-results\", \"version\": 1, \"cells\": [");
  write(s.dir / "other.json", "{\"schema\": \"something-else\", \"version\": 1}");
  std::string future = read(results_path("results-2core.json"));
  future.replace(future.find("\"version\": 1"), 12, "\"version\": 99");
  write(s.dir / "future.json", future);
  std::string truncated = read(results_path("results-2core.json"));
  truncated.replace(truncated.find("\"pattern\""), 9, "\"patern\"");
  write(s.dir / "field.json", truncated);
  const auto before = s.entries();
  for (const char* bad : {"missing.json", "corrupt.json", "other.json", "future.json", "field.json"}) {
    // A good file first: a bad one anywhere in the list stops the report before anything is written.
    EXPECT_THROW(
        gd::write_report({results_path("results-2core.json"), (s.dir / bad).string()}, (s.dir / "out").string()),
        gd::UsageError)
        << bad;
    EXPECT_EQ(s.entries(), before) << bad;
  }
}

// A failure half-way (here gnuplot failing on the first chart) removes the half-built report
// and leaves an existing report as it was.
TEST(Report, FailureWhileBuildingKeepsTheOldReport) {
  Scratch s;
  const std::string out = (s.dir / "r").string();
  gd::write_report({results_path("results-2core.json")}, out);
  const std::string before = read(s.dir / "r" / "report.md");
  gd::ReportOptions broken;
  broken.gnuplot = "false";  // a program that exits with status 1
  EXPECT_THROW(gd::write_report({results_path("results-2core-after.json")}, out, broken), std::runtime_error);
  EXPECT_EQ(read(s.dir / "r" / "report.md"), before);
  EXPECT_EQ(s.entries(), std::vector<std::string>{"r"});
  broken.gnuplot = "/nonexistent/gnuplot";
  EXPECT_THROW(gd::write_report({results_path("results-2core-after.json")}, (s.dir / "new").string(), broken),
               std::runtime_error);
  EXPECT_EQ(s.entries(), std::vector<std::string>{"r"});
}

// The command line: exit status 2 and one clear line for bad input, 0 and the path on success.
namespace {
struct CliRun {
  int status;
  std::string out, err;
};
CliRun run_cli(const std::string& args, const fs::path& dir) {
  const std::string cmd =
      std::string(GDLAB_CLI) + " " + args + " >" + (dir / "stdout").string() + " 2>" + (dir / "stderr").string();
  const int raw = std::system(cmd.c_str());
  CliRun r{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read(dir / "stdout"), read(dir / "stderr")};
  fs::remove(dir / "stdout");
  fs::remove(dir / "stderr");
  return r;
}
}  // namespace

TEST(ReportCli, ExitStatusAndMessages) {
  Scratch s;
  const std::string good = results_path("results-2core.json");
  CliRun ok = run_cli("report " + good + " --out " + (s.dir / "rep").string() + "/", s.dir);
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.out, (s.dir / "rep" / "index.html").string() + "\n");

  write(s.dir / "corrupt.json", "not json at all");
  CliRun corrupt = run_cli("report " + (s.dir / "corrupt.json").string() + " --out " + (s.dir / "bad").string(), s.dir);
  EXPECT_EQ(corrupt.status, 2);
  EXPECT_NE(corrupt.err.find("corrupt.json"), std::string::npos) << corrupt.err;
  EXPECT_EQ(std::count(corrupt.err.begin(), corrupt.err.end(), '\n'), 1) << corrupt.err;
  CliRun missing = run_cli("report " + (s.dir / "nope.json").string() + " --out " + (s.dir / "bad").string(), s.dir);
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("nope.json: no such results file"), std::string::npos) << missing.err;
  CliRun no_out = run_cli("report " + good, s.dir);
  EXPECT_EQ(no_out.status, 2);
  EXPECT_FALSE(fs::exists(s.dir / "bad"));
  EXPECT_EQ(s.entries(), (std::vector<std::string>{"corrupt.json", "rep"}));
}

// reports/2core-full is the report the README shows. It must still be what this code makes from
// its results file: a change to the report or to the results schema means regenerating it
// (reports/README.md has the command) in the same commit.
TEST(ReportCommitted, MatchesWhatTheCodeMakesFromItsResults) {
  const fs::path committed = kSource / "reports" / "2core-full";
  Scratch s;
  // Made by gdlab report itself, as reports/README.md says, so what the command adds (the
  // pattern registry's primitive costs) is part of the comparison.
  const CliRun made = run_cli(
      "report " + (committed / "results" / "2core-full.json").string() + " --out " + (s.dir / "2core-full").string(),
      s.dir);
  ASSERT_EQ(made.status, 0) << made.err;
  for (const char* f : {"report.md", "cells.csv", "fits.csv", "primitives.csv"})
    EXPECT_TRUE(read(s.dir / "2core-full" / f) == read(committed / f))
        << "reports/2core-full/" << f << " is out of date; regenerate it:\n  ./gdlab report "
        << "reports/2core-full/results/2core-full.json --out reports/2core-full/";
}
