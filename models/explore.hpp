// models::explore: systematic single-fault exploration of one transaction (`coordsim
// explore`). No randomness decides where a fault falls: every point of the failure-free run
// is tried, one at a time.
//
//  1. The scenario is reduced to one transaction without random faults: one arrival, no
//     scheduled faults, no MTTF, no loss or duplication on any link. Its service times and
//     delays are still drawn from the seed's streams, so every run below repeats the
//     failure-free run exactly up to the injected fault.
//  2. The failure-free run of each pattern is recorded: every message sent, every message
//     delivered and every forced log write, in order.
//  3. For each point, one run with one fault:
//       crash after send k      the sender crashes right after handing message k to the
//                               network (its later sends in the same handler are lost with
//                               it), and recovers `recover_after` later;
//       crash after receive k   the receiver crashes right after handling delivery k;
//       loss of message k       message k is lost;
//       crash after force k     the node crashes right after forced log write k (the record
//                               is durable; its later sends in the same handler are lost).
//     Crashes are of services and the broker (not of the client).
//  4. Each run drains; the transaction's outcome is classified: committed, aborted, failed,
//     violated, blocked (still in doubt at the end), or blocked_then_resolved (a participant
//     was in doubt beyond the failure-free window, and it ended committed or aborted).
#pragma once

#include <string>
#include <vector>

#include "models/config.hpp"
#include "models/pattern.hpp"
#include "sim/time.hpp"

namespace models {

struct ExploreOptions {
  bool crashes = true;
  bool losses = true;
  sim::Time recover_after = sim::Time::from_s(5);  // a crashed node is down this long
};

enum class FaultPoint : uint8_t { kCrashAfterSend, kCrashAfterReceive, kLoss, kCrashAfterForce };

struct ExplorePoint {
  FaultPoint fault = FaultPoint::kLoss;
  uint64_t index = 0;     // the send's or the delivery's number in the failure-free run (from 1)
  sim::Time at;           // when it happened in the failure-free run
  std::string node;       // the node that crashes, or the message's sender
  std::string text;       // "coordinator crashes after it sends Commit to p1"
  std::string outcome;    // one of explore_outcomes()
  double in_doubt_max_ms = 0;
  bool unfinished = false;  // the pattern never finished the transaction
};

struct ExploreResult {
  PatternChoice pattern;
  std::string baseline;  // the outcome without a fault
  uint64_t sends = 0, deliveries = 0, forces = 0;
  std::vector<ExplorePoint> points;
};

// The outcome names, in the order the outputs list them.
const std::vector<std::string>& explore_outcomes();

// The scenario reduced to one transaction without random faults (step 1 above).
ScenarioConfig single_transaction(const ScenarioConfig& cfg);

ExploreResult explore(const ScenarioConfig& cfg, PatternChoice pattern, const ExploreOptions& o);

}  // namespace models
