// `coordsim sweep` and `coordsim merge`: the sweep's files, its progress, --resume, --shard
// and MPI, around the runs of app/sweep.hpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "app/sweep.hpp"
#include "app/sweep_mpi.hpp"

namespace app {

struct SweepOptions {
  std::vector<SweepAxis> axes;
  uint32_t replications = 0;  // 0: the file's
  unsigned jobs = 1;
  std::string csv, summary, manifest;  // "" = not written (the manifest defaults beside csv)
  std::string differences;             // "" = not written: the paired differences
  Shard shard;
  bool resume = false;
  bool quiet = false;
  std::string verdict;                       // "" = not written: the verdict as CSV
  std::vector<std::string> verdict_metrics;  // empty: default_verdict_metrics()
  std::string timeseries;                    // "" = not written: every run interval by interval
  std::string interval = "1s";
  // --precision METRIC=REL[:ABS]: replications are added (to every point alike) until each
  // named metric's 95% half-width is at most max(REL x |mean|, ABS) at every point and
  // pattern, or max_replications is reached.
  std::vector<std::string> precision;
  uint32_t max_replications = 100;
};

// One --precision target.
struct PrecisionTarget {
  std::string metric;
  double rel = 0, abs = 0;
};
// "availability=0.001" or "violated_per_txn=0.1:0.0005"; an error names the option.
sim::Result<PrecisionTarget> parse_precision(const std::string& arg);
// The unclamped half-width of the replication-level 95% Student-t interval: t(0.975, n-1)
// sd / sqrt(n); infinite for fewer than two replications.
double t_half_width(size_t n, double sd);

// Runs the sweep; returns the exit code. `session` is the MPI session when started by a
// launcher (every rank calls this; only rank 0 writes and prints).
int sweep_command(const Scenario& base, const std::vector<Override>& overrides,
                  const SweepOptions& opt, const mpi::Session* session);

// The verdict (sweep_verdict) of a finished sweep from its runs files (the one of a whole
// sweep, or every shard's), each beside its manifest: per point and metric, the best pattern
// and whether its paired differences to the others are significant.
int compare_command(const std::vector<std::string>& runs, const std::vector<std::string>& metrics,
                    const std::string& verdict_file);

// Combines the runs files of every shard of one sweep into the single-machine outputs.
int merge_command(const std::vector<std::string>& shards, const std::string& csv,
                  const std::string& summary, const std::string& manifest,
                  const std::string& differences = "");

}  // namespace app
