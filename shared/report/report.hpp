// Comparison reports (gdlab report): results files of the benchmark matrix turned into a
// report an instructor can hand out.
//
// A report is one folder:
//   index.html       self-contained (charts inline as SVG, no scripts, no network), prints on A4
//   report.md        the same headings, tables and paragraphs; charts as the SVG files beside it
//   *.svg            the charts, drawn by gnuplot (report_chart.hpp)
//   cells.csv        every number of every cell, one row per (run, cell)
//   fits.csv         the Amdahl fits T(p) = a + b/p behind the speedup charts
//   primitives.csv   the primitive costs the overhead chart sets beside the patterns
//   comparison.csv   with several runs: each cell of the first run against the same cell of the others
//   results/         a copy of every input results file, so a report carries its data
//
// Metrics are those of the results file (bench/RESULTS.md); the report only selects,
// compares and explains them. Every paragraph under a chart is computed from the numbers.
#pragma once
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "measure/results.hpp"

namespace gd {

struct ReportRun {
  std::string label;   // short name used in headings and file names (the file's stem)
  std::string source;  // the path it was read from
  Results results;
};

struct ReportOptions {
  std::string title;  // empty: "gdlab report: " + the output folder's name
  std::string gnuplot = "gnuplot";
  // Asked before each chart and before the report is moved into place; when it returns
  // true the report is abandoned with gd::Interrupted (Ctrl-C in gdlab report).
  std::function<bool()> stop;
  // What a pattern pays per step in primitives (gdlab report passes the pattern registry's
  // what_it_pays). The overhead section then prices every pattern's primitives and sets
  // that beside its overhead; without it, the two stand side by side unexplained.
  std::function<std::span<const PrimitiveUse>(const std::string& pattern)> pays;
  // What a pattern's threads split (gdlab report passes the registry's axis_of). With it,
  // a run that measured a model-parallel pattern gets a section setting the fastest
  // pattern of each axis side by side at every batch.
  std::function<Axis(const std::string& pattern)> axis;
};

// Reads every input with read_results (UsageError for a missing, corrupt or wrong-schema
// file), then builds the whole report in a temporary folder beside out_dir and renames it
// into place. On any error or interruption nothing is left behind and an older report in
// out_dir is untouched; an existing out_dir is replaced only when it is a previous report
// (it holds index.html and report.md), else UsageError.
void write_report(const std::vector<std::string>& inputs, const std::string& out_dir,
                  const ReportOptions& options = {});

// Builds the report's files into an existing, empty folder. write_report's worker,
// usable on runs already in memory.
void build_report(const std::vector<ReportRun>& runs, const std::string& folder, const ReportOptions& options);

}  // namespace gd
