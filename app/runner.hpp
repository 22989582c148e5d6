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

// What a run may make the process grow to before MemoryGuard stops it: 80% of the
// machine's memory, or of the container's limit (cgroup v2 memory.max) when lower, for the
// resident memory; 80% of the address-space limit (ulimit -v), if one is set, for the
// process's size. 0: unknown, no limit.
struct MemoryBudget {
  uint64_t resident = 0;
  uint64_t size = 0;
  static MemoryBudget of_this_machine();
  // What each limit is, as messages name it.
  static constexpr const char* kResidentText = "80% of this machine's memory";
  static constexpr const char* kSizeText = "80% of the address space allowed by ulimit -v";
  // The tighter of the two limits that apply (0: none), and its text.
  uint64_t tightest() const { return size_binds() ? size : resident; }
  const char* tightest_text() const { return size_binds() ? kSizeText : kResidentText; }

 private:
  bool size_binds() const { return size > 0 && (resident == 0 || size < resident); }
};

// Stops a run whose process outgrows its MemoryBudget (looked at every million events).
// Work in flight that grows without end (a service loaded beyond what it can serve, with
// no bound on its queue) would otherwise fill memory until the system kills the process,
// with no word. The run it stops ends at once, not drained, and stopped() says why. In a
// sweep with several jobs the memory is the process's: the run that looks first after it
// went over is the one stopped.
class MemoryGuard : public models::RunMonitor {
 public:
  explicit MemoryGuard(MemoryBudget budget = MemoryBudget::of_this_machine()) : budget_(budget) {}
  bool progress(models::PatternChoice choice, uint64_t events, uint64_t transactions,
                sim::Time now, double wall_s) override;
  // Why the guard stopped the run, or empty.
  const std::string& stopped() const { return stopped_; }

 private:
  MemoryBudget budget_;
  std::string stopped_;
};

// Why run `r`, watched by `guard`, was stopped before its end (its clock stood still,
// RunResult::clock_stuck, or the guard stopped it), and what to change; "" if it was not.
std::string stopped_text(const models::RunResult& r, const MemoryGuard& guard);

// Runs `patterns` (all of the scenario's when empty) for one replication; `probe` (a
// tracer) is attached to every run. A run whose clock stood still, or that MemoryGuard
// stopped, is an error that says why.
sim::Result<std::vector<models::RunResult>> run_scenario(const Scenario& s,
                                                         std::vector<models::PatternChoice> patterns,
                                                         uint64_t replication = 0,
                                                         models::RunProbe* probe = nullptr);

}  // namespace app
