#include "report/run_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "report/text.hpp"

namespace gd::report {

namespace {

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
  add("steps per repetition",
      [](const Results& r) { return r.config.steps == 0 ? std::string("auto") : std::to_string(r.config.steps); });
  add("warm-up steps", [](const Results& r) { return std::to_string(r.config.warmup); });
  add("repetitions", [](const Results& r) { return std::to_string(r.config.reps); });
  add(
      "core-to-core round trip (start, end)",
      [](const Results& r) {
        std::vector<std::string> s;
        for (double ns : r.environment.core_round_trip_ns) s.push_back(fmt::format("{:.0f} ns", ns));
        return s.empty() ? std::string("not measured") : join(s, ", ");
      },
      true);
  add(
      "host name", [](const Results& r) { return r.environment.hostname; }, true);
  add(
      "date", [](const Results& r) { return r.environment.date; }, true);
  add(
      "command line", [](const Results& r) { return r.environment.command_line; }, true);
  return rows;
}

bool differs(const EnvRow& r) {
  return std::any_of(r.values.begin(), r.values.end(), [&](const std::string& s) { return s != r.values[0]; });
}

}  // namespace

std::string environment_verdict(const std::vector<RunView>& views) {
  std::vector<std::string> env_diff, info_diff;
  for (const auto& r : environment_rows(views))
    if (differs(r)) (r.informational ? info_diff : env_diff).push_back(r.name);
  if (env_diff.empty())
    return fmt::format(
        "The runs' environments and workloads match{}: differences between them come from the code "
        "or from noise.",
        info_diff.empty() ? "" : " (apart from " + and_list(info_diff) + ")");
  return fmt::format(
      "The environments differ in {} (rows marked ≠ under Machine and build): the ratios compare "
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

}  // namespace gd::report
