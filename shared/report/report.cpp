// Comparison reports: results files -> tables, gnuplot charts and paragraphs, as HTML, Markdown, CSV.
//
// The report is built as a list of blocks (headings, paragraphs, tables, figures) and the same
// list is rendered twice, as index.html and as report.md, so the two always hold the same
// tables and the same sentences. Every sentence under a chart is computed from the cells.
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

#include "train/error.hpp"
#include "measure/harness.hpp"
#include "report/chart.hpp"

namespace fs = std::filesystem;

namespace gd {
namespace {

// ---------------------------------------------------------------------------------------------
// Numbers as text. Fixed rules, so a report is the same byte for byte from the same results.

// v with `digits` significant digits, never in exponent notation ("2.83", "0.0512", "1530").
std::string sig(double v, int digits = 3) {
  if (!std::isfinite(v)) return "–";
  if (v == 0) return "0";
  const int magnitude = int(std::floor(std::log10(std::fabs(v))));
  const int decimals = std::max(0, digits - 1 - magnitude);
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s == "-0" || s.find_first_not_of("-0.") == std::string::npos) return "0";
  return s;
}
std::string ms(double seconds) { return sig(seconds * 1e3); }
std::string us(const std::optional<double>& seconds) { return seconds ? sig(*seconds * 1e6) : "–"; }
std::string fixed2(const std::optional<double>& v) { return v && std::isfinite(*v) ? fmt::format("{:.2f}", *v) : "–"; }
// Thousands grouped with a thin space: 153 000 samples/s reads better than 153000.
std::string grouped(double v) {
  if (!std::isfinite(v)) return "–";
  std::string digits = fmt::format("{:.0f}", std::fabs(v)), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += "\u2009";
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}
std::string csv_num(double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : ""; }
std::string csv_num(const std::optional<double>& v) { return v ? csv_num(*v) : ""; }
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}
// "a", "a and b", "a, b and c".
std::string and_list(const std::vector<std::string>& parts) {
  if (parts.empty()) return "";
  if (parts.size() == 1) return parts[0];
  std::vector<std::string> head(parts.begin(), parts.end() - 1);
  return join(head, ", ") + " and " + parts.back();
}

// ---------------------------------------------------------------------------------------------
// The document: blocks rendered to HTML and to Markdown.

struct Row {
  std::vector<std::string> cells;
  std::string mark;  // "" plain, "flag" (noisy/oversubscribed cell: ⚠), "differs" (≠)
};
struct Table {
  std::vector<std::string> header;
  std::vector<Row> rows;
  bool words = false;  // a table of words (left-aligned), not of numbers
};
struct Figure {
  std::string file;   // the SVG file beside report.md
  std::string title;
  std::string svg;    // gnuplot's output
  std::string text;   // the paragraph computed from the numbers
};
struct Block {
  enum class Kind { H2, H3, Para, Bullets, Tab, Fig } kind;
  std::string text, id;
  std::vector<std::string> items;
  Table table;
  Figure figure;
};

std::string html_escape(const std::string& s) { return report::xml_escape(s); }
std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '*' || c == '_' || c == '<' || c == '`') out += '\\';
    out += c;
  }
  return out;
}
std::string mark_symbol(const std::string& mark) {
  if (mark == "flag") return "⚠ ";
  if (mark == "differs") return "≠ ";
  return "";
}

class Doc {
 public:
  void h2(const std::string& text, const std::string& id) { blocks_.push_back({Block::Kind::H2, text, id, {}, {}, {}}); }
  void h3(const std::string& text, const std::string& id) { blocks_.push_back({Block::Kind::H3, text, id, {}, {}, {}}); }
  void para(const std::string& text) { blocks_.push_back({Block::Kind::Para, text, "", {}, {}, {}}); }
  void bullets(std::vector<std::string> items) {
    blocks_.push_back({Block::Kind::Bullets, "", "", std::move(items), {}, {}});
  }
  void table(Table t) { blocks_.push_back({Block::Kind::Tab, "", "", {}, std::move(t), {}}); }
  void figure(Figure f) { blocks_.push_back({Block::Kind::Fig, "", "", {}, {}, std::move(f)}); }
  const std::vector<Block>& blocks() const { return blocks_; }

  std::string html(const std::string& title, const std::string& subtitle) const;
  std::string markdown(const std::string& title, const std::string& subtitle) const;

 private:
  std::vector<Block> blocks_;
};

// Print rules: A4 portrait, charts and tables never split across pages, links not expanded.
constexpr const char* kStyle = R"(
:root { --ink: #1b1b1b; --muted: #5b5b5b; --rule: #d0d0d0; --flag: #fff1c7; --differs: #e6efff; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, "DejaVu Sans", sans-serif; color: var(--ink); max-width: 1060px;
       margin: 0 auto; padding: 24px 28px 60px; background: #ffffff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--rule); }
h3 { font-size: 17px; margin: 24px 0 8px; }
p.subtitle { color: var(--muted); margin: 0 0 18px; }
nav ul { columns: 2; margin: 6px 0 0; padding-left: 20px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--rule); padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #f3f3f3; text-align: center; }
td:first-child, th:first-child { text-align: left; }
td.text, table.words td { text-align: left; }
tr.flag td { background: var(--flag); }
tr.differs td { background: var(--differs); }
figure { margin: 18px 0 26px; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; max-width: 760px; height: auto; border: 1px solid var(--rule); }
figcaption { max-width: 760px; margin-top: 6px; font-size: 14px; }
figcaption b { display: block; }
.legend span { padding: 1px 6px; margin-right: 8px; }
@page { size: A4 portrait; margin: 14mm 12mm; }
@media print {
  body { font-size: 10.5pt; max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  table { font-size: 8pt; break-inside: avoid; page-break-inside: avoid; }
  figure svg { max-width: 100%; border: none; }
  nav { display: none; }
}
)";

std::string Doc::html(const std::string& title, const std::string& subtitle) const {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>" + html_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>" + html_escape(title) + "</h1>\n<p class=\"subtitle\">" + html_escape(subtitle) + "</p>\n";
  h += "<nav><b>Contents</b><ul>\n";
  for (const auto& b : blocks_)
    if (b.kind == Block::Kind::H2) h += "<li><a href=\"#" + b.id + "\">" + html_escape(b.text) + "</a></li>\n";
  h += "</ul></nav>\n";
  int chart = 0;
  for (const auto& b : blocks_) {
    switch (b.kind) {
      case Block::Kind::H2: h += "<h2 id=\"" + b.id + "\">" + html_escape(b.text) + "</h2>\n"; break;
      case Block::Kind::H3: h += "<h3 id=\"" + b.id + "\">" + html_escape(b.text) + "</h3>\n"; break;
      case Block::Kind::Para: h += "<p>" + html_escape(b.text) + "</p>\n"; break;
      case Block::Kind::Bullets:
        h += "<ul>\n";
        for (const auto& item : b.items) h += "<li>" + html_escape(item) + "</li>\n";
        h += "</ul>\n";
        break;
      case Block::Kind::Tab: {
        h += b.table.words ? "<table class=\"words\">\n<thead><tr>" : "<table>\n<thead><tr>";
        for (const auto& c : b.table.header) h += "<th>" + html_escape(c) + "</th>";
        h += "</tr></thead>\n<tbody>\n";
        for (const auto& r : b.table.rows) {
          h += r.mark.empty() ? "<tr>" : "<tr class=\"" + r.mark + "\">";
          for (std::size_t i = 0; i < r.cells.size(); ++i) {
            // Words are left-aligned, numbers right-aligned.
            const std::string& c = r.cells[i];
            const bool text = !c.empty() && (std::isalpha(static_cast<unsigned char>(c[0])) || c[0] == '=');
            h += (text && i > 0) ? "<td class=\"text\">" : "<td>";
            h += html_escape((i == 0 ? mark_symbol(r.mark) : "") + c) + "</td>";
          }
          h += "</tr>\n";
        }
        h += "</tbody>\n</table>\n";
        break;
      }
      case Block::Kind::Fig:
        h += "<figure id=\"fig-" + fs::path(b.figure.file).stem().string() + "\">\n";
        h += report::inline_svg(b.figure.svg, fmt::format("c{}-", ++chart), b.figure.title);
        h += "<figcaption><b>" + html_escape(b.figure.title) + "</b>" + html_escape(b.figure.text) +
             "</figcaption>\n</figure>\n";
        break;
    }
  }
  h += "</body>\n</html>\n";
  return h;
}

std::string Doc::markdown(const std::string& title, const std::string& subtitle) const {
  std::string m = "# " + md_escape(title) + "\n\n" + md_escape(subtitle) + "\n";
  for (const auto& b : blocks_) {
    switch (b.kind) {
      case Block::Kind::H2: m += "\n## " + md_escape(b.text) + "\n"; break;
      case Block::Kind::H3: m += "\n### " + md_escape(b.text) + "\n"; break;
      case Block::Kind::Para: m += "\n" + md_escape(b.text) + "\n"; break;
      case Block::Kind::Bullets:
        m += "\n";
        for (const auto& item : b.items) m += "- " + md_escape(item) + "\n";
        break;
      case Block::Kind::Tab: {
        m += "\n|";
        for (const auto& c : b.table.header) m += " " + md_escape(c) + " |";
        m += "\n|";
        for (std::size_t i = 0; i < b.table.header.size(); ++i) m += i == 0 ? "---|" : "--:|";
        m += "\n";
        for (const auto& r : b.table.rows) {
          m += "|";
          for (std::size_t i = 0; i < r.cells.size(); ++i) {
            std::string cell = r.cells[i];
            if (i == 0) cell.insert(0, mark_symbol(r.mark));
            m += " ";
            m += md_escape(cell);
            m += " |";
          }
          m += "\n";
        }
        break;
      }
      case Block::Kind::Fig:
        m += "\n![" + md_escape(b.figure.title) + "](" + b.figure.file + ")\n\n**" + md_escape(b.figure.title) +
             "** " + md_escape(b.figure.text) + "\n";
        break;
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// One run, indexed for the questions the report asks.

struct Fit {
  std::string pattern;
  int batch = 0, shards = 0, points = 0;
  double a = 0, b = 0;  // T(p) = a + b/p, seconds per step
};

class RunView {
 public:
  explicit RunView(const ReportRun& run) : run(run), r(run.results) {
    for (const auto& p : r.config.patterns) add_pattern(p);
    std::set<int> threads;
    std::set<std::pair<int, int>> workloads;
    for (const auto& c : r.cells) {
      add_pattern(c.pattern);
      threads.insert(c.threads);
      workloads.insert({c.batch, c.shards});
      index_[key(c.pattern, c.threads, c.batch, c.shards)] = &c;
    }
    this->threads.assign(threads.begin(), threads.end());
    this->workloads.assign(workloads.begin(), workloads.end());
    cpus = std::max(1, r.environment.cpus_available);
    // The thread count the "at p = ..." charts use: the largest that does not oversubscribe.
    pc = this->threads.empty() ? 1 : this->threads.front();
    for (int p : this->threads)
      if (p <= cpus) pc = p;
    // One shard count per batch for the charts: the default (batch/64, at least 1) when it
    // was measured, else the one with the most cells, ties to the fewer shards.
    std::map<std::pair<int, int>, int> count;
    for (const auto& c : r.cells) ++count[{c.batch, c.shards}];
    for (auto [w, n] : count) {
      const int def = std::max(1, w.first / 64);
      auto it = primary.find(w.first);
      if (it == primary.end()) primary[w.first] = w.second;
      else if (it->second != def && (w.second == def || n > count[{w.first, it->second}])) it->second = w.second;
    }
    for (auto [batch, shards] : primary) batches.push_back(batch);
  }

  const Cell* find(const std::string& pattern, int threads, int batch, int shards) const {
    auto it = index_.find(key(pattern, threads, batch, shards));
    return it == index_.end() ? nullptr : it->second;
  }
  const Cell* sequential(int batch, int shards) const { return find("sequential", 1, batch, shards); }
  // The cells of one pattern on one workload, by thread count.
  std::vector<const Cell*> series(const std::string& pattern, int batch, int shards) const {
    std::vector<const Cell*> out;
    for (int p : threads)
      if (const Cell* c = find(pattern, p, batch, shards)) out.push_back(c);
    return out;
  }
  int headline_batch() const { return batches.empty() ? 0 : batches.back(); }
  // The patterns, then the machine's ceiling when it was measured: for the tables.
  std::vector<std::string> patterns_and_ceiling() const {
    std::vector<std::string> out = patterns;
    if (std::any_of(r.cells.begin(), r.cells.end(), [](const Cell& c) { return c.pattern == kIndependent; }))
      out.push_back(kIndependent);
    return out;
  }

  const ReportRun& run;
  const Results& r;
  std::vector<std::string> patterns;
  std::vector<int> threads, batches;
  std::vector<std::pair<int, int>> workloads;
  std::map<int, int> primary;  // batch -> shard count used in the charts
  int cpus = 1, pc = 1;

 private:
  static std::string key(const std::string& pattern, int p, int batch, int shards) {
    return fmt::format("{}/{}/{}/{}", pattern, p, batch, shards);
  }
  void add_pattern(const std::string& p) {
    // The machine's ceiling is no pattern: it is drawn and tabled apart, never ranked.
    if (p == kIndependent) return;
    if (std::find(patterns.begin(), patterns.end(), p) == patterns.end()) patterns.push_back(p);
  }
  std::map<std::string, const Cell*> index_;
};

// A cell whose time should be read with care: any flag from the harness, except a checksum
// that differs on a pattern whose combine order changes from run to run by design
// (expected, not doubtful).
bool flagged(const Cell& c) {
  return std::any_of(c.flags.begin(), c.flags.end(),
                     [&](const std::string& f) { return !(f == "checksum_differs" && !c.deterministic); });
}
bool overlap(const Cell& a, const Cell& b) {
  return a.step_seconds.ci95_low <= b.step_seconds.ci95_high && b.step_seconds.ci95_low <= a.step_seconds.ci95_high;
}
// Faster than `ref` beyond noise: the whole 95% CI of the median lies below ref's.
bool faster_beyond_noise(const Cell& c, const Cell& ref) { return c.step_seconds.ci95_high < ref.step_seconds.ci95_low; }

std::string cell_name(const Cell& c) { return fmt::format("{} (p = {})", c.pattern, c.threads); }
std::string workload_name(int batch, int shards) {
  return fmt::format("batch {}, {} shard{}", batch, shards, shards == 1 ? "" : "s");
}

// Least squares of T = a + b·(1/p) over the cells with p ≤ available CPUs (Amdahl's law
// describes p processors; oversubscribed points measure time slicing instead).
std::optional<Fit> amdahl_fit(const RunView& v, const std::string& pattern, int batch, int shards) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  std::set<int> ps;
  for (const Cell* c : v.series(pattern, batch, shards)) {
    if (c->threads > v.cpus || c->step_seconds.median <= 0) continue;
    const double x = 1.0 / c->threads, y = c->step_seconds.median;
    sx += x, sy += y, sxx += x * x, sxy += x * y, ++n;
    ps.insert(c->threads);
  }
  if (ps.size() < 2) return std::nullopt;
  const double den = n * sxx - sx * sx;
  Fit f{pattern, batch, shards, n, 0, 0};
  f.b = (n * sxy - sx * sy) / den;
  f.a = (sy - f.b * sx) / n;
  return f;
}

// Colours and point shapes: one per pattern, the same in every chart. Red is kept for flags.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                                    "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31",
                                    "#843c39", "#7b4173", "#3182bd", "#e6550d"};
constexpr int kPointTypes[] = {7, 5, 9, 11, 13, 15};

class ColourMap {
 public:
  explicit ColourMap(const std::vector<RunView>& views) {
    for (const auto& v : views)
      for (const auto& p : v.patterns)
        if (std::find(order_.begin(), order_.end(), p) == order_.end()) order_.push_back(p);
  }
  std::string colour(const std::string& pattern) const {
    if (pattern == "sequential") return "#000000";
    return kPalette[index(pattern) % std::size(kPalette)];
  }
  int point(const std::string& pattern) const { return kPointTypes[index(pattern) % std::size(kPointTypes)]; }

 private:
  std::size_t index(const std::string& p) const {
    return std::size_t(std::find(order_.begin(), order_.end(), p) - order_.begin());
  }
  std::vector<std::string> order_;
};

std::string weights_text(const Cell& c) {
  if (!c.matches_sequential) return "–";
  if (*c.matches_sequential) return "= sequential";
  return c.deterministic ? "DIFFERS (bug)" : "differs (by design)";
}

std::string flags_text(const Cell& c) { return c.flags.empty() ? "" : join(c.flags, ", "); }

// ---------------------------------------------------------------------------------------------
// The report of one run.

class RunReport {
 public:
  RunReport(const RunView& v, const ColourMap& colours, const ReportOptions& opt, std::string scratch,
            std::string prefix, std::string anchor)
      : v_(v), colours_(colours), opt_(opt), scratch_(std::move(scratch)), prefix_(std::move(prefix)),
        anchor_(std::move(anchor)) {}

  void write(Doc& doc, std::vector<std::pair<std::string, std::string>>& svg_files, std::vector<Fit>& fits);

 private:
  Figure chart(const std::string& stem, const std::string& title, const report::LineChart& c, std::string text);
  Figure chart(const std::string& stem, const std::string& title, const report::BarChart& c, std::string text);
  void summary(Doc& doc);
  void speedup_charts(Doc& doc, std::vector<Fit>& fits);
  void efficiency_threads(Doc& doc);
  void efficiency_batch(Doc& doc);
  void overhead(Doc& doc);
  void throughput(Doc& doc);
  void pattern_tables(Doc& doc);
  void fits_table(Doc& doc, const std::vector<Fit>& fits);
  void extras(Doc& doc);

  // Runs a chart unless a stop was asked for. Ctrl-C on a terminal also reaches gnuplot,
  // so a chart that fails while a stop is pending is an interruption, not an error.
  template <class Render>
  std::string stoppable(Render render) const {
    if (opt_.stop && opt_.stop()) throw Interrupted();
    try {
      return render();
    } catch (const std::exception&) {
      if (opt_.stop && opt_.stop()) throw Interrupted();
      throw;
    }
  }

  const RunView& v_;
  const ColourMap& colours_;
  const ReportOptions& opt_;
  std::string scratch_, prefix_, anchor_;
  std::vector<std::pair<std::string, std::string>> svgs_;
};

Figure RunReport::chart(const std::string& stem, const std::string& title, const report::LineChart& c,
                        std::string text) {
  const std::string name = prefix_ + stem;
  std::string svg = stoppable([&] { return report::render_svg(c, scratch_, name, opt_.gnuplot); });
  svgs_.push_back({name + ".svg", svg});
  return {name + ".svg", title, std::move(svg), std::move(text)};
}
Figure RunReport::chart(const std::string& stem, const std::string& title, const report::BarChart& c,
                        std::string text) {
  const std::string name = prefix_ + stem;
  std::string svg = stoppable([&] { return report::render_svg(c, scratch_, name, opt_.gnuplot); });
  svgs_.push_back({name + ".svg", svg});
  return {name + ".svg", title, std::move(svg), std::move(text)};
}

void RunReport::write(Doc& doc, std::vector<std::pair<std::string, std::string>>& svg_files,
                      std::vector<Fit>& fits) {
  summary(doc);
  std::vector<Fit> run_fits;
  speedup_charts(doc, run_fits);
  efficiency_threads(doc);
  efficiency_batch(doc);
  overhead(doc);
  throughput(doc);
  fits_table(doc, run_fits);
  pattern_tables(doc);
  extras(doc);
  for (auto& s : svgs_) svg_files.push_back(std::move(s));
  for (auto& f : run_fits) fits.push_back(std::move(f));
}

void RunReport::summary(Doc& doc) {
  const int batch = v_.headline_batch();
  const int shards = v_.primary.at(batch);
  doc.h3(fmt::format("Summary: {}", workload_name(batch, shards)), anchor_ + "-summary");
  int n_flagged = 0;
  for (const auto& c : v_.r.cells) n_flagged += flagged(c);
  doc.para(fmt::format(
      "{} cells: {} patterns{} × thread counts {} × batch sizes {}, on {} CPU{} available. "
      "{} cell{} carry a flag (⚠, shaded here and circled in red in the charts): oversubscribed (p above the CPUs "
      "available), low parallelism (A well below p), noisy (wide spread across repetitions) or incomplete. "
      "Times are medians of {} repetitions; brackets give the 95% confidence interval of the median.",
      v_.r.cells.size(), v_.patterns.size(),
      v_.patterns_and_ceiling().size() > v_.patterns.size() ? " and the machine's ceiling" : "", join([&] {
        std::vector<std::string> s;
        for (int p : v_.threads) s.push_back(std::to_string(p));
        return s;
      }(), ", "),
      join([&] {
        std::vector<std::string> s;
        for (int b : v_.batches) s.push_back(std::to_string(b));
        return s;
      }(), ", "),
      v_.cpus, v_.cpus == 1 ? "" : "s", n_flagged, n_flagged == 1 ? "" : "s", v_.r.config.reps));
  // A sequential run keeps one CPU busy all the time (A = 1). Well below that, something else was
  // taking the CPU: every time in this run is then inflated and noisy.
  int noisy = 0, seq_n = 0;
  double seq_a = 0;
  for (const auto& c : v_.r.cells) {
    noisy += std::count(c.flags.begin(), c.flags.end(), "noisy") > 0;
    if (c.pattern == "sequential") seq_a += c.parallelism, ++seq_n;
  }
  if (seq_n > 0 && seq_a / seq_n < 0.9)
    doc.para(fmt::format("⚠ A busy machine: the sequential cells kept only {} of a CPU busy on average (A; 1.00 on a "
                         "quiet machine), and {} of {} cells are flagged noisy. Other programs were taking the CPUs, "
                         "so read differences smaller than the confidence intervals as noise, and rerun on a quiet "
                         "machine before drawing conclusions.",
                         fixed2(seq_a / seq_n), noisy, v_.r.cells.size()));
  Table t{{"pattern", "p", "time/step ms [95% CI]", "S", "E", "A", "samples/s", "weights", "flags"}, {}};
  for (const auto& pattern : v_.patterns_and_ceiling())
    for (const Cell* c : v_.series(pattern, batch, shards))
      t.rows.push_back({{c->pattern == kIndependent ? "independent (the machine's ceiling)" : c->pattern,
                         std::to_string(c->threads),
                         fmt::format("{} [{}–{}]", ms(c->step_seconds.median), ms(c->step_seconds.ci95_low),
                                     ms(c->step_seconds.ci95_high)),
                         fixed2(c->speedup), fixed2(c->efficiency), fixed2(c->parallelism),
                         grouped(c->samples_per_second), weights_text(*c), flags_text(*c)},
                        flagged(*c) ? "flag" : ""});
  doc.table(std::move(t));
}

void RunReport::speedup_charts(Doc& doc, std::vector<Fit>& fits) {
  doc.h3("Speedup", anchor_ + "-speedup");
  const int pmax = v_.threads.empty() ? 1 : v_.threads.back();
  for (int batch : v_.batches) {
    const int shards = v_.primary.at(batch);
    report::LineChart c;
    c.title = fmt::format("Speedup S = T_seq / T_p, {}", workload_name(batch, shards));
    c.xlabel = "threads p";
    c.ylabel = "speedup S";
    c.log2_x = pmax >= 8;
    for (int p : v_.threads) c.xtics.push_back(p);
    if (pmax > v_.cpus) c.vline = v_.cpus, c.vline_label = "CPUs available";
    c.series.push_back({"ideal S = p", "#aaaaaa", report::Series::Style::DashedLine, 0,
                        {{1.0, 1.0}, {double(pmax), double(pmax)}}});
    const Cell* seq = v_.sequential(batch, shards);
    for (const auto& pattern : v_.patterns) {
      std::vector<std::pair<double, double>> pts;
      for (const Cell* x : v_.series(pattern, batch, shards)) {
        if (!x->speedup) continue;
        pts.push_back({double(x->threads), *x->speedup});
        if (flagged(*x)) c.flagged.push_back({double(x->threads), *x->speedup});
      }
      if (pts.empty()) continue;
      c.series.push_back({pattern, colours_.colour(pattern), report::Series::Style::LinesPoints,
                          colours_.point(pattern), pts});
      if (auto f = amdahl_fit(v_, pattern, batch, shards); f && seq) {
        fits.push_back(*f);
        std::vector<std::pair<double, double>> curve;
        for (int i = 0; i <= 32; ++i) {
          const double p = c.log2_x ? std::pow(double(pmax), i / 32.0) : 1.0 + (pmax - 1.0) * i / 32.0;
          const double t = f->a + f->b / p;
          if (t > 0) curve.push_back({p, seq->step_seconds.median / t});
        }
        if (pattern != "sequential" && !curve.empty())
          c.series.push_back({"", colours_.colour(pattern), report::Series::Style::DashedLine, 0, curve});
      }
    }

    // The paragraph: fastest cell, who is within noise of it, who never beats sequential,
    // and what the Amdahl fit of the fastest pattern predicts.
    std::vector<std::string> text;
    const Cell* best = nullptr;
    for (const auto& pattern : v_.patterns)
      for (const Cell* x : v_.series(pattern, batch, shards))
        if (!best || x->step_seconds.median < best->step_seconds.median) best = x;
    if (best) {
      text.push_back(fmt::format("Fastest: {} at {} ms a step{}.", cell_name(*best), ms(best->step_seconds.median),
                                 best->speedup ? fmt::format(", S = {}, E = {}", fixed2(best->speedup),
                                                             fixed2(best->efficiency))
                                               : ""));
      std::vector<std::string> near;
      for (const auto& pattern : v_.patterns)
        for (const Cell* x : v_.series(pattern, batch, shards))
          if (x != best && overlap(*x, *best)) near.push_back(cell_name(*x));
      int others = -1;
      for (const auto& pattern : v_.patterns) others += int(v_.series(pattern, batch, shards).size());
      if (near.empty())
        text.push_back("No other cell is within noise of it (the 95% CIs of the medians do not overlap).");
      else if (near.size() <= 8)
        text.push_back(fmt::format("Within noise of it (the 95% CIs of the medians overlap): {}.", and_list(near)));
      else
        text.push_back(fmt::format("{} of the {} other cells are within noise of it (their 95% CIs overlap), so at "
                                   "this noise level the ranking says little.",
                                   near.size(), others));
    }
    if (seq) {
      std::vector<std::string> never;
      for (const auto& pattern : v_.patterns) {
        if (pattern == "sequential") continue;
        bool any = false, pays = false;
        for (const Cell* x : v_.series(pattern, batch, shards))
          if (x->threads > 1) any = true, pays = pays || faster_beyond_noise(*x, *seq);
        if (any && !pays) never.push_back(pattern);
      }
      if (!never.empty())
        text.push_back(fmt::format("Not faster than sequential beyond noise at any p > 1: {}.", and_list(never)));
      if (best && best->pattern != "sequential")
        if (auto f = amdahl_fit(v_, best->pattern, batch, shards)) {
          if (f->b <= 0)
            text.push_back(fmt::format("The Amdahl fit of {} finds no parallelisable part (b = {} µs ≤ 0): more "
                                       "threads made its step slower, not faster.",
                                       best->pattern, sig(f->b * 1e6)));
          else if (f->a > 0)
            text.push_back(fmt::format(
                "The Amdahl fit of {} (dashed, its colour) gives a = {} µs serial and b = {} µs parallelisable per "
                "step: a serial fraction of {}, so no thread count can take it beyond S = {}.",
                best->pattern, sig(f->a * 1e6), sig(f->b * 1e6), fixed2(f->a / (f->a + f->b)),
                sig(seq->step_seconds.median / f->a)));
          else
            text.push_back(fmt::format("The Amdahl fit of {} finds no serial part (a = {} µs ≤ 0): within these "
                                       "thread counts it scales as far as the CPUs allow.",
                                       best->pattern, sig(f->a * 1e6)));
        }
    } else {
      text.push_back("This workload has no sequential cell, so speedups are not defined.");
    }
    int nflag = int(c.flagged.size());
    if (nflag > 0) text.push_back(fmt::format("{} point{} circled in red: flagged, read with care.", nflag,
                                              nflag == 1 ? " is" : "s are"));
    if (c.series.size() > 1)
      doc.figure(chart(fmt::format("speedup-b{}", batch), c.title, c, join(text, " ")));
  }
}

void RunReport::efficiency_threads(Doc& doc) {
  const int batch = v_.headline_batch();
  const int shards = v_.primary.at(batch);
  const int pmax = v_.threads.empty() ? 1 : v_.threads.back();
  doc.h3("Efficiency", anchor_ + "-efficiency");
  report::LineChart c;
  c.title = fmt::format("Efficiency E = S / p, {}", workload_name(batch, shards));
  c.xlabel = "threads p";
  c.ylabel = "efficiency E";
  c.log2_x = pmax >= 8;
  for (int p : v_.threads) c.xtics.push_back(p);
  if (pmax > v_.cpus) c.vline = v_.cpus, c.vline_label = "CPUs available";
  c.series.push_back({"ideal E = 1", "#aaaaaa", report::Series::Style::DashedLine, 0, {{1.0, 1.0}, {double(pmax), 1.0}}});
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
      c.series.push_back({pattern, colours_.colour(pattern), report::Series::Style::LinesPoints, colours_.point(pattern), pts});
  }
  std::vector<std::string> text;
  const Cell *lo = nullptr, *hi = nullptr;
  for (const auto& pattern : v_.patterns) {
    if (pattern == "sequential") continue;
    if (const Cell* x = v_.find(pattern, v_.pc, batch, shards); x && x->efficiency) {
      if (!lo || *x->efficiency < *lo->efficiency) lo = x;
      if (!hi || *x->efficiency > *hi->efficiency) hi = x;
    }
  }
  if (lo && hi)
    text.push_back(fmt::format("At p = {} efficiency runs from {} ({}) to {} ({}).", v_.pc, fixed2(lo->efficiency),
                               lo->pattern, fixed2(hi->efficiency), hi->pattern));
  if (const Cell* x = v_.find(kIndependent, v_.pc, batch, shards); x && x->efficiency && v_.pc > 1) {
    text.push_back(fmt::format("The machine's ceiling (the dashed grey line): {} copies of the sequential step at "
                               "once, sharing nothing, ran at E = {}.",
                               v_.pc, fixed2(x->efficiency)));
    if (hi && *hi->efficiency > *x->efficiency)
      text.push_back(fmt::format(
          "{} lies above it: noise, or one shared model used the caches better than {} separate copies did.",
          hi->pattern, v_.pc));
    else if (lo)
      text.push_back("What a pattern loses below it is its own cost: waiting, and moving gradients and weights "
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
    (last - first > 0.02 ? growing : flat)
        .push_back(fmt::format("{} ({} → {})", pattern, fixed2(first), fixed2(last)));
  }
  if (!growing.empty())
    text.push_back(fmt::format("The Karp–Flatt fraction e grows with p for {}: overhead that grows with the "
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
  if (!c.flagged.empty()) text.push_back(fmt::format("{} flagged point{} circled in red.", c.flagged.size(),
                                                     c.flagged.size() == 1 ? "" : "s"));
  if (c.series.size() > 1) doc.figure(chart("efficiency-threads", c.title, c, join(text, " ")));
}

void RunReport::efficiency_batch(Doc& doc) {
  report::LineChart c;
  c.title = fmt::format("Efficiency against batch size, p = {}", v_.pc);
  c.xlabel = "batch size (samples per step)";
  c.ylabel = "efficiency E";
  c.log2_x = true;
  for (int b : v_.batches) c.xtics.push_back(b);
  for (const auto& pattern : v_.patterns) {
    std::vector<std::pair<double, double>> pts;
    for (int batch : v_.batches)
      if (const Cell* x = v_.find(pattern, v_.pc, batch, v_.primary.at(batch)); x && x->efficiency) {
        pts.push_back({double(batch), *x->efficiency});
        if (flagged(*x)) c.flagged.push_back({double(batch), *x->efficiency});
      }
    if (!pts.empty())
      c.series.push_back({pattern, colours_.colour(pattern), report::Series::Style::LinesPoints, colours_.point(pattern), pts});
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
      if (pattern == "sequential") continue;
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
      if (start == 0) always.push_back(pattern);
      else if (start < 0) never.push_back(pattern);
      else from.push_back(fmt::format("{} from batch {} (not at {})", pattern, pays[start].first, pays[start - 1].first));
    }
    if (!from.empty())
      text.push_back(fmt::format("Running the step on {} threads pays (beats sequential beyond noise) only for large "
                                 "enough batches: {}. Below that, spawning or waking the threads and combining "
                                 "costs more than the shared work saves.",
                                 v_.pc, join(from, "; ")));
    if (!always.empty())
      text.push_back(fmt::format("It pays at every batch size measured for {}.", and_list(always)));
    if (!never.empty())
      text.push_back(fmt::format("It pays at no batch size measured for {}.", and_list(never)));
  }
  if (!c.flagged.empty()) text.push_back(fmt::format("{} flagged point{} circled in red.", c.flagged.size(),
                                                     c.flagged.size() == 1 ? "" : "s"));
  if (!c.series.empty()) doc.figure(chart("efficiency-batch", c.title, c, join(text, " ")));
}

// A primitive's name shortened for the chart's rotated axis labels: its start and its end,
// where names of one family differ ("... plain stores", "... with write prefetch"). The
// table and primitives.csv keep the whole name.
std::string axis_label(const std::string& name) {
  constexpr std::size_t kHead = 16, kTail = 17;
  if (name.size() <= kHead + kTail + 1) return name;
  std::size_t head = kHead, tail = name.size() - kTail;
  while (head > 0 && (static_cast<unsigned char>(name[head]) & 0xC0) == 0x80) --head;  // not inside a UTF-8 character
  while (tail < name.size() && (static_cast<unsigned char>(name[tail]) & 0xC0) == 0x80) ++tail;
  return name.substr(0, head) + "…" + name.substr(tail);
}

// Spearman's rank correlation of two equally long lists: 1 when they rank alike, -1 when
// one ranks in the reverse order of the other. Ties share the mean of their ranks. Not
// defined (nullopt) when either list has every value equal.
std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
      for (std::size_t k = i; k <= j; ++k) r[order[k]] = double(i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const std::vector<double> rx = ranks(x), ry = ranks(y);
  const double n = double(x.size()), mean = (n + 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0 || syy == 0) return std::nullopt;
  return sxy / std::sqrt(sxx * syy);
}

// A pattern's overhead beside what it pays per step in primitives (ReportOptions::pays),
// priced with the primitives the run measured.
struct Priced {
  const Cell* cell;
  double overhead_us;
  std::string uses;               // "2 × name (1.9 µs) + ..."
  std::optional<double> cost_us;  // absent when a primitive it uses was not measured
};

// The cells with a positive overhead, cheapest first, each with its primitives priced
// when `pays` knows the pattern.
std::vector<Priced> price(const std::vector<const Cell*>& cells, const std::vector<const Primitive*>& prims,
                          const ReportOptions& opt) {
  std::vector<Priced> out;
  for (const Cell* x : cells) {
    Priced y{x, *x->overhead_per_step_seconds * 1e6, "", std::nullopt};
    const auto uses = opt.pays ? opt.pays(x->pattern) : std::span<const PrimitiveUse>{};
    if (!uses.empty()) y.cost_us = 0.0;
    for (const PrimitiveUse& u : uses) {
      auto it = std::find_if(prims.begin(), prims.end(), [&](const Primitive* p) { return p->name == u.primitive; });
      y.uses += fmt::format("{}{} × {} ({})", y.uses.empty() ? "" : " + ", u.per_step, u.primitive,
                            it == prims.end() ? "not measured" : sig((*it)->microseconds) + " µs");
      if (it == prims.end()) y.cost_us.reset();
      else if (y.cost_us) *y.cost_us += u.per_step * (*it)->microseconds;
    }
    out.push_back(std::move(y));
  }
  std::sort(out.begin(), out.end(), [](const Priced& a, const Priced& b) { return a.overhead_us < b.overhead_us; });
  return out;
}

// The sentences that set the priced patterns' overheads beside their primitives.
std::vector<std::string> pricing_text(const std::vector<const Priced*>& priced, int shards, int p) {
  std::vector<double> o, k, share, rest;
  int flagged_cells = 0;
  for (const Priced* y : priced) {
    o.push_back(y->overhead_us);
    k.push_back(*y->cost_us);
    share.push_back(*y->cost_us / y->overhead_us);
    rest.push_back(y->overhead_us - *y->cost_us);
    flagged_cells += flagged(*y->cell);
  }
  std::vector<std::string> text;
  const auto [slo, shi] = std::minmax_element(share.begin(), share.end());
  text.push_back(fmt::format("Their primitives (the table below) cost {}–{}% of these overheads.",
                             sig(*slo * 100, 2), sig(*shi * 100, 2)));
  const std::optional<double> rho = spearman(o, k);
  const Priced* dearest = *std::max_element(priced.begin(), priced.end(), [](auto* a, auto* b) { return *a->cost_us < *b->cost_us; });
  const auto rank = std::find(priced.begin(), priced.end(), dearest) - priced.begin() + 1;
  if (rho)
    text.push_back(fmt::format(
        "Ranked by that cost, the {} priced patterns come in {} order as by overhead: Spearman's ρ = {:.2f} "
        "(1: the same order, 0: unrelated, −1: reversed). The dearest in primitives, {} ({} µs a step), ranks "
        "{} of {} by overhead.",
        priced.size(),
        *rho >= 0.9   ? "nearly the same"
        : *rho >= 0.6 ? "much the same"
        : *rho >= 0.3 ? "only partly the same"
                      : "not the same",
        std::fabs(*rho) < 0.005 ? 0.0 : *rho, dearest->cell->pattern, sig(*dearest->cost_us), rank, priced.size()));
  else
    text.push_back("Every priced pattern has the same overhead or the same primitive cost, so the two "
                   "rankings cannot be compared.");
  const double median = median_of(rest);
  std::vector<std::string> parts;
  if (shards < p)
    parts.push_back(fmt::format("the time {} of the {} threads wait{} in the map phase (only {} shard{})", p - shards, p,
                                p - shards == 1 ? "s" : "", shards, shards == 1 ? "" : "s"));
  parts.push_back("the combine and update reading gradients and weights that other cores wrote (the rewrite rows, "
                  "where measured, price a MiB of that)");
  if (median > 0)
    text.push_back(fmt::format("The rest (the last column; median {} µs a step) is not priced here. It includes {}.",
                               sig(median), and_list(parts)));
  else
    text.push_back(fmt::format("The primitives cost more than most of these overheads (the last column; median "
                               "{} µs a step): the registry's primitives overprice these patterns.",
                               sig(median)));
  std::vector<std::string> far;
  for (std::size_t i = 0; i < priced.size(); ++i)
    if (median > 0 && rest[i] > 2 * median) far.push_back(fmt::format("{} ({} µs)", priced[i]->cell->pattern, sig(rest[i])));
  if (!far.empty())
    text.push_back(fmt::format("More than twice that for {}: {} more per step than {} primitives cost alone.",
                               and_list(far), far.size() == 1 ? "it pays" : "they pay",
                               far.size() == 1 ? "its" : "their"));
  if (flagged_cells > 0)
    text.push_back(fmt::format("{} of these {} cells {} flagged (⚠): read their order with care.", flagged_cells,
                               priced.size(), flagged_cells == 1 ? "is" : "are"));
  return text;
}

void RunReport::overhead(Doc& doc) {
  // The smallest batch: a step has the least work there, so what a pattern adds to it
  // weighs most. With fewer shards than threads, the overhead also holds the time the
  // threads without a shard wait in the map phase.
  const int batch = v_.batches.empty() ? 0 : v_.batches.front();
  const int shards = v_.primary.count(batch) ? v_.primary.at(batch) : 1;
  doc.h3("Overhead per step and the primitives behind it", anchor_ + "-overhead");
  report::BarChart c;
  c.title = fmt::format("Overhead per step at p = {}, {}; primitive costs", v_.pc, workload_name(batch, shards));
  c.ylabel = "microseconds (log scale)";
  c.group_title[0] = "pattern: overhead per step (p·T_p − T_seq)/p";
  c.group_title[1] = "primitive: one operation";
  c.group_color[0] = "#4c78a8";
  c.group_color[1] = "#b0b0b0";
  std::vector<const Cell*> cells, negative;
  for (const auto& pattern : v_.patterns) {
    if (pattern == "sequential") continue;
    if (const Cell* x = v_.find(pattern, v_.pc, batch, shards); x && x->overhead_per_step_seconds) {
      if (*x->overhead_per_step_seconds > 0) {
        cells.push_back(x);
        c.bars.push_back({x->pattern, *x->overhead_per_step_seconds * 1e6, 0, flagged(*x)});
      } else {
        negative.push_back(x);
      }
    }
  }
  // Primitives measured on the same thread count (or the nearest one measured).
  std::vector<const Primitive*> prims;
  int pp = 0;
  for (const auto& p : v_.r.primitives)
    if (pp == 0 || std::abs(p.threads - v_.pc) < std::abs(pp - v_.pc)) pp = p.threads;
  for (const auto& p : v_.r.primitives)
    if (p.threads == pp && p.microseconds > 0) prims.push_back(&p);
  std::sort(prims.begin(), prims.end(), [](auto* a, auto* b) { return a->microseconds < b->microseconds; });
  for (const Primitive* p : prims) c.bars.push_back({axis_label(p->name), p->microseconds, 1, false});

  const std::vector<Priced> all = price(cells, prims, opt_);
  std::vector<const Priced*> priced;
  for (const Priced& y : all)
    if (y.cost_us) priced.push_back(&y);

  std::vector<std::string> text;
  if (!all.empty()) {
    std::vector<std::string> names;
    for (const Priced& y : all) names.push_back(fmt::format("{} ({} µs)", y.cell->pattern, sig(y.overhead_us)));
    text.push_back(fmt::format("Ranked by overhead, cheapest first: {}.", join(names, ", ")));
  }
  if (priced.size() >= 3) {
    for (std::string& t : pricing_text(priced, shards, v_.pc)) text.push_back(std::move(t));
  } else if (!all.empty() && !prims.empty()) {
    const bool known = std::any_of(all.begin(), all.end(), [](const Priced& y) { return !y.uses.empty(); });
    text.push_back(known ? fmt::format("Only {} pattern{} could be priced with the primitives measured: too few "
                                           "to compare the rankings.",
                                           priced.size(), priced.size() == 1 ? "" : "s")
                             : "What each pattern pays per step in primitives is not known to this report "
                               "(gdlab report takes it from the pattern registry).");
  }
  if (!negative.empty()) {
    std::vector<std::string> names;
    for (const Cell* x : negative) names.push_back(fmt::format("{} ({} µs)", x->pattern, us(x->overhead_per_step_seconds)));
    text.push_back(fmt::format("No bar for {}: overhead ≤ 0, faster than p × sequential allows (caches, or noise).",
                               and_list(names)));
  }
  if (prims.empty())
    text.push_back("This results file holds no primitive costs, so the patterns stand alone here.");
  else
    text.push_back(fmt::format("Grey bars: the primitives measured on {} thread{}, cheapest first.", pp,
                               pp == 1 ? "" : "s"));
  if (!c.bars.empty() && (!cells.empty() || !prims.empty()))
    doc.figure(chart("overhead", c.title, c, join(text, " ")));
  else if (!text.empty())
    doc.para(join(text, " "));
  if (prims.empty() || std::none_of(all.begin(), all.end(), [](const Priced& y) { return !y.uses.empty(); })) return;
  Table t{{"pattern", "overhead µs a step", "pays per step", "those primitives µs", "share", "the rest µs"}, {}};
  for (const Priced& y : all) {
    if (y.uses.empty()) continue;
    t.rows.push_back({{y.cell->pattern, sig(y.overhead_us), y.uses, y.cost_us ? sig(*y.cost_us) : "–",
                       y.cost_us ? sig(*y.cost_us / y.overhead_us * 100, 2) + "%" : "–",
                       y.cost_us ? sig(y.overhead_us - *y.cost_us) : "–"},
                      flagged(*y.cell) ? "flag" : ""});
  }
  doc.table(std::move(t));
}

void RunReport::throughput(Doc& doc) {
  doc.h3("Throughput", anchor_ + "-throughput");
  report::LineChart c;
  c.title = fmt::format("Throughput at p = {} (sequential: p = 1)", v_.pc);
  c.xlabel = "batch size (samples per step)";
  c.ylabel = "samples per second";
  c.log2_x = true;
  for (int b : v_.batches) c.xtics.push_back(b);
  const Cell* best = nullptr;
  for (const auto& pattern : v_.patterns) {
    const int p = pattern == "sequential" ? 1 : v_.pc;
    std::vector<std::pair<double, double>> pts;
    for (int batch : v_.batches)
      if (const Cell* x = v_.find(pattern, p, batch, v_.primary.at(batch))) {
        pts.push_back({double(batch), x->samples_per_second});
        if (flagged(*x)) c.flagged.push_back({double(batch), x->samples_per_second});
      }
    if (!pts.empty())
      c.series.push_back({pattern, colours_.colour(pattern), report::Series::Style::LinesPoints, colours_.point(pattern), pts});
  }
  for (const auto& x : v_.r.cells)
    if (x.pattern != kIndependent && (!best || x.samples_per_second > best->samples_per_second)) best = &x;
  std::vector<std::string> text;
  if (best) {
    text.push_back(fmt::format("Highest throughput: {} at {}: {} samples/s.", cell_name(*best),
                               workload_name(best->batch, best->shards), grouped(best->samples_per_second)));
    const int small = v_.batches.front();
    const Cell* sbest = nullptr;
    for (const auto& x : v_.r.cells)
      if (x.pattern != kIndependent && x.batch == small &&
          (!sbest || x.samples_per_second > sbest->samples_per_second))
        sbest = &x;
    if (sbest && small != best->batch)
      text.push_back(fmt::format("At batch {} the best is {} with {} samples/s, {} × less: a small batch pays the "
                                 "fixed costs of a step (hand-offs, the combine over every parameter, the update) "
                                 "on fewer samples.",
                                 small, cell_name(*sbest), grouped(sbest->samples_per_second),
                                 sig(best->samples_per_second / sbest->samples_per_second, 2)));
  }
  if (!c.flagged.empty()) text.push_back(fmt::format("{} flagged point{} circled in red.", c.flagged.size(),
                                                     c.flagged.size() == 1 ? "" : "s"));
  if (!c.series.empty()) doc.figure(chart("throughput", c.title, c, join(text, " ")));
}

void RunReport::fits_table(Doc& doc, const std::vector<Fit>& fits) {
  if (fits.empty()) return;
  doc.h3("Amdahl fits", anchor_ + "-fits");
  doc.para(fmt::format("T(p) = a + b/p fitted by least squares to the median step times with p ≤ {} (the CPUs "
                       "available). a is the part no thread count shortens; the speedup limit is T_seq / a.",
                       v_.cpus));
  Table t{{"pattern", "batch", "shards", "points", "a µs", "b µs", "serial fraction a/(a+b)", "S limit"}, {}};
  for (const auto& f : fits) {
    if (f.pattern == "sequential") continue;
    const Cell* seq = v_.sequential(f.batch, f.shards);
    t.rows.push_back({{f.pattern, std::to_string(f.batch), std::to_string(f.shards), std::to_string(f.points),
                       sig(f.a * 1e6), sig(f.b * 1e6),
                       // Both parts positive: the law's picture. Otherwise the fraction means nothing.
                       f.a > 0 && f.b > 0 ? fixed2(f.a / (f.a + f.b)) : std::string("–"),
                       f.b <= 0          ? std::string("none (b ≤ 0)")
                       : f.a > 0 && seq  ? sig(seq->step_seconds.median / f.a)
                                         : std::string("unbounded")},
                      ""});
  }
  if (!t.rows.empty()) doc.table(std::move(t));
}

void RunReport::pattern_tables(Doc& doc) {
  doc.h3("Per pattern", anchor_ + "-patterns");
  doc.para("Every cell. S = T_seq/T_p against sequential on the same batch and shards; S_best against the fastest "
           "sequential configuration of that batch (the price of sharding shows as S_best < S); S_rel = T_1/T_p; "
           "E = S/p; A = process CPU time / wall time; e = Karp–Flatt serial fraction; overhead = (p·T_p − T_seq)/p "
           "per step.");
  // Results with the threads' busy times (Step::busy; files from before it have none) also give
  // the useful parallelism (busy time / wall time: A without the spinning and waiting) and the
  // load imbalance (max/mean busy time per worker).
  const bool busy = std::any_of(v_.r.cells.begin(), v_.r.cells.end(),
                                [](const Cell& c) { return c.useful_parallelism.has_value(); });
  if (busy)
    doc.para("A useful = the threads' time in step work (map, combine, update) / wall time: A without the spinning "
             "and waiting. Imbalance = the busiest thread's step work / the mean over the p threads (1 = an even split; – "
             "where more than p threads worked, as in the patterns that start threads every step). "
             "Above the CPUs available, a scheduler that hands out work as threads ask (tbb's work stealing) gives "
             "more to the threads the system happens to run, so its imbalance there shows the time slicing, not a "
             "poor split.");
  for (const auto& pattern : v_.patterns_and_ceiling()) {
    Table t{{"batch", "shards", "p", "time/step ms [95% CI]", "S", "S_best", "S_rel", "E", "A", "e", "overhead µs",
             "samples/s", "weights", "flags"},
            {}};
    if (busy) t.header.insert(t.header.begin() + 9, {"A useful", "imbalance"});
    bool bug = false;
    for (auto [batch, shards] : v_.workloads)
      for (const Cell* c : v_.series(pattern, batch, shards)) {
        Row row{{std::to_string(c->batch), std::to_string(c->shards), std::to_string(c->threads),
                 fmt::format("{} [{}–{}]", ms(c->step_seconds.median), ms(c->step_seconds.ci95_low),
                             ms(c->step_seconds.ci95_high)),
                 fixed2(c->speedup), fixed2(c->speedup_best), fixed2(c->speedup_relative), fixed2(c->efficiency),
                 fixed2(c->parallelism), fixed2(c->karp_flatt), us(c->overhead_per_step_seconds),
                 grouped(c->samples_per_second), weights_text(*c), flags_text(*c)},
                flagged(*c) ? "flag" : ""};
        if (busy) row.cells.insert(row.cells.begin() + 9, {fixed2(c->useful_parallelism), fixed2(c->imbalance)});
        bug = bug || (c->deterministic && c->matches_sequential == false);
        t.rows.push_back(std::move(row));
      }
    if (t.rows.empty()) continue;
    const bool det = !bug;
    doc.h3(pattern, anchor_ + "-pattern-" + pattern);
    const Cell* any = nullptr;
    for (const auto& c : v_.r.cells)
      if (c.pattern == pattern) any = &c;
    if (pattern == kIndependent)
      doc.para("Not a pattern: the machine's own ceiling. p copies of the sequential step run at once, each on its "
               "own model, sharing nothing written; time/step is wall time / (p × steps), so E is the share of p "
               "sequential steps' throughput the machine gave. Each copy trains the same weights as sequential.");
    else if (any && any->deterministic)
      doc.para(det ? "Deterministic: combines shards in a fixed order, so its weights must equal sequential's bit for "
                     "bit."
                   : "Deterministic by design, yet some weights differ from sequential's: a bug (see the weights "
                     "column).");
    else
      doc.para("Not deterministic by design: the order in which it adds the shard gradients changes from run to "
               "run, so its weights differ from sequential's in the last bits.");
    doc.table(std::move(t));
  }
}

void RunReport::extras(Doc& doc) {
  if (!v_.r.skipped.empty()) {
    doc.h3("Cells that could not run", anchor_ + "-skipped");
    Table t{{"pattern", "p", "batch", "shards", "reason"}, {}};
    for (const auto& s : v_.r.skipped)
      t.rows.push_back({{s.pattern, std::to_string(s.threads), std::to_string(s.batch), std::to_string(s.shards), s.reason}, ""});
    doc.table(std::move(t));
  }
  if (!v_.r.primitives.empty()) {
    doc.h3("Primitive costs", anchor_ + "-primitives");
    Table t{{"primitive", "threads", "µs"}, {}};
    for (const auto& p : v_.r.primitives)
      t.rows.push_back({{p.name, std::to_string(p.threads), sig(p.microseconds)}, ""});
    doc.table(std::move(t));
  }
}

// ---------------------------------------------------------------------------------------------
// Machine and build, side by side, and the comparison of runs.

struct EnvRow {
  std::string name;
  std::vector<std::string> values;
  bool informational = false;  // differs from run to run by nature (date, host, command line)
};

std::vector<EnvRow> environment_rows(const std::vector<RunView>& views) {
  std::vector<EnvRow> rows;
  auto add = [&](const std::string& name, auto get, bool info = false) {
    EnvRow r{name, {}, info};
    for (const auto& v : views) r.values.push_back(get(v.r));
    rows.push_back(std::move(r));
  };
  auto list = [](const auto& xs) {
    std::vector<std::string> s;
    for (const auto& x : xs) s.push_back(fmt::format("{}", x));
    return join(s, ", ");
  };
  add("CPU model", [](const Results& r) { return r.environment.cpu_model; });
  add("CPUs available", [](const Results& r) { return std::to_string(r.environment.cpus_available); });
  add("compiler", [](const Results& r) { return r.environment.compiler; });
  add("flags", [](const Results& r) { return r.environment.flags; });
  add("kernel library", [](const Results& r) { return r.environment.kernel_library; });
  std::set<std::string> libs, envs;
  for (const auto& v : views) {
    for (const auto& [k, x] : v.r.environment.libraries) libs.insert(k);
    for (const auto& [k, x] : v.r.environment.env) envs.insert(k);
  }
  for (const auto& k : libs)
    add("library " + k, [&](const Results& r) {
      auto it = r.environment.libraries.find(k);
      return it == r.environment.libraries.end() ? std::string("–") : it->second;
    });
  for (const auto& k : envs)
    add("env " + k, [&](const Results& r) {
      auto it = r.environment.env.find(k);
      return it == r.environment.env.end() ? std::string("(unset)") : it->second;
    });
  add("git commit", [](const Results& r) { return r.environment.git_commit; });
  add("layers", [](const Results& r) { return r.config.layers; });
  add("data", [](const Results& r) { return r.config.data; });
  add("seed", [](const Results& r) { return std::to_string(r.config.seed); });
  add("patterns", [&](const Results& r) { return list(r.config.patterns); });
  add("threads", [&](const Results& r) { return list(r.config.threads); });
  add("batches", [&](const Results& r) { return list(r.config.batches); });
  add("shards", [&](const Results& r) {
    std::vector<std::string> s;
    for (int x : r.config.shards) s.push_back(x == 0 ? "default (batch/64)" : std::to_string(x));
    return join(s, ", ");
  });
  add("steps per repetition", [](const Results& r) {
    return r.config.steps == 0 ? std::string("auto") : std::to_string(r.config.steps);
  });
  add("warm-up steps", [](const Results& r) { return std::to_string(r.config.warmup); });
  add("repetitions", [](const Results& r) { return std::to_string(r.config.reps); });
  add("host name", [](const Results& r) { return r.environment.hostname; }, true);
  add("date", [](const Results& r) { return r.environment.date; }, true);
  add("command line", [](const Results& r) { return r.environment.command_line; }, true);
  return rows;
}

bool differs(const EnvRow& r) {
  return std::any_of(r.values.begin(), r.values.end(), [&](const std::string& s) { return s != r.values[0]; });
}

// With several runs: one sentence saying whether their environments match.
std::string environment_verdict(const std::vector<RunView>& views) {
  std::vector<std::string> env_diff, info_diff;
  for (const auto& r : environment_rows(views))
    if (differs(r)) (r.informational ? info_diff : env_diff).push_back(r.name);
  if (env_diff.empty())
    return fmt::format("The runs' environments and workloads match{}: differences between them come from the code "
                       "or from noise.",
                       info_diff.empty() ? "" : " (apart from " + and_list(info_diff) + ")");
  return fmt::format("The environments differ in {} (rows marked ≠ under Machine and build): the ratios compare "
                     "machines, builds or settings as well as code.",
                     and_list(env_diff));
}

void machine_section(Doc& doc, const std::vector<RunView>& views) {
  doc.h2("Machine and build", "machine");
  const auto rows = environment_rows(views);
  Table t;
  t.words = true;
  t.header.push_back("");
  for (const auto& v : views) t.header.push_back(v.run.label);
  for (const auto& r : rows) {
    Row row{{r.name}, views.size() > 1 && differs(r) ? "differs" : ""};
    for (const auto& x : r.values) row.cells.push_back(x);
    t.rows.push_back(std::move(row));
  }
  if (views.size() > 1) doc.para(environment_verdict(views));
  doc.table(std::move(t));
}

std::string comparison_csv_header() {
  return "base_run,other_run,pattern,threads,batch,shards,base_step_seconds_median,other_step_seconds_median,"
         "ratio_other_over_base,base_speedup,other_speedup,verdict\n";
}

void comparison_section(Doc& doc, const std::vector<RunView>& views, std::string& csv) {
  doc.h2("Runs compared", "compare");
  doc.para(environment_verdict(views));
  const RunView& base = views[0];
  for (std::size_t k = 1; k < views.size(); ++k) {
    const RunView& other = views[k];
    doc.h3(fmt::format("{} against {}", other.run.label, base.run.label), fmt::format("compare-{}", k));
    Table t{{"pattern", "p", "batch", "shards", "ms " + base.run.label, "ms " + other.run.label,
             "ratio " + other.run.label + "/" + base.run.label, "S " + base.run.label, "S " + other.run.label,
             "verdict"},
            {}};
    int faster = 0, slower = 0, same = 0, common = 0, only_base = 0;
    double log_sum = 0;
    std::vector<std::pair<double, std::string>> ratios;
    for (const auto& pattern : base.patterns)
      for (auto [batch, shards] : base.workloads)
        for (const Cell* a : base.series(pattern, batch, shards)) {
          const Cell* b = other.find(a->pattern, a->threads, a->batch, a->shards);
          if (!b) {
            ++only_base;
            continue;
          }
          ++common;
          const double ratio = b->step_seconds.median / a->step_seconds.median;
          log_sum += std::log(ratio);
          std::string verdict = "within noise";
          if (faster_beyond_noise(*b, *a)) verdict = "faster", ++faster;
          else if (faster_beyond_noise(*a, *b)) verdict = "slower", ++slower;
          else ++same;
          ratios.push_back({ratio, cell_name(*a) + fmt::format(" at batch {}", a->batch)});
          t.rows.push_back({{a->pattern, std::to_string(a->threads), std::to_string(a->batch),
                             std::to_string(a->shards), ms(a->step_seconds.median), ms(b->step_seconds.median),
                             fmt::format("{:.2f}", ratio), fixed2(a->speedup), fixed2(b->speedup), verdict},
                            flagged(*a) || flagged(*b) ? "flag" : ""});
          csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(base.run.label),
                             csv_field(other.run.label), csv_field(a->pattern), a->threads, a->batch, a->shards,
                             csv_num(a->step_seconds.median), csv_num(b->step_seconds.median), csv_num(ratio),
                             csv_num(a->speedup), csv_num(b->speedup), verdict);
        }
    int only_other = -common;  // the ceiling's cells are no pattern's: counted apart below
    for (const Cell& c : other.r.cells) only_other += c.pattern != kIndependent;
    std::vector<std::string> text;
    if (common == 0) {
      text.push_back("The two runs have no cell in common (pattern, threads, batch and shards all equal).");
    } else {
      std::sort(ratios.begin(), ratios.end());
      text.push_back(fmt::format(
          "Of {} cells in both runs, {} is faster beyond noise in {}, slower in {} and within noise in {} "
          "(the 95% CIs of the medians overlap). Geometric mean of the time ratios: {:.2f} ({} means {} is faster).",
          common, other.run.label, faster, slower, same, std::exp(log_sum / common), "below 1", other.run.label));
      text.push_back(fmt::format("Time ratios run from {:.2f} ({}) to {:.2f} ({}).", ratios.front().first,
                                 ratios.front().second, ratios.back().first, ratios.back().second));
    }
    if (only_base || only_other)
      text.push_back(fmt::format("Cells only in {}: {}; only in {}: {}.", base.run.label, only_base, other.run.label,
                                 only_other));
    // The machines themselves: the ceiling of each run at its largest p within the CPUs.
    const int batch = base.headline_batch();
    const Cell* ca = base.primary.count(batch) ? base.find(kIndependent, base.pc, batch, base.primary.at(batch)) : nullptr;
    const Cell* cb = ca ? other.find(kIndependent, ca->threads, ca->batch, ca->shards) : nullptr;
    if (ca && cb && ca->efficiency && cb->efficiency && ca->threads > 1)
      text.push_back(fmt::format("The machine's ceiling (independent copies) at p = {}, batch {}: E = {} in {}, {} in {}.",
                                 ca->threads, ca->batch, fixed2(ca->efficiency), base.run.label,
                                 fixed2(cb->efficiency), other.run.label));
    doc.para(join(text, " "));
    if (!t.rows.empty()) doc.table(std::move(t));
  }
}

// ---------------------------------------------------------------------------------------------
// Files.

std::string cells_csv(const std::vector<RunView>& views) {
  std::string out =
      "run,pattern,threads,batch,shards,steps,deterministic,complete,reps,step_seconds_median,step_seconds_min,"
      "step_seconds_max,step_seconds_ci95_low,step_seconds_ci95_high,cpu_seconds_median,parallelism,speedup,"
      "speedup_best,speedup_relative,efficiency,karp_flatt,overhead_per_step_seconds,samples_per_second,final_loss,"
      "checksum,matches_sequential,flags,useful_parallelism,imbalance,rep_seconds,rep_cpu_seconds\n";
  auto list = [](const std::vector<double>& xs) {
    std::vector<std::string> s;
    for (double x : xs) s.push_back(csv_num(x));
    return join(s, ";");
  };
  for (const auto& v : views)
    for (const auto& c : v.r.cells)
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                         csv_field(v.run.label), csv_field(c.pattern), c.threads, c.batch, c.shards, c.steps,
                         c.deterministic, c.complete, c.rep_seconds.size(), csv_num(c.step_seconds.median),
                         csv_num(c.step_seconds.min), csv_num(c.step_seconds.max), csv_num(c.step_seconds.ci95_low),
                         csv_num(c.step_seconds.ci95_high), csv_num(c.cpu_seconds_median), csv_num(c.parallelism),
                         csv_num(c.speedup), csv_num(c.speedup_best), csv_num(c.speedup_relative),
                         csv_num(c.efficiency), csv_num(c.karp_flatt), csv_num(c.overhead_per_step_seconds),
                         csv_num(c.samples_per_second), csv_num(c.final_loss), csv_field(c.checksum),
                         c.matches_sequential ? (*c.matches_sequential ? "true" : "false") : "",
                         csv_field(join(c.flags, ";")), csv_num(c.useful_parallelism), csv_num(c.imbalance),
                         list(c.rep_seconds), list(c.rep_cpu_seconds));
  return out;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error(path.string() + ": cannot write (disk full?)");
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
    doc.para(fmt::format("From {}: {} on {} ({}, {} CPU{} available, {}, {}, commit {}), {}. The machine and build "
                         "in full are at the end.",
                         fs::path(views[i].run.source).filename().string(), env.command_line, env.hostname,
                         env.cpu_model, env.cpus_available, env.cpus_available == 1 ? "" : "s", env.compiler,
                         env.kernel_library, env.git_commit, env.date));
    RunReport rr(views[i], colours, options, scratch.string(), prefix, anchor);
    rr.write(doc, svgs, fits);
    fit_runs.resize(fits.size(), views[i].run.label);
  }
  machine_section(doc, views);
  doc.h2("Definitions", "definitions");
  doc.bullets({"p: worker threads requested; T_p: median wall time per step with p threads; T_seq: the sequential "
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
               "reps_differ."});

  std::vector<std::string> labels;
  for (const auto& r : runs) labels.push_back(r.label);
  const std::string title = options.title.empty() ? "gdlab report: " + out.filename().string() : options.title;
  const std::string subtitle =
      fmt::format("Concurrency patterns for one MLP trainer, measured side by side. Runs: {}. Files: index.html, "
                  "report.md, the SVG charts, cells.csv (every number), fits.csv, primitives.csv{}.",
                  and_list(labels), views.size() > 1 ? ", comparison.csv" : "");

  if (options.stop && options.stop()) throw Interrupted();
  write_text(out / "index.html", doc.html(title, subtitle));
  write_text(out / "report.md", doc.markdown(title, subtitle));
  for (const auto& [name, svg] : svgs) write_text(out / name, svg);
  write_text(out / "cells.csv", cells_csv(views));
  std::string fcsv = "run,pattern,batch,shards,points,a_seconds,b_seconds\n";
  for (std::size_t i = 0; i < fits.size(); ++i)
    fcsv += fmt::format("{},{},{},{},{},{},{}\n", csv_field(fit_runs[i]), csv_field(fits[i].pattern), fits[i].batch,
                        fits[i].shards, fits[i].points, csv_num(fits[i].a), csv_num(fits[i].b));
  write_text(out / "fits.csv", fcsv);
  std::string pcsv = "run,name,threads,microseconds\n";
  for (const auto& v : views)
    for (const auto& p : v.r.primitives)
      pcsv += fmt::format("{},{},{},{}\n", csv_field(v.run.label), csv_field(p.name), p.threads, csv_num(p.microseconds));
  write_text(out / "primitives.csv", pcsv);
  if (views.size() > 1) write_text(out / "comparison.csv", comparison);
  fs::create_directories(out / "results");
  for (const auto& r : runs) write_text(out / "results" / (r.label + ".json"), results_to_json(r.results));
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
      throw UsageError(fmt::format("--out {}: exists and is not a gdlab report (no index.html and report.md); "
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
