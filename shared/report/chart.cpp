// Charts through gnuplot's SVG terminal: write data files and a script, run gnuplot, read the SVG.
#include "report/chart.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

extern char** environ;

namespace gd::report {
namespace {

// A gnuplot string literal. Single quotes: no backslash escapes, '' stands for one quote.
std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "''";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out + "'";
}

// A label inside a data file: double-quoted, so it may hold spaces.
std::string data_label(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"' || c == '\n') ? '\'' : c;
  return out + "\"";
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error(path + ": cannot write");
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// %.17g: the data file holds the exact number; gnuplot decides how to print ticks.
std::string num(double v) { return fmt::format("{:.17g}", v); }

// The lines every chart starts with. `noenhanced`: pattern names such as thread_pool keep
// their underscores instead of turning into subscripts.
std::string preamble(const std::string& svg_path, const std::string& title, int width, int height) {
  std::string s;
  s += fmt::format("set terminal svg size {},{} noenhanced font 'sans,11' background '#ffffff'\n", width, height);
  s += fmt::format("set output {}\n", gp_quote(svg_path));
  s += "set encoding utf8\n";
  s += fmt::format("set title {}\n", gp_quote(title));
  s += "set border 3 lc rgb '#444444'\nset tics nomirror\n";
  s += "set grid ytics lc rgb '#dddddd' lw 1\n";
  return s;
}

std::string run_gnuplot(const std::string& script, const std::string& scratch, const std::string& name,
                        const std::string& program) {
  const std::string gp = scratch + "/" + name + ".gp";
  const std::string svg = scratch + "/" + name + ".svg";
  const std::string log = scratch + "/" + name + ".log";
  write_text(gp, script);
  const int rc = run_program({program, gp}, "/dev/null", log);
  if (rc != 0) {
    std::string msg = read_text(log);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw std::runtime_error(fmt::format("gnuplot failed on chart '{}' (status {}): {}", name, rc, msg));
  }
  std::string out = read_text(svg);
  if (out.find("</svg>") == std::string::npos)
    throw std::runtime_error(fmt::format("gnuplot wrote no complete SVG for chart '{}'", name));
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace

int run_program(const std::vector<std::string>& argv, const std::string& stdout_path, const std::string& stderr_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0)
    throw std::runtime_error(fmt::format("cannot run {}: {}{}", argv[0], std::strerror(err),
                                         argv[0] == "gnuplot" ? " (install Debian's gnuplot-nox; ./gdlab does)" : ""));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(fmt::format("waiting for {}: {}", argv[0], std::strerror(errno)));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

namespace {

// The end of every chart script: red circles around the flagged points (one "x y" row
// each; none, no circles), then one plot command of all the series, run by gnuplot.
std::string plot_and_render(std::string s, std::vector<std::string> plots, const std::string& flagged_rows,
                            const char* circle_size, const std::string& scratch, const std::string& name,
                            const std::string& program) {
  if (!flagged_rows.empty()) {
    const std::string dat = scratch + "/" + name + ".flagged.dat";
    write_text(dat, flagged_rows);
    plots.push_back(
        fmt::format("{} using 1:2 with points pt 6 ps {} lw 2 lc rgb '#d62728' "
                    "title 'flagged: noisy or oversubscribed'",
                    gp_quote(dat), circle_size));
  }
  s += "plot ";
  for (std::size_t i = 0; i < plots.size(); ++i) s += (i ? ", \\\n     " : "") + plots[i];
  s += "\n";
  return run_gnuplot(s, scratch, name, program);
}

}  // namespace

std::string render_svg(const LineChart& chart, const std::string& scratch, const std::string& name,
                       const std::string& program) {
  // Every file name is given in full: gnuplot runs in the caller's working directory.
  std::string s = preamble(scratch + "/" + name + ".svg", chart.title, 760, 420);
  s += fmt::format("set xlabel {}\nset ylabel {}\n", gp_quote(chart.xlabel), gp_quote(chart.ylabel));
  s += "set key outside right top vertical Left reverse samplen 2.5 spacing 1.1\n";

  double xmin = INFINITY, xmax = -INFINITY;
  for (const auto& se : chart.series)
    for (auto [x, y] : se.points) xmin = std::min(xmin, x), xmax = std::max(xmax, x);
  if (!std::isfinite(xmin)) throw std::logic_error("chart '" + name + "' has no points");
  if (chart.log2_x) {
    s += "set logscale x 2\n";
    s += fmt::format("set xrange [{}:{}]\n", num(xmin / 1.25), num(xmax * 1.25));
  } else {
    const double pad = std::max(0.5, (xmax - xmin) * 0.06);
    s += fmt::format("set xrange [{}:{}]\n", num(xmin - pad), num(xmax + pad));
  }
  if (!chart.xtics.empty()) {
    std::string tics;
    for (double x : chart.xtics) tics += fmt::format("{}'{}' {}", tics.empty() ? "" : ", ", x, num(x));
    s += "set xtics (" + tics + ")\n";
  }
  s += fmt::format("set yrange [{}:*]\n", num(chart.ymin));
  if (chart.vline > 0) {
    s += fmt::format("set arrow from {0}, graph 0 to {0}, graph 1 nohead dt 3 lw 1.5 lc rgb '#777777'\n",
                     num(chart.vline));
    s += fmt::format("set label {} at {}, graph 0.96 right offset -0.6,0 tc rgb '#555555'\n",
                     gp_quote(chart.vline_label), num(chart.vline));
  }

  std::vector<std::string> plots;
  int index = 0;
  for (const auto& se : chart.series) {
    if (se.points.empty()) continue;
    const std::string dat = fmt::format("{}/{}.s{}.dat", scratch, name, index++);
    std::string rows;
    for (auto [x, y] : se.points) rows += num(x) + " " + num(y) + "\n";
    write_text(dat, rows);
    std::string style;
    switch (se.style) {
      case Series::Style::LinesPoints:
        style = fmt::format("with linespoints lw 1.6 pt {} ps 0.9", se.point_type);
        break;
      case Series::Style::DashedLine:
        style = "with lines dt 2 lw 1.3";
        break;
      case Series::Style::Points:
        style = fmt::format("with points pt {} ps 1.1", se.point_type);
        break;
    }
    plots.push_back(fmt::format("{} using 1:2 {} lc rgb {} {}", gp_quote(dat), style, gp_quote(se.color),
                                se.title.empty() ? "notitle" : "title " + gp_quote(se.title)));
  }
  std::string flagged_rows;
  for (auto [x, y] : chart.flagged) flagged_rows += num(x) + " " + num(y) + "\n";
  return plot_and_render(s, plots, flagged_rows, "2.3", scratch, name, program);
}

std::string render_svg(const BarChart& chart, const std::string& scratch, const std::string& name,
                       const std::string& program) {
  std::string s = preamble(scratch + "/" + name + ".svg", chart.title, 760, 440);
  std::vector<Bar> bars;
  for (const auto& b : chart.bars)
    if (b.value > 0 && std::isfinite(b.value)) bars.push_back(b);
  if (bars.empty()) throw std::logic_error("chart '" + name + "' has no bars");
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& b : bars) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
  s += fmt::format("set ylabel {}\n", gp_quote(chart.ylabel));
  s += "set logscale y 10\n";
  s += fmt::format("set yrange [{}:{}]\n", num(std::pow(10.0, std::floor(std::log10(lo)))),
                   num(std::pow(10.0, std::ceil(std::log10(hi * 1.6)))));
  s += fmt::format("set xrange [-0.7:{}]\n", num(double(bars.size()) - 0.3));
  s += "set style fill solid 0.85 border rgb '#333333'\nset boxwidth 0.7\n";
  s += "set xtics rotate by -35 left scale 0 font 'sans,10'\nset bmargin 9\n";
  s += "set key outside top center horizontal Left reverse\n";  // above the plot: never over a bar

  std::vector<std::string> plots;
  std::string flagged_rows;
  for (int g = 0; g < 2; ++g) {
    std::string rows;
    for (std::size_t i = 0; i < bars.size(); ++i) {
      if (bars[i].group != g) continue;
      rows += fmt::format("{} {} {}\n", i, num(bars[i].value), data_label(bars[i].label));
      if (bars[i].flagged) flagged_rows += fmt::format("{} {}\n", i, num(bars[i].value * 1.3));
    }
    if (rows.empty()) continue;
    const std::string dat = fmt::format("{}/{}.g{}.dat", scratch, name, g);
    write_text(dat, rows);
    plots.push_back(fmt::format("{} using 1:2:xtic(3) with boxes lc rgb {} title {}", gp_quote(dat),
                                gp_quote(chart.group_color[g]), gp_quote(chart.group_title[g])));
  }
  return plot_and_render(s, plots, flagged_rows, "2.0", scratch, name, program);
}

std::string inline_svg(const std::string& svg, const std::string& prefix, const std::string& title) {
  std::string s = svg;
  const auto start = s.find("<svg");
  if (start != std::string::npos) s.erase(0, start);
  for (const char* q : {"'", "\""}) {
    replace_all(s, std::string("id=") + q, std::string("id=") + q + prefix);
    replace_all(s, std::string("href=") + q + "#", std::string("href=") + q + "#" + prefix);
  }
  replace_all(s, "url(#", "url(#" + prefix);
  replace_all(s, "<title>Gnuplot</title>", "<title>" + xml_escape(title) + "</title>");
  replace_all(s, "<svg ", "<svg role=\"img\" aria-label=\"" + xml_escape(title) + "\" ");
  return s;
}

// Escapes &, <, > and " for XML and HTML text and double-quoted attributes.
std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace gd::report
