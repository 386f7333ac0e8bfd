#include "measure/primitives.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "measure/statistics.hpp"
#include "train/error.hpp"

namespace gd {

std::vector<Primitive> primitives_from_benchmark_json(const std::string& text, const std::string& source) {
  using Json = nlohmann::json;
  // Google Benchmark writes a counter's undefined aggregate (e.g. the cv of all zeros) as
  // a bare nan or inf, which is not JSON: read those values as null.
  static const std::regex kNonFinite(R"re(:(\s*)-?(nan|NaN|inf|Inf|INF|NAN|infinity)\b)re");
  const std::string clean = std::regex_replace(text, kNonFinite, ":$1null");
  Json j;
  try {
    j = Json::parse(clean);
  } catch (const Json::parse_error& e) {
    throw UsageError(fmt::format("{}: corrupt JSON ({})", source, e.what()));
  }
  if (!j.is_object() || !j.contains("benchmarks") || !j["benchmarks"].is_array())
    throw UsageError(source +
                     ": not Google Benchmark JSON output (no \"benchmarks\" array; write it with "
                     "--benchmark_out=FILE --benchmark_out_format=json)");
  struct Acc {
    std::string run, label;
    int threads = 1;
    std::vector<double> iterations;
    std::optional<double> median;
  };
  std::vector<Acc> acc;
  auto unit_us = [&](const std::string& u) {
    if (u == "ns") return 1e-3;
    if (u == "us") return 1.0;
    if (u == "ms") return 1e3;
    if (u == "s") return 1e6;
    throw UsageError(source + ": unknown time_unit '" + u + "'");
  };
  for (const Json& b : j["benchmarks"]) {
    if (!b.is_object() || !b.contains("run_name") || !b.contains("real_time") || !b["real_time"].is_number()) continue;
    if (b.value("error_occurred", false)) continue;
    const std::string run = b["run_name"].get<std::string>();
    auto it = std::find_if(acc.begin(), acc.end(), [&](const Acc& a) { return a.run == run; });
    if (it == acc.end()) {
      Acc a;
      a.run = run;
      if (auto at = run.find("threads:"); at != std::string::npos) a.threads = std::atoi(run.c_str() + at + 8);
      acc.push_back(a);
      it = acc.end() - 1;
    }
    if (b.contains("label") && b["label"].is_string() && !b["label"].get<std::string>().empty())
      it->label = b["label"].get<std::string>();
    const double us = b["real_time"].get<double>() * unit_us(b.value("time_unit", std::string("ns")));
    if (b.value("run_type", std::string("iteration")) == "aggregate") {
      if (b.value("aggregate_name", std::string()) == "median") it->median = us;
    } else {
      it->iterations.push_back(us);
    }
  }
  std::vector<Primitive> out;
  for (const Acc& a : acc)
    out.push_back({a.label.empty() ? a.run : a.label, a.threads, a.median ? *a.median : median_of(a.iterations)});
  if (out.empty()) throw UsageError(source + ": no benchmark results in it");
  return out;
}

}  // namespace gd
