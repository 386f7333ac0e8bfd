#include "report/document.hpp"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>

#include "report/chart.hpp"

namespace fs = std::filesystem;

namespace gd::report {
namespace {

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

}  // namespace

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
      case Block::Kind::H2:
        h += "<h2 id=\"" + b.id + "\">" + html_escape(b.text) + "</h2>\n";
        break;
      case Block::Kind::H3:
        h += "<h3 id=\"" + b.id + "\">" + html_escape(b.text) + "</h3>\n";
        break;
      case Block::Kind::Para:
        h += "<p>" + html_escape(b.text) + "</p>\n";
        break;
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
      case Block::Kind::H2:
        m += "\n## " + md_escape(b.text) + "\n";
        break;
      case Block::Kind::H3:
        m += "\n### " + md_escape(b.text) + "\n";
        break;
      case Block::Kind::Para:
        m += "\n" + md_escape(b.text) + "\n";
        break;
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
        m += "\n![" + md_escape(b.figure.title) + "](" + b.figure.file + ")\n\n**" + md_escape(b.figure.title) + "** " +
             md_escape(b.figure.text) + "\n";
        break;
    }
  }
  return m;
}

}  // namespace gd::report
