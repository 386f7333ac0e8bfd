// The primitive costs a results file carries: read from bench_primitives' output.
#pragma once
#include <string>
#include <vector>

#include "measure/results.hpp"

namespace gd {

// Reads Google Benchmark's JSON output (--benchmark_out=F --benchmark_out_format=json) of
// bench_primitives: one Primitive per benchmark (its label as the name, the thread count
// from "threads:N" in its name, the median real time per iteration in microseconds).
std::vector<Primitive> primitives_from_benchmark_json(const std::string& text, const std::string& source);

}  // namespace gd
