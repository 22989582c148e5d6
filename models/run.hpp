// models::run: one run of one pattern on one scenario replication, start to drained end.
//
//  1. Build the World; install the pattern; start the client.
//  2. Run until arrivals stop (the scenario's duration or transaction count). Random
//     failures stop starting at that point (a node already down still recovers).
//  3. Drain: keep running until every transaction is done, nothing is left to happen, or
//     `drain` has passed since the end of arrivals, whichever is first.
//  4. Classify every measured transaction (arrived after the warm-up) and summarise.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "models/config.hpp"
#include "models/ledger.hpp"
#include "sim/network.hpp"

namespace models {

struct NodeSummary {
  std::string name;     // the node's: the service's, or "service#k" for a replica
  std::string service;  // the service it is a replica of (the broker: "broker")
  double utilisation = 0, availability = 0, mean_queue = 0;
  uint64_t served = 0, rejected = 0, crashes = 0, lost_in_crash = 0;
  uint64_t served_to_end = 0;  // jobs served from the end of the warm-up to the end of the run
};

// The metrics of one request type.
struct TypeMetrics {
  std::string name;
  RunMetrics metrics;
};

struct RunResult {
  PatternChoice pattern;
  uint64_t replication = 0;
  uint64_t seed = 0;
  RunMetrics metrics;              // all transactions
  std::vector<TypeMetrics> types;  // per request type, when the scenario has several
  std::vector<NodeSummary> nodes;  // every replica of every service, then the broker
  sim::NetworkCounters network;
  uint64_t events = 0;
  uint64_t transactions_simulated = 0;  // all of them, warm-up included
  // Calls about a transaction after its record was released (Ledger::late_touches()): 0
  // unless a chain of waits outlasts the scenario's quiet period; a run reports it.
  uint64_t late_touches = 0;
  uint64_t quiet_ns = 0;  // the quiet period after which records were released (World::quiet_period())
  uint64_t records_released = 0;  // transactions folded into the metrics before the end
  uint64_t fingerprint = 0;
  sim::Time end;           // simulated time when the run stopped
  sim::Time arrivals_end;  // when arrivals stopped
  bool drained = true;     // false iff the drain limit stopped the run with work left to do
  // The clock stood still at `end` for kStillEvents events in a row (something repeats
  // without taking time: a closed loop in which nothing takes time, arrivals faster than
  // the clock's nanosecond), so the run could never reach its end: it was stopped there,
  // not drained, and its figures mean nothing.
  bool clock_stuck = false;
  static constexpr uint64_t kStillEvents = 10'000'000;
  uint64_t clamped_samples = 0;  // random samples cut to sim::Distribution::kMaxSampleNs
  double wall_s = 0;       // wall-clock time of the simulation loop
};

class World;
// Something attached to a run's world before it starts (coordsim explore's fault injector):
// it may tap the network and intervene between events.
class RunProbe {
 public:
  virtual ~RunProbe() = default;
  virtual void attach(World& w) = 0;
  // The run has drained and is summarised; the world is still there to look at.
  virtual void finish(World& w) { (void)w; }
  // A probe that samples the run: run() stops at every multiple of sample_every() (after
  // every event up to that time, before any later one: no event is added, so the run is the
  // same) and calls sample(). Time::max(): never.
  virtual sim::Time sample_every() const { return sim::Time::max(); }
  virtual void sample(World& w) { (void)w; }
  // Whether the probe reads transaction records that the ledger would have released (a
  // trace, an explanation, looked at after the run). A probe that answers false takes each
  // record as it is released (Ledger::on_release) and memory stays bounded by the work in
  // flight; one that answers true makes the run keep every record.
  virtual bool keeps_records() const { return true; }
};

// Several probes on one run (a trace and a time series). At most one of them samples.
class ProbeList final : public RunProbe {
 public:
  void add(RunProbe* p) {
    if (p != nullptr) probes_.push_back(p);
  }
  bool empty() const { return probes_.empty(); }
  void attach(World& w) override {
    for (RunProbe* p : probes_) p->attach(w);
  }
  void finish(World& w) override {
    for (RunProbe* p : probes_) p->finish(w);
  }
  sim::Time sample_every() const override {
    sim::Time t = sim::Time::max();
    for (const RunProbe* p : probes_) t = std::min(t, p->sample_every());
    return t;
  }
  void sample(World& w) override {
    for (RunProbe* p : probes_) {
      if (p->sample_every() != sim::Time::max()) p->sample(w);
    }
  }
  bool keeps_records() const override {
    for (const RunProbe* p : probes_) {
      if (p->keeps_records()) return true;
    }
    return false;
  }

 private:
  std::vector<RunProbe*> probes_;
};

// Looks at a run every every() events (coordsim run: says so when a run goes long; the
// run-path fuzzer: bounds it).
class RunMonitor {
 public:
  virtual ~RunMonitor() = default;
  virtual uint64_t every() const { return 1'000'000; }
  // `transactions`: arrived so far; `wall_s`: since the run started. Returns false to cut
  // the run short there: it ends at once, not drained.
  virtual bool progress(PatternChoice choice, uint64_t events, uint64_t transactions,
                        sim::Time now, double wall_s) = 0;
};

// Runs `choice` (its factory makes the pattern) on replication `replication` of cfg.
RunResult run(const ScenarioConfig& cfg, PatternChoice choice, uint64_t replication,
              RunProbe* probe = nullptr, RunMonitor* monitor = nullptr);

}  // namespace models
