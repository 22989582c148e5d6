// TCC (models/tcc.hpp): reservations that release themselves, and the heuristic outcome
// of a confirm that comes after its reservation expired.
#include <catch2/catch.hpp>

#include <string>

#include "pattern_helpers.hpp"

using models::Outcome;

namespace {

const char* kTcc = R"(name: tcc
seed: 41
duration: 10s
drain: 120s
workload: {rate: 100/s}
network: {latency: exp(1ms)}
services:
  entry: {workers: 64}
  s1: {workers: 8, ops: {hold: exp(1ms), release: exp(1ms)}}
  s2: {workers: 16, ops: {hold: exp(50ms), release: exp(1ms)}}
workflow:
  entry: entry
  steps:
    - {service: s1, action: hold, cancel: release}
    - {service: s2, action: hold, cancel: release, fails: 0.1}
patterns: [tcc]
retry: {attempts: 2, backoff: 20ms}
timeouts: {call: 100ms}
tcc: {expiry: 500ms}
)";

}  // namespace

TEST_CASE("TCC: a coordinator lost before deciding leaves reservations that release themselves",
          "[models][tcc]") {
  // The coordinator is down for 3 s, longer than the 500 ms expiry: the transactions it had
  // not decided (s1 reserved, s2's 50 ms try under way) are lost, and their reservations
  // expire on their own, each a participant's own decision after promising. Nothing was
  // confirmed, so nothing is violated.
  const app::Scenario s = test::scenario(kTcc, {{"faults", "[{at: 4s, crash: entry, for: 3s}]"}});
  const models::RunResult r = test::run(s, "tcc");
  CHECK(test::outcome(r, Outcome::kViolated) == 0);
  CHECK(r.metrics.unilateral_decisions > 0);
  CHECK(r.metrics.changed_decisions == 0);
  CHECK(r.metrics.exposures == 0);
}

TEST_CASE("TCC: a confirm after the expiry is the heuristic outcome (and an expiry longer than "
          "the outage avoids it)",
          "[models][tcc]") {
  // s1 cannot be reached for 2 s. A transaction that reserved at s1 just before the cut
  // and whose slow try at s2 (50 ms) ends in it is confirmed: s2 applies at once, s1's
  // confirm is resent until the cut heals, by when its 500 ms reservation has expired.
  // Some effects applied, others not: violated, and the coordinator's "commit" met the
  // participant's own "abort".
  const std::string cut = "[{at: 4s, cut: {from: [entry], to: [s1]}, for: 2s}]";
  const models::RunResult hazard = test::run(test::scenario(kTcc, {{"faults", cut}}), "tcc");
  CHECK(test::outcome(hazard, Outcome::kViolated) > 0);
  CHECK(hazard.metrics.changed_decisions == test::outcome(hazard, Outcome::kViolated));
  // With reservations that outlive the cut, every confirm arrives in time.
  const models::RunResult safe =
      test::run(test::scenario(kTcc, {{"faults", cut}, {"tcc.expiry", "10s"}}), "tcc");
  CHECK(test::outcome(safe, Outcome::kViolated) == 0);
  CHECK(safe.metrics.changed_decisions == 0);
  CHECK(test::outcome(safe, Outcome::kCommitted) > 0);
}

TEST_CASE("TCC: a refused try cancels the reservations before it, and a late try is refused",
          "[models][tcc]") {
  // s2 refuses 10% of its tries: each such transaction cancels s1's reservation at once
  // (kCancel, not acknowledged), applies nothing and ends aborted.
  // (s2 is fast here: its 50 ms tries would sometimes time out twice, and fail.)
  const models::RunResult r = test::run(
      test::scenario(kTcc, {{"services.s2", "{workers: 16, ops: {hold: exp(1ms), release: exp(1ms)}}"}}),
      "tcc");
  CHECK(test::outcome(r, Outcome::kViolated) == 0);
  CHECK(test::outcome(r, Outcome::kAborted) > 0);
  CHECK(test::outcome(r, Outcome::kAborted) + test::outcome(r, Outcome::kCommitted) ==
        r.metrics.transactions);
  // Without faults no reservation is left to expire: every one was confirmed or cancelled.
  CHECK(r.metrics.unilateral_decisions == 0);
}
