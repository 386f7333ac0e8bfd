// The metrics of bench/RESULTS.md (speedup, efficiency, Karp-Flatt, overhead) and the
// flags, computed for every cell of a results file from its raw measurements.
#pragma once
#include <optional>

#include "measure/results.hpp"

namespace gd {

double speedup(double t_seq, double t_p);                               // S = T_seq / T_p
double efficiency(double s, int p);                                     // E = S / p
std::optional<double> karp_flatt(double s, int p);                      // (1/S - 1/p)/(1 - 1/p), p > 1
double overhead_per_step(double T_p, double T_seq, int p, long steps);  // (p T_p - T_seq)/(p steps)

// Flag thresholds (documented in bench/RESULTS.md).
inline constexpr double kNoisySpread = 0.25;     // (max - min) / median of step times
inline constexpr double kLowParallelism = 0.80;  // A below this fraction of min(p, CPUs)

// Fills every derived field and flag of every cell from the raw measurements
// (rep_seconds, rep_cpu_seconds, checksum) and the environment's CPU count.
// T_seq in S, E, Karp-Flatt and the overhead is the median of the sequential cell with the
// same batch, shards and blocks, or, for a cell that has them, of its rep_reference_seconds.
void compute_metrics(Results& r);

// That T_seq, per step, for cell c of r: nullopt where c has no baseline of its own and r no
// such sequential cell.
std::optional<double> baseline_step_seconds(const Results& r, const Cell& c);

}  // namespace gd
