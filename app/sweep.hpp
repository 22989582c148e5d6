// Sweeps: a grid of scenario variants (the scenario's `sweep:` block and --sweep), each run
// under every pattern for several replications, aggregated with confidence intervals.
//
// Order (and so every output's row order) is fixed: grid points in the order of the axes'
// cartesian product (first axis slowest), then replications, then patterns. Runs are
// independent and are spread over `jobs` threads; results are written in that fixed order,
// so the output is byte-identical whatever the number of jobs. Within a replication every
// pattern uses the same random streams (common random numbers), which is what makes the
// paired differences between patterns tight.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "models/run.hpp"
#include "sim/status.hpp"

namespace app {

struct SweepRun {
  size_t point = 0;                    // index into the grid
  std::vector<Override> values;        // the axis values of that point
  uint64_t replication = 0;
  models::RunResult result;
};

struct SweepOutput {
  std::vector<std::string> axes;       // axis paths, in order
  std::vector<SweepRun> runs;          // in the fixed order above
  std::vector<Scenario> points;        // the scenario of each grid point
};

// Mean, sample standard deviation and the 95% Student-t interval of the mean (NaN bounds
// for fewer than two values).
struct Stats {
  size_t n = 0;
  double mean = 0, sd = 0, lo = NAN, hi = NAN;
};

// One aggregate: a grid point, a pattern (or "B - A" for a paired difference against the
// first pattern), a metric and its statistics over the replications.
struct SummaryRow {
  size_t point = 0;
  std::string label;
  std::string metric;
  Stats stats;
};

// Parses "path=v1,v2,v3" (a --sweep argument).
sim::Result<SweepAxis> parse_sweep_axis(const std::string& arg);

// Runs the grid. `axes` (from the command line) replace same-path axes of the file and
// add the others; `replications` > 0 replaces the file's count.
sim::Result<SweepOutput> run_sweep(const Scenario& base, const std::vector<Override>& overrides,
                                   const std::vector<SweepAxis>& axes, uint32_t replications,
                                   unsigned jobs);

// One row per run: the axis values, then the run's CSV columns (docs/output.md).
std::string sweep_runs_csv(const SweepOutput& out);
// Long format, one row per (point, pattern, metric): n, mean, sd and the 95% Student-t
// interval of the mean over replications; then, for every pattern after the first, the
// paired difference (pattern - first pattern) per replication, with its own interval.
std::string sweep_summary_csv(const SweepOutput& out);
std::vector<SummaryRow> summarize_sweep(const SweepOutput& out);
// A table of the main metrics (violations, availability, completion, messages) for people.
std::string sweep_table(const SweepOutput& out);

}  // namespace app
