#include "report/text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace gd::report {

std::string sig(double v, int digits) {
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

}  // namespace gd::report
