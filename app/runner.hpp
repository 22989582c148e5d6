// Running a loaded scenario: every selected pattern on the same seed and replication
// (common random numbers), one models::run each.
#pragma once

#include <vector>

#include "app/scenario.hpp"
#include "models/run.hpp"
#include "sim/status.hpp"

namespace app {

// A command-line option that takes a positive duration (--interval, --recover-after): its
// value, or "--interval 0s: expected a positive duration such as 1s" (with the parser's
// reason when the text is no duration at all).
sim::Result<sim::Time> positive_duration_option(const std::string& option, const std::string& text,
                                                const std::string& example);

// What `coordsim run` shows on a terminal while a run takes more than a few seconds:
// "orchestration: simulated 12s of 1min (20%), 4 s", or the transactions so far, or
// "draining at simulated ...".
std::string run_progress_text(const models::ScenarioConfig& c, const models::PatternChoice& choice,
                              uint64_t transactions, sim::Time now, double wall_s);

// Why a run whose clock stood still (RunResult::clock_stuck) was stopped, and what to change.
std::string clock_stuck_text(const models::RunResult& r);

// Runs `patterns` (all of the scenario's when empty) for one replication; `probe` (a
// tracer) is attached to every run. A run whose clock stood still is an error.
sim::Result<std::vector<models::RunResult>> run_scenario(const Scenario& s,
                                                         std::vector<models::PatternChoice> patterns,
                                                         uint64_t replication = 0,
                                                         models::RunProbe* probe = nullptr);

}  // namespace app
