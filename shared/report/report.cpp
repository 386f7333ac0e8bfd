// Comparison reports: the files of a report, built in a temporary folder and moved into
// place whole. The sections are in section_*.cpp, the document model in document.hpp.
#include "report/report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "report/run_report.hpp"
#include "report/text.hpp"
#include "train/error.hpp"
#include "train/files.hpp"

namespace fs = std::filesystem;

namespace gd {
namespace {

using namespace report;

// ---------------------------------------------------------------------------------------------
// Files.

// Every cell of every run, the run's label first, then the columns of the results CSV.
std::string cells_csv(const std::vector<RunView>& views) {
  std::string out = "run," + cell_csv_header() + "\n";
  for (const auto& v : views)
    for (const auto& c : v.r.cells) out += csv_field(v.run.label) + "," + cell_csv_row(c) + "\n";
  return out;
}

std::string file_safe(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out.empty() ? "run" : out;
}

// A temporary folder that removes itself unless released: nothing half-built survives an error.
class TempDir {
 public:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

fs::path make_temp_dir(const fs::path& parent, const std::string& stem) {
  std::string tmpl = (parent / ("." + stem + ".tmp-XXXXXX")).string();
  if (!mkdtemp(tmpl.data()))
    throw UsageError(fmt::format("{}: cannot create a folder there ({})", parent.string(), std::strerror(errno)));
  return tmpl;
}

}  // namespace

void build_report(const std::vector<ReportRun>& runs, const std::string& folder, const ReportOptions& options) {
  std::vector<RunView> views;
  for (const auto& r : runs) views.emplace_back(r);
  for (const auto& v : views)
    if (v.r.cells.empty()) throw UsageError(v.run.source + ": the results file holds no cells");
  const ColourMap colours(views);
  const fs::path out(folder);
  const fs::path scratch = out / ".gnuplot";
  fs::create_directories(scratch);

  Doc doc;
  std::string comparison = comparison_csv_header();
  if (views.size() > 1) comparison_section(doc, views, comparison);
  std::vector<std::pair<std::string, std::string>> svgs;
  std::vector<Fit> fits;
  std::vector<std::string> fit_runs;
  for (std::size_t i = 0; i < views.size(); ++i) {
    const std::string anchor = fmt::format("run{}", i + 1);
    const std::string prefix = views.size() > 1 ? file_safe(views[i].run.label) + "-" : "";
    doc.h2(views.size() > 1 ? "Run " + views[i].run.label : "Results", anchor);
    // The file's name only: the same results give the same report wherever they are stored.
    const Environment& env = views[i].r.environment;
    doc.para(
        fmt::format("From {}: {} on {} ({}, {} CPU{} available, {}, {}, commit {}), {}. The machine and build "
                    "in full are at the end.",
                    fs::path(views[i].run.source).filename().string(), env.command_line, env.hostname, env.cpu_model,
                    env.cpus_available, env.cpus_available == 1 ? "" : "s", env.compiler, env.kernel_library,
                    env.git_commit, env.date));
    RunReport rr(views[i], colours, options, scratch.string(), prefix, anchor);
    rr.write(doc, svgs, fits);
    fit_runs.resize(fits.size(), views[i].run.label);
  }
  machine_section(doc, views);
  doc.h2("Definitions", "definitions");
  doc.bullets(
      {"p: worker threads requested; T_p: median wall time per step with p threads; T_seq: the sequential "
       "pattern's, same batch and shards.",
       "S = T_seq / T_p (speedup); S_rel = T_1 / T_p; E = S / p (efficiency).",
       "A = process CPU time / wall time over the timed steps: the measured parallelism degree (spinning "
       "counts as busy).",
       "e = (1/S − 1/p) / (1 − 1/p): the Karp–Flatt serial fraction, for p > 1. Flat e: a fixed serial part; "
       "growing e: overhead that grows with p.",
       "Overhead per step = (p·T_p − T_seq) / p: the time each step spends beyond a perfect split.",
       "Amdahl fit: T(p) = a + b/p, least squares over p ≤ CPUs available.",
       "Within noise: the 95% confidence intervals of two medians overlap.",
       "⚠ flagged cells: oversubscribed (p above the CPUs available), low_parallelism (A well below p), noisy "
       "(wide spread across repetitions), incomplete (fewer repetitions than asked), checksum_differs, "
       "reps_differ, hidden_threads (more threads worked than p: a library's own threads)."});

  std::vector<std::string> labels;
  for (const auto& r : runs) labels.push_back(r.label);
  const std::string title = options.title.empty() ? "gdlab report: " + out.filename().string() : options.title;
  const std::string subtitle = fmt::format(
      "Concurrency patterns for one MLP trainer, measured side by side. Runs: {}. Files: index.html, "
      "report.md, the SVG charts, cells.csv (every number), fits.csv, primitives.csv{}.",
      and_list(labels), views.size() > 1 ? ", comparison.csv" : "");

  if (options.stop && options.stop()) throw Interrupted();
  write_file_atomic((out / "index.html").string(), doc.html(title, subtitle));
  write_file_atomic((out / "report.md").string(), doc.markdown(title, subtitle));
  for (const auto& [name, svg] : svgs) write_file_atomic((out / name).string(), svg);
  write_file_atomic((out / "cells.csv").string(), cells_csv(views));
  std::string fcsv = "run,pattern,batch,shards,points,a_seconds,b_seconds\n";
  for (std::size_t i = 0; i < fits.size(); ++i)
    fcsv += fmt::format("{},{},{},{},{},{},{}\n", csv_field(fit_runs[i]), csv_field(fits[i].pattern), fits[i].batch,
                        fits[i].shards, fits[i].points, csv_num(fits[i].a), csv_num(fits[i].b));
  write_file_atomic((out / "fits.csv").string(), fcsv);
  std::string pcsv = "run,name,threads,microseconds\n";
  for (const auto& v : views)
    for (const auto& p : v.r.primitives)
      pcsv +=
          fmt::format("{},{},{},{}\n", csv_field(v.run.label), csv_field(p.name), p.threads, csv_num(p.microseconds));
  write_file_atomic((out / "primitives.csv").string(), pcsv);
  if (views.size() > 1) write_file_atomic((out / "comparison.csv").string(), comparison);
  fs::create_directories(out / "results");
  for (const auto& r : runs)
    write_file_atomic((out / "results" / (r.label + ".json")).string(), results_to_json(r.results));
  fs::remove_all(scratch);
}

void write_report(const std::vector<std::string>& inputs, const std::string& out_dir, const ReportOptions& options) {
  if (inputs.empty()) throw UsageError("report: give at least one results file");
  if (out_dir.empty()) throw UsageError("report: --out FOLDER is required");
  // Read and validate every input before anything is written.
  std::vector<ReportRun> runs;
  std::set<std::string> used;
  for (const auto& path : inputs) {
    std::string label = file_safe(fs::path(path).stem().string());
    for (int n = 2; used.count(label); ++n) label = file_safe(fs::path(path).stem().string()) + "-" + std::to_string(n);
    used.insert(label);
    runs.push_back({label, path, read_results(path)});
  }

  fs::path out = fs::path(out_dir).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();  // "reports/NAME/" -> "reports/NAME"
  if (out.empty() || out == "." || out == ".." || out == out.root_path())
    throw UsageError(fmt::format("--out {}: name a folder for the report, e.g. reports/NAME", out_dir));
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) throw UsageError(fmt::format("--out {}: exists and is not a folder", out_dir));
    const bool empty = fs::is_empty(out, ec);
    if (!empty && !(fs::exists(out / "index.html") && fs::exists(out / "report.md")))
      throw UsageError(
          fmt::format("--out {}: exists and is not a gdlab report (no index.html and report.md); "
                      "refusing to replace it, choose another folder",
                      out_dir));
  }
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  if (ec) throw UsageError(fmt::format("--out {}: cannot create {} ({})", out_dir, parent.string(), ec.message()));

  TempDir staging(make_temp_dir(parent, out.filename().string()));
  ReportOptions named = options;
  if (named.title.empty()) named.title = "gdlab report: " + out.filename().string();
  build_report(runs, staging.path().string(), named);
  // The last point where a stop leaves the older report as it was.
  if (options.stop && options.stop()) throw Interrupted();
  // Swap the finished report into place: the old one (if any) is moved aside first and
  // removed only once the new one is in place.
  fs::permissions(staging.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec);
  std::optional<TempDir> old;
  if (fs::exists(out, ec)) {
    old.emplace(parent / fmt::format(".{}.old-{}", out.filename().string(), ::getpid()));
    fs::rename(out, old->path());
  }
  fs::rename(staging.path(), out, ec);
  if (ec) {
    if (old) fs::rename(old->path(), out), old->release();
    throw UsageError(fmt::format("--out {}: cannot move the report into place ({})", out_dir, ec.message()));
  }
  staging.release();
}

}  // namespace gd
