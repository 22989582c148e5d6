// Running a loaded scenario: every selected pattern on the same seed and replication
// (common random numbers), one models::run each.
#pragma once

#include <vector>

#include "app/scenario.hpp"
#include "models/run.hpp"
#include "sim/status.hpp"

namespace app {

// Runs `patterns` (all of the scenario's when empty) for one replication; `probe` (a
// tracer) is attached to every run.
sim::Result<std::vector<models::RunResult>> run_scenario(const Scenario& s,
                                                         std::vector<models::PatternChoice> patterns,
                                                         uint64_t replication = 0,
                                                         models::RunProbe* probe = nullptr);

}  // namespace app
