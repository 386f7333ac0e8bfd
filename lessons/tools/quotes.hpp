// Lesson quotes: code shown in a lesson is a copy of a marked region of a real source.
//
// In a source file, a region is the lines strictly between two marker lines:
//     // [lesson:NAME]
//     ...
//     // [/lesson:NAME]
// In a lesson's README.md, a quote is a marker comment followed by a fenced block:
//     <!-- quote: patterns/thread_condvar.cpp#barrier -->
//     ```cpp
//     ...the region, verbatim...
//     ```
// check_quotes() reports every quote whose block differs from its region, names a
// missing file or region, or is malformed. With sync = true it rewrites the blocks.
#pragma once
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace lesson {

struct QuoteIssue {
  std::string where;  // README path (relative to the root) and line
  std::string message;
};

struct QuoteReport {
  int quotes = 0;
  std::vector<QuoteIssue> issues;
  int synced = 0;  // blocks rewritten (sync only)
};

namespace detail {
inline std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}
inline void write_lines(const std::filesystem::path& p, const std::vector<std::string>& lines) {
  std::ofstream out(p, std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
}
// The region NAME of a source, or an error message.
inline bool find_region(const std::vector<std::string>& src, const std::string& name, std::vector<std::string>& out,
                        std::string& error) {
  const std::string open = "[lesson:" + name + "]", close = "[/lesson:" + name + "]";
  int begin = -1, end = -1, opens = 0;
  for (int i = 0; i < int(src.size()); ++i) {
    if (src[i].find(open) != std::string::npos) {
      ++opens;
      if (begin < 0) begin = i;
    }
    if (src[i].find(close) != std::string::npos && begin >= 0 && end < 0) end = i;
  }
  if (opens == 0) {
    error = "no region '" + name + "' (marker " + open + ")";
    return false;
  }
  if (opens > 1) {
    error = "region '" + name + "' is marked more than once";
    return false;
  }
  if (end < 0) {
    error = "region '" + name + "' has no closing marker " + close;
    return false;
  }
  out.assign(src.begin() + begin + 1, src.begin() + end);
  return true;
}
}  // namespace detail

// The READMEs with quotes: lessons/README.md and lessons/*/README.md.
inline std::vector<std::filesystem::path> lesson_readmes(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> out;
  const auto dir = root / "lessons";
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() == "README.md") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

inline QuoteReport check_quotes(const std::filesystem::path& root, bool sync = false) {
  namespace fs = std::filesystem;
  static const std::regex marker(R"(^\s*<!--\s*quote:\s*([^#\s]+)#([A-Za-z0-9_.-]+)\s*-->\s*$)");
  QuoteReport report;
  for (const auto& readme : lesson_readmes(root)) {
    auto lines = detail::read_lines(readme);
    const std::string rel = fs::relative(readme, root).string();
    bool changed = false;
    for (int i = 0; i < int(lines.size()); ++i) {
      std::smatch m;
      if (!std::regex_match(lines[i], m, marker)) continue;
      ++report.quotes;
      const std::string where = rel + ":" + std::to_string(i + 1), file = m[1], name = m[2];
      const int fence = i + 1;
      if (fence >= int(lines.size()) || lines[fence].rfind("```", 0) != 0) {
        report.issues.push_back({where, "a quote marker must be followed by a ``` fenced block"});
        continue;
      }
      int close = fence + 1;
      while (close < int(lines.size()) && lines[close] != "```") ++close;
      if (close >= int(lines.size())) {
        report.issues.push_back({where, "the fenced block after the quote marker is never closed"});
        continue;
      }
      const fs::path source = root / file;
      if (!fs::is_regular_file(source)) {
        report.issues.push_back({where, "quotes " + file + ", which does not exist"});
        continue;
      }
      std::vector<std::string> region;
      std::string error;
      if (!detail::find_region(detail::read_lines(source), name, region, error)) {
        report.issues.push_back({where, file + ": " + error});
        continue;
      }
      const std::vector<std::string> block(lines.begin() + fence + 1, lines.begin() + close);
      if (block == region) continue;
      if (sync) {
        lines.erase(lines.begin() + fence + 1, lines.begin() + close);
        lines.insert(lines.begin() + fence + 1, region.begin(), region.end());
        changed = true;
        ++report.synced;
        continue;
      }
      int diff = 0;
      while (diff < int(block.size()) && diff < int(region.size()) && block[diff] == region[diff]) ++diff;
      report.issues.push_back({where, file + "#" + name + " no longer matches its source (first difference at line " +
                                          std::to_string(diff + 1) + " of the block; run ./gdlab lesson --sync)"});
    }
    if (changed) detail::write_lines(readme, lines);
  }
  return report;
}

}  // namespace lesson
