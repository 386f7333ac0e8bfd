// The measurement harness: how gdlab measures a pattern, and what it computes from the
// measurements. One definition of every metric (bench/RESULTS.md lists them), used by
// gdlab matrix, the results file and the reports. One header per part:
//
//   statistics.hpp   median and its confidence interval
//   metrics.hpp      S, E, Karp-Flatt, overhead, and the flags of every cell
//   environment.hpp  the machine and build a results file records
//   matrix.hpp       the method: plan the cells, run the repetitions, resume
//   primitives.hpp   the primitive costs of bench_primitives' output
//   summary.hpp      the summary table and the warnings, as text
//   trainee.hpp      a model, its step and a sample order: what every timed loop steps
//   thread_census.hpp  which threads worked: the check for threads no pattern owns
#pragma once
#include "measure/environment.hpp"
#include "measure/matrix.hpp"
#include "measure/metrics.hpp"
#include "measure/primitives.hpp"
#include "measure/statistics.hpp"
#include "measure/summary.hpp"
#include "measure/thread_census.hpp"
#include "measure/trainee.hpp"
