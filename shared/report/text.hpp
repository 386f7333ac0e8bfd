// Numbers and lists as report text. Fixed rules, so a report is the same byte for byte
// from the same results.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace gd::report {

// v with `digits` significant digits, never in exponent notation ("2.83", "0.0512", "1530").
std::string sig(double v, int digits = 3);
std::string ms(double seconds);                        // seconds as milliseconds, sig()
std::string us(const std::optional<double>& seconds);  // seconds as microseconds, sig(); "–" for none
std::string fixed2(const std::optional<double>& v);    // two decimals; "–" for none
// Thousands grouped with a thin space: 153 000 samples/s reads better than 153000.
std::string grouped(double v);
std::string join(const std::vector<std::string>& parts, const std::string& sep);
// "a", "a and b", "a, b and c".
std::string and_list(const std::vector<std::string>& parts);

}  // namespace gd::report
