// Charts for reports, drawn by gnuplot (Debian's gnuplot-nox) through its SVG terminal.
//
// The report code describes a chart as data (series of points, labels, bars); this file
// writes that data and a gnuplot script into a scratch folder, runs gnuplot as a child
// process and returns the SVG it wrote. No plotting is done by hand here: gnuplot lays out
// the axes, ticks, legend and lines.
//
// Every chart can mark "flagged" points (noisy or oversubscribed measurements) with a large
// red open circle, listed in the legend, so a reader never takes a doubtful point at face value.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace gd::report {

struct Series {
  enum class Style { LinesPoints, DashedLine, Points };
  std::string title;  // legend entry; empty: not in the legend
  std::string color;  // "#rrggbb"
  Style style = Style::LinesPoints;
  int point_type = 7;                             // gnuplot point type (7 filled circle, 5 filled square, ...)
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in this order
};

// A line chart: x against y, one or more series.
struct LineChart {
  std::string title, xlabel, ylabel;
  bool log2_x = false;        // x axis in powers of two (thread counts, batch sizes)
  std::vector<double> xtics;  // the x values to label; empty: gnuplot chooses
  double ymin = 0;            // lower end of the y axis
  double vline = 0;           // > 0: a dotted vertical line here ...
  std::string vline_label;    // ... with this label (e.g. "CPUs available")
  std::vector<Series> series;
  std::vector<std::pair<double, double>> flagged;  // points to circle in red
};

// A bar chart on a logarithmic value axis: one bar per label, two colour groups.
struct Bar {
  std::string label;
  double value = 0;  // > 0 (the axis is logarithmic); others are left out
  int group = 0;     // 0 first group colour, 1 second
  bool flagged = false;
};
struct BarChart {
  std::string title, ylabel;
  std::string group_title[2];  // legend entries of the two groups
  std::string group_color[2];
  std::vector<Bar> bars;
};

// Runs gnuplot and returns the SVG text. `scratch` is an existing folder for the data and
// script files; `program` is the gnuplot executable. Throws std::runtime_error with
// gnuplot's own message when it fails, or when it cannot be started.
// Text made safe for XML or HTML (SVG titles, report tables).
std::string xml_escape(const std::string& s);

std::string render_svg(const LineChart& chart, const std::string& scratch, const std::string& name,
                       const std::string& program = "gnuplot");
std::string render_svg(const BarChart& chart, const std::string& scratch, const std::string& name,
                       const std::string& program = "gnuplot");

// Makes an SVG from gnuplot safe to paste into an HTML page beside other charts: drops the
// XML prolog, prefixes every id (and every reference to one) with `prefix`, so the point
// symbols of one chart never resolve to another's, and sets the chart's <title>.
std::string inline_svg(const std::string& svg, const std::string& prefix, const std::string& title);

// Runs a program (looked up in PATH) with arguments, output and errors sent to files.
// Returns its exit status; throws std::runtime_error when it cannot be started.
int run_program(const std::vector<std::string>& argv, const std::string& stdout_path, const std::string& stderr_path);

}  // namespace gd::report
