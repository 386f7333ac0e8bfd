// The registry's rows as text: the library with its version, and the README's table of
// patterns (registry.hpp says what each function gives).
#include <string>

#include "measure/environment.hpp"
#include "registry.hpp"

namespace gd {

std::string library_of_build(const PatternInfo& p) {
  std::string s(p.library);
  if (p.version_of.empty()) return s;
  const auto versions = library_versions();
  const auto v = versions.find(std::string(p.version_of));
  if (v != versions.end() && !v->second.empty()) s += " " + v->second;
  return s;
}

std::string plain_text(std::string_view text) {
  std::string s;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '`') continue;
    if (text.substr(i, 2) == "**") {
      ++i;
      continue;
    }
    s += text[i];
  }
  return s;
}

namespace {
// A table cell: a '|' in the text would end it early.
std::string cell(std::string_view text) {
  std::string s;
  for (char c : text) s += c == '|' ? std::string("\\|") : std::string(1, c);
  return s;
}
}  // namespace

std::string patterns_markdown() {
  std::string s = "| pattern | file | mechanism | deterministic | what it pays per step |\n|---|---|---|---|---|\n";
  auto row = [](const PatternInfo& p) {
    return "| " + std::string(p.name) + " | `" + std::string(p.file) + "` | " + cell(p.mechanism) + " | " +
           (p.deterministic ? "yes" : "**no**") + " | " + cell(p.per_step) + " |\n";
  };
  for (const auto& p : all_patterns()) s += row(p);
  for (const auto& p : rank_patterns()) s += row(p);
  return s;
}

}  // namespace gd
