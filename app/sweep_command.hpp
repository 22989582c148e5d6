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
  Shard shard;
  bool resume = false;
  bool quiet = false;
  std::string verdict;                       // "" = not written: the verdict as CSV
  std::vector<std::string> verdict_metrics;  // empty: default_verdict_metrics()
  std::string timeseries;                    // "" = not written: every run interval by interval
  std::string interval = "1s";
};

// Runs the sweep; returns the exit code. `session` is the MPI session when started by a
// launcher (every rank calls this; only rank 0 writes and prints).
int sweep_command(const Scenario& base, const std::vector<Override>& overrides,
                  const SweepOptions& opt, const mpi::Session* session);

// Combines the runs files of every shard of one sweep into the single-machine outputs.
int merge_command(const std::vector<std::string>& shards, const std::string& csv,
                  const std::string& summary, const std::string& manifest);

}  // namespace app
