#include "measure/results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "measure/json_io.hpp"
#include "train/error.hpp"
#include "train/files.hpp"

namespace gd {

using namespace json_io;

std::string results_to_json(const Results& r) {
  Json j;
  j["schema"] = kResultsSchema;
  j["version"] = kResultsVersion;
  const Environment& e = r.environment;
  j["environment"] = {{"cpu_model", e.cpu_model},
                      {"cpus_available", e.cpus_available},
                      {"compiler", e.compiler},
                      {"flags", e.flags},
                      {"kernel_library", e.kernel_library},
                      {"libraries", e.libraries},
                      {"git_commit", e.git_commit},
                      {"env", e.env},
                      {"date", e.date},
                      {"command_line", e.command_line},
                      {"hostname", e.hostname},
                      {"load_average", e.load_average},
                      {"core_round_trip_ns", e.core_round_trip_ns}};
  const MatrixConfig& c = r.config;
  j["config"] = {
      {"patterns", c.patterns}, {"threads", c.threads}, {"batches", c.batches},         {"shards", c.shards},
      {"blocks", c.blocks},     {"ranks", c.ranks},     {"layers", c.layers},           {"data", c.data},
      {"seed", c.seed},         {"steps", c.steps},     {"rep_samples", c.rep_samples}, {"samples", c.samples},
      {"warmup", c.warmup},     {"reps", c.reps}};
  if (c.target_accuracy > 0)
    j["config"].update({{"target_accuracy", c.target_accuracy}, {"eval_every", c.eval_every}, {"epochs", c.epochs}});
  Json cells = Json::array();
  for (const Cell& x : r.cells) {
    Json rs = Json::array(), rc = Json::array(), ru = Json::array(), ri = Json::array(), rw = Json::array(),
         rr = Json::array(), rt = Json::array();
    for (double v : x.rep_seconds) rs.push_back(num(v));
    for (double v : x.rep_cpu_seconds) rc.push_back(num(v));
    for (double v : x.rep_useful_parallelism) ru.push_back(num(v));
    for (double v : x.rep_imbalance) ri.push_back(num(v));
    for (double v : x.rep_comm_seconds) rw.push_back(num(v));
    for (double v : x.rep_reference_seconds) rr.push_back(num(v));
    for (double v : x.rep_wait_seconds) rt.push_back(num(v));
    cells.push_back({{"pattern", x.pattern},
                     {"threads", x.threads},
                     {"batch", x.batch},
                     {"shards", x.shards},
                     {"blocks", x.blocks},
                     {"ranks", x.ranks},
                     {"steps", x.steps},
                     {"deterministic", x.deterministic},
                     {"complete", x.complete},
                     {"rep_seconds", rs},
                     {"rep_cpu_seconds", rc},
                     {"rep_useful_parallelism", ru},
                     {"rep_imbalance", ri},
                     {"step_seconds",
                      {{"median", num(x.step_seconds.median)},
                       {"min", num(x.step_seconds.min)},
                       {"max", num(x.step_seconds.max)},
                       {"ci95_low", num(x.step_seconds.ci95_low)},
                       {"ci95_high", num(x.step_seconds.ci95_high)}}},
                     {"cpu_seconds_median", num(x.cpu_seconds_median)},
                     {"parallelism", num(x.parallelism)},
                     {"useful_parallelism", opt(x.useful_parallelism)},
                     {"imbalance", opt(x.imbalance)},
                     {"speedup", opt(x.speedup)},
                     {"speedup_best", opt(x.speedup_best)},
                     {"speedup_relative", opt(x.speedup_relative)},
                     {"efficiency", opt(x.efficiency)},
                     {"karp_flatt", opt(x.karp_flatt)},
                     {"overhead_per_step_seconds", opt(x.overhead_per_step_seconds)},
                     {"samples_per_second", num(x.samples_per_second)},
                     {"final_loss", num(x.final_loss)},
                     {"checksum", x.checksum},
                     {"matches_sequential", x.matches_sequential ? Json(*x.matches_sequential) : Json(nullptr)},
                     {"flags", flag_names(x.flags)}});
    if (x.threads_at_work > 0) cells.back()["threads_at_work"] = x.threads_at_work;  // absent: not counted
    if (!x.rep_comm_seconds.empty()) {                                               // absent: no rank cell
      cells.back()["rep_comm_seconds"] = rw;
      cells.back()["comm_seconds_per_step"] = opt(x.comm_seconds_per_step);
    }
    if (!x.rep_wait_seconds.empty()) {  // absent: no rank cell, or no common clock
      cells.back()["rep_wait_seconds"] = rt;
      cells.back()["wait_seconds_per_step"] = opt(x.wait_seconds_per_step);
    }
    if (!x.rep_reference_seconds.empty()) cells.back()["rep_reference_seconds"] = rr;  // absent: no rank cell
    if (const auto& t = x.time_to_accuracy) {
      Json runs = Json::array();
      for (const AccuracyRun& a : t->runs)
        runs.push_back({{"seconds", num(a.seconds)},
                        {"steps", a.steps},
                        {"accuracy", num(a.accuracy)},
                        {"evaluations", a.evaluations},
                        {"eval_seconds", num(a.eval_seconds)},
                        {"reached", a.reached}});
      cells.back()["time_to_accuracy"] = {
          {"target", t->target}, {"runs", runs}, {"seconds", opt(t->seconds)}, {"reached", t->reached()}};
    }
  }
  j["cells"] = std::move(cells);
  Json skipped = Json::array();
  for (const Skipped& s : r.skipped)
    skipped.push_back({{"pattern", s.pattern},
                       {"threads", s.threads},
                       {"batch", s.batch},
                       {"shards", s.shards},
                       {"blocks", s.blocks},
                       {"ranks", s.ranks},
                       {"reason", s.reason}});
  j["skipped"] = std::move(skipped);
  Json prims = Json::array();
  for (const Primitive& p : r.primitives)
    prims.push_back({{"name", p.name}, {"threads", p.threads}, {"microseconds", num(p.microseconds)}});
  j["primitives"] = std::move(prims);
  if (const auto& t = r.transport) {
    auto points = [](const std::vector<std::pair<double, double>>& v) {
      Json a = Json::array();
      for (auto [bytes, s] : v) a.push_back({{"bytes", num(bytes)}, {"seconds", num(s)}});
      return a;
    };
    j["transport"] = {{"ranks", t->ranks},
                      {"alpha_seconds", num(t->alpha_seconds)},
                      {"beta_bytes_per_second", num(t->beta_bytes_per_second)},
                      {"allreduce_beta_bytes_per_second", num(t->allreduce_beta_bytes_per_second)},
                      {"pingpong", points(t->pingpong)},
                      {"allreduce", points(t->allreduce)}};
  }
  return j.dump(2) + "\n";
}

const char* axis_name(Axis a) {
  switch (a) {
    case Axis::none:
      return "sequential";
    case Axis::data:
      return "data parallel";
    case Axis::model:
      return "model parallel";
    case Axis::both:
      return "data × model";
  }
  return "?";
}

std::string_view flag_name(Flag f) {
  switch (f) {
    case Flag::oversubscribed:
      return "oversubscribed";
    case Flag::low_parallelism:
      return "low_parallelism";
    case Flag::noisy:
      return "noisy";
    case Flag::incomplete:
      return "incomplete";
    case Flag::checksum_differs:
      return "checksum_differs";
    case Flag::reps_differ:
      return "reps_differ";
    case Flag::hidden_threads:
      return "hidden_threads";
  }
  return "unknown";
}

std::optional<Flag> flag_from_name(std::string_view name) {
  for (Flag f : kAllFlags)
    if (flag_name(f) == name) return f;
  return std::nullopt;
}

std::string flag_list(const std::vector<Flag>& flags, std::string_view separator) {
  std::string out;
  for (Flag f : flags) out += fmt::format("{}{}", out.empty() ? "" : separator, flag_name(f));
  return out;
}

bool Cell::has(Flag f) const { return std::find(flags.begin(), flags.end(), f) != flags.end(); }

Results results_from_json(const std::string& text, const std::string& source) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // syntax errors, and numbers too large for a double
    throw UsageError(fmt::format("{}: corrupt JSON ({}); not a valid gdlab results file", source, e.what()));
  }
  In in{source};
  if (!j.is_object()) in.fail("top level", "expected a JSON object");
  if (!j.contains("schema") || !j["schema"].is_string() || j["schema"].get<std::string>() != kResultsSchema)
    throw UsageError(fmt::format("{}: not a gdlab results file (\"schema\" must be \"{}\")", source, kResultsSchema));
  if (!j.contains("version") || !j["version"].is_number_integer())
    throw UsageError(fmt::format("{}: results file without an integer \"version\"", source));
  if (long v = j["version"].get<long>(); v != kResultsVersion)
    throw UsageError(
        fmt::format("{}: results schema version {} is not supported (this gdlab reads version {}; "
                    "rerun gdlab matrix to regenerate it)",
                    source, v, kResultsVersion));
  Results r;
  const Json& ej = in.field(j, "environment", "top level");
  Environment& e = r.environment;
  const std::string ew = "environment";
  e.cpu_model = in.str(ej, "cpu_model", ew);
  e.cpus_available = int(in.integer(ej, "cpus_available", ew));
  e.compiler = in.str(ej, "compiler", ew);
  e.flags = in.str(ej, "flags", ew);
  e.kernel_library = in.str(ej, "kernel_library", ew);
  e.libraries = in.strings(ej, "libraries", ew);
  e.git_commit = in.str(ej, "git_commit", ew);
  e.env = in.strings(ej, "env", ew);
  e.date = in.str(ej, "date", ew);
  e.command_line = in.str(ej, "command_line", ew);
  e.hostname = in.str(ej, "hostname", ew);
  if (ej.contains("load_average")) e.load_average = in.str(ej, "load_average", ew);
  if (ej.contains("core_round_trip_ns")) e.core_round_trip_ns = in.numbers(ej, "core_round_trip_ns", ew);

  const Json& cj = in.field(j, "config", "top level");
  MatrixConfig& c = r.config;
  const std::string cw = "config";
  c.patterns = in.list<std::string>(cj, "patterns", cw);
  c.threads = in.list<int>(cj, "threads", cw);
  c.batches = in.list<int>(cj, "batches", cw);
  c.shards = in.list<int>(cj, "shards", cw);
  if (cj.contains("blocks")) c.blocks = in.list<int>(cj, "blocks", cw);
  if (cj.contains("ranks")) c.ranks = in.list<int>(cj, "ranks", cw);
  c.layers = in.str(cj, "layers", cw);
  c.data = in.str(cj, "data", cw);
  c.seed = in.integer(cj, "seed", cw);
  c.steps = in.integer(cj, "steps", cw);
  if (cj.contains("rep_samples")) c.rep_samples = in.integer(cj, "rep_samples", cw);
  if (cj.contains("samples")) c.samples = in.integer(cj, "samples", cw);
  c.warmup = in.integer(cj, "warmup", cw);
  c.reps = int(in.integer(cj, "reps", cw));
  if (cj.contains("target_accuracy")) {
    c.target_accuracy = in.number(cj, "target_accuracy", cw);
    c.eval_every = in.integer(cj, "eval_every", cw);
    c.epochs = int(in.integer(cj, "epochs", cw));
    if (!(c.target_accuracy > 0 && c.target_accuracy <= 1) || c.eval_every < 1 || c.epochs < 1)
      in.fail(cw, "target_accuracy must be in (0, 1], eval_every and epochs positive");
  }

  const Json& cells = in.array(j, "cells", "top level");
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const Json& x = cells[i];
    const std::string w = fmt::format("cells[{}]", i);
    Cell k;
    k.pattern = in.str(x, "pattern", w);
    k.threads = int(in.integer(x, "threads", w));
    k.batch = int(in.integer(x, "batch", w));
    k.shards = int(in.integer(x, "shards", w));
    if (x.contains("blocks")) k.blocks = int(in.integer(x, "blocks", w));
    if (x.contains("ranks")) k.ranks = int(in.integer(x, "ranks", w));
    k.steps = in.integer(x, "steps", w);
    k.deterministic = in.boolean(x, "deterministic", w);
    k.complete = in.boolean(x, "complete", w);
    k.rep_seconds = in.numbers(x, "rep_seconds", w);
    k.rep_cpu_seconds = in.numbers(x, "rep_cpu_seconds", w);
    if (x.contains("rep_useful_parallelism")) k.rep_useful_parallelism = in.numbers(x, "rep_useful_parallelism", w);
    if (x.contains("rep_imbalance")) k.rep_imbalance = in.numbers(x, "rep_imbalance", w);
    if (x.contains("rep_comm_seconds")) k.rep_comm_seconds = in.numbers(x, "rep_comm_seconds", w);
    if (x.contains("rep_reference_seconds")) k.rep_reference_seconds = in.numbers(x, "rep_reference_seconds", w);
    if (x.contains("rep_wait_seconds")) k.rep_wait_seconds = in.numbers(x, "rep_wait_seconds", w);
    if (x.contains("threads_at_work")) k.threads_at_work = int(in.integer(x, "threads_at_work", w));
    if (x.contains("useful_parallelism")) k.useful_parallelism = in.opt_number(x, "useful_parallelism", w);
    if (x.contains("imbalance")) k.imbalance = in.opt_number(x, "imbalance", w);
    if (x.contains("comm_seconds_per_step")) k.comm_seconds_per_step = in.opt_number(x, "comm_seconds_per_step", w);
    if (x.contains("wait_seconds_per_step")) k.wait_seconds_per_step = in.opt_number(x, "wait_seconds_per_step", w);
    if (!k.rep_comm_seconds.empty() && k.rep_comm_seconds.size() != k.rep_seconds.size())
      in.fail(w, "rep_comm_seconds and rep_seconds differ in length");
    if (!k.rep_wait_seconds.empty() && k.rep_wait_seconds.size() != k.rep_comm_seconds.size())
      in.fail(w, "rep_wait_seconds and rep_comm_seconds differ in length");
    if (!k.rep_reference_seconds.empty() && k.rep_reference_seconds.size() != k.rep_seconds.size())
      in.fail(w, "rep_reference_seconds and rep_seconds differ in length");
    if (k.rep_seconds.size() != k.rep_cpu_seconds.size())
      in.fail(w, "rep_seconds and rep_cpu_seconds differ in length");
    if (k.threads < 1 || k.batch < 1 || k.shards < 1 || k.blocks < 1 || k.ranks < 1 || k.steps < 1)
      in.fail(w, "threads, batch, shards, blocks, ranks and steps must be positive");
    const Json& ss = in.field(x, "step_seconds", w);
    const std::string sw = w + ".step_seconds";
    auto stat = [&](const char* key) { return in.opt_number(ss, key, sw).value_or(0.0); };
    k.step_seconds = {stat("median"), stat("min"), stat("max"), stat("ci95_low"), stat("ci95_high")};
    k.cpu_seconds_median = in.opt_number(x, "cpu_seconds_median", w).value_or(0.0);
    k.parallelism = in.opt_number(x, "parallelism", w).value_or(0.0);
    k.speedup = in.opt_number(x, "speedup", w);
    k.speedup_best = in.opt_number(x, "speedup_best", w);
    k.speedup_relative = in.opt_number(x, "speedup_relative", w);
    k.efficiency = in.opt_number(x, "efficiency", w);
    k.karp_flatt = in.opt_number(x, "karp_flatt", w);
    k.overhead_per_step_seconds = in.opt_number(x, "overhead_per_step_seconds", w);
    k.samples_per_second = in.opt_number(x, "samples_per_second", w).value_or(0.0);
    k.final_loss = in.opt_number(x, "final_loss", w).value_or(0.0);
    k.checksum = in.str(x, "checksum", w);
    const Json& m = in.field(x, "matches_sequential", w);
    if (m.is_boolean())
      k.matches_sequential = m.get<bool>();
    else if (!m.is_null())
      in.fail(w + ".matches_sequential", "expected true, false or null");
    for (const std::string& name : in.list<std::string>(x, "flags", w)) {
      const std::optional<Flag> f = flag_from_name(name);
      if (!f) in.fail(w + ".flags", "unknown flag '" + name + "'");
      k.flags.push_back(*f);
    }
    if (x.contains("time_to_accuracy")) {
      const Json& tj = in.field(x, "time_to_accuracy", w);
      const std::string tw = w + ".time_to_accuracy";
      TimeToAccuracy t;
      t.target = in.number(tj, "target", tw);
      const Json& runs = in.array(tj, "runs", tw);
      for (std::size_t n = 0; n < runs.size(); ++n) {
        const std::string rw = fmt::format("{}.runs[{}]", tw, n);
        t.runs.push_back({in.number(runs[n], "seconds", rw), in.integer(runs[n], "steps", rw),
                          in.number(runs[n], "accuracy", rw), int(in.integer(runs[n], "evaluations", rw)),
                          in.number(runs[n], "eval_seconds", rw), in.boolean(runs[n], "reached", rw)});
      }
      t.seconds = accuracy_score(t.runs);  // derived, as the other metrics: recomputed, not trusted
      k.time_to_accuracy = std::move(t);
    }
    r.cells.push_back(std::move(k));
  }
  // "skipped" and "primitives" may be absent (an older writer, or a hand-made file).
  if (j.contains("skipped")) {
    const Json& sk = in.array(j, "skipped", "top level");
    for (std::size_t i = 0; i < sk.size(); ++i) {
      const std::string w = fmt::format("skipped[{}]", i);
      r.skipped.push_back({in.str(sk[i], "pattern", w), int(in.integer(sk[i], "threads", w)),
                           int(in.integer(sk[i], "batch", w)), int(in.integer(sk[i], "shards", w)),
                           in.str(sk[i], "reason", w)});
      if (sk[i].contains("blocks")) r.skipped.back().blocks = int(in.integer(sk[i], "blocks", w));
      if (sk[i].contains("ranks")) r.skipped.back().ranks = int(in.integer(sk[i], "ranks", w));
    }
  }
  if (j.contains("primitives")) {
    const Json& pj = in.array(j, "primitives", "top level");
    for (std::size_t i = 0; i < pj.size(); ++i) {
      const std::string w = fmt::format("primitives[{}]", i);
      r.primitives.push_back(
          {in.str(pj[i], "name", w), int(in.integer(pj[i], "threads", w)), in.number(pj[i], "microseconds", w)});
    }
  }
  if (j.contains("transport")) {
    const Json& tj = in.field(j, "transport", "top level");
    Transport t;
    t.ranks = int(in.integer(tj, "ranks", "transport"));
    t.alpha_seconds = in.number(tj, "alpha_seconds", "transport");
    t.beta_bytes_per_second = in.number(tj, "beta_bytes_per_second", "transport");
    if (tj.contains("allreduce_beta_bytes_per_second"))
      t.allreduce_beta_bytes_per_second = in.number(tj, "allreduce_beta_bytes_per_second", "transport");
    for (const char* key : {"pingpong", "allreduce"}) {
      const Json& a = in.array(tj, key, "transport");
      for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string w = fmt::format("transport.{}[{}]", key, i);
        (std::string(key) == "pingpong" ? t.pingpong : t.allreduce)
            .push_back({in.number(a[i], "bytes", w), in.number(a[i], "seconds", w)});
      }
    }
    if (t.allreduce_beta_bytes_per_second == 0) t.allreduce_beta_bytes_per_second = fit_allreduce_beta(t);
    if (t.alpha_seconds <= 0 || t.beta_bytes_per_second <= 0 || t.allreduce_beta_bytes_per_second <= 0)
      in.fail("transport", "alpha_seconds and both beta_bytes_per_second must be positive");
    r.transport = std::move(t);
  }
  return r;
}

std::string csv_path_for(const std::string& json_path) {
  std::filesystem::path p(json_path);
  if (p.extension() == ".json")
    p.replace_extension(".csv");
  else
    p += ".csv";
  return p.string();
}

void write_results(const std::string& path, const Results& r) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw UsageError(fmt::format("{}: cannot create folder {} ({})", path, parent.string(), ec.message()));
  }
  write_file_atomic(path, results_to_json(r));
  write_file_atomic(csv_path_for(path), results_to_csv(r));
}

Results read_results(const std::string& path) {
  const std::string text =
      read_file_limited(path, kMaxResultsBytes, "results file",
                        fmt::format("larger than the {} MiB limit for a results file", kMaxResultsBytes >> 20));
  if (text.empty()) throw UsageError(path + ": empty file, not a gdlab results file");
  return results_from_json(text, path);
}

}  // namespace gd
