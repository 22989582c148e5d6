// Without failures, every pattern sends exactly the messages its protocol says
// (docs/patterns.md has the formulas).
#include <catch2/catch.hpp>

#include "pattern_helpers.hpp"


namespace {
// Stages: {a}, {b, c} in parallel, {d}; d has no side effect. n = 4 steps, r = 1 read-only.
const char* kWorkflow = R"(name: counts
seed: 5
transactions: 2000
workload: {rate: 50/s}
network: {latency: exp(1ms)}
services:
  entry: {workers: 8, ops: {in: exp(1ms)}}
  a: {workers: 4, ops: {x: exp(1ms), undo: exp(1ms)}}
  b: {workers: 4, ops: {x: exp(1ms), undo: exp(1ms)}}
  c: {workers: 4, ops: {x: exp(1ms), undo: exp(1ms)}}
  d: {workers: 4, ops: {x: exp(1ms)}}
broker: {latency: exp(1ms)}
workflow:
  entry: entry
  entry_op: in
  steps:
    - {service: a, action: x, compensate: undo}
    - parallel:
        - {service: b, action: x, compensate: undo}
        - {service: c, action: x, compensate: undo}
    - {service: d, action: x, side_effect: false}
patterns: [orchestration, choreography, two_phase_commit, saga_orchestrated, saga_choreographed, tcc]
)";

double per_txn(const models::RunResult& r) { return r.metrics.messages.mean(); }
}  // namespace

TEST_CASE("Message counts: every pattern matches its formula without failures",
          "[models][messages]") {
  const app::Scenario s = test::scenario(kWorkflow);
  const double n = 4, r = 1;
  // Orchestration and the orchestrated saga: client 2 + a call and a reply per step.
  const double orchestration = 2 + 2 * n;
  // Choreography: client 2, start publish 2, each step's publish 2, and a delivery and its
  // acknowledgement per subscription: |S1| + |S1||S2| + |S2||S3| = 1 + 2 + 2.
  const double choreography = 2 + 2 + 2 * n + 2 * (1 + 1 * 2 + 2 * 1);
  // 2PC, presumed abort: client 2, prepare and vote per participant, commit and ack per
  // participant that is not read-only.
  const double two_pc = 2 + 2 * n + 2 * (n - r);
  // TCC: client 2, a try and its reply per step, a confirm and its reply per step that
  // reserved (not the read-only one).
  const double tcc = 2 + 2 * n + 2 * (n - r);
  for (const models::PatternChoice& k : test::all_patterns()) {
    INFO(k.label());
    const models::RunResult res = test::run(s, k);
    REQUIRE(test::outcome(res, models::Outcome::kCommitted) == res.metrics.transactions);
    CHECK(res.metrics.messages.min() == res.metrics.messages.max());  // the same for all
    const std::string name = k.info->name;
    if (name == "orchestration" || name == "saga_orchestrated") {
      CHECK(per_txn(res) == orchestration);
    } else if (name == "choreography" || name == "saga_choreographed") {
      CHECK(per_txn(res) == choreography);
      CHECK(res.metrics.broker_messages == static_cast<uint64_t>(choreography - 2) * 2000);
    } else if (name == "two_phase_commit") {
      CHECK(per_txn(res) == two_pc);
    } else if (name == "tcc") {
      CHECK(per_txn(res) == tcc);
    } else {
      FAIL("no formula for " << name);
    }
  }
}

TEST_CASE("Message counts: basic 2PC sends 2 + 4n whatever the outcome", "[models][messages]") {
  const app::Scenario s = test::scenario(kWorkflow, {{"two_phase_commit", "{variant: basic}"}});
  const models::RunResult res = test::run(s, "two_phase_commit");
  CHECK(res.metrics.messages.min() == 2 + 4 * 4);
  CHECK(res.metrics.messages.max() == 2 + 4 * 4);
}

TEST_CASE("Message counts: the presumed-abort abort path sends n - 1 unacknowledged aborts",
          "[models][messages]") {
  // Every transaction is refused by b (fails: 1): prepare and vote 2n, then n - 1 aborts
  // (to everyone but the no voter; d is read-only but may not have voted yet, so the
  // count is checked on a workflow without read-only steps).
  const app::Scenario s = test::scenario(kWorkflow, {{"workflow.steps.1.parallel.0.fails", "1"},
                                                     {"workflow.steps.2.side_effect", "true"}});
  const models::RunResult res = test::run(s, "two_phase_commit");
  REQUIRE(test::outcome(res, models::Outcome::kAborted) == res.metrics.transactions);
  CHECK(res.metrics.messages.min() == 2 + 2 * 4 + (4 - 1));
  CHECK(res.metrics.messages.max() == 2 + 2 * 4 + (4 - 1));
}

TEST_CASE("Message counts: a refused step costs its calls plus a compensation (saga) or a cancel (TCC) per step before",
          "[models][messages]") {
  // Sequential a -> b -> c with b always refusing (k = 2): 2 + 2k + 2(k - 1) = 8.
  const app::Scenario s = test::scenario(R"(name: refusal
transactions: 500
workload: {rate: 50/s}
services:
  entry: {workers: 4}
  a: {workers: 4, ops: {x: exp(1ms), undo: exp(1ms)}}
  b: {workers: 4, ops: {x: exp(1ms), undo: exp(1ms)}}
  c: {workers: 4, ops: {x: exp(1ms), undo: exp(1ms)}}
workflow:
  entry: entry
  steps:
    - {service: a, action: x, compensate: undo}
    - {service: b, action: x, compensate: undo, fails: 1}
    - {service: c, action: x, compensate: undo}
patterns: [saga_orchestrated, tcc]
)");
  const models::RunResult r = test::run(s, "saga_orchestrated");
  REQUIRE(test::outcome(r, models::Outcome::kAborted) == r.metrics.transactions);
  CHECK(r.metrics.messages.min() == 8);
  CHECK(r.metrics.messages.max() == 8);
  CHECK(r.metrics.compensations.mean() == 1);
  // TCC on the same workflow: the tries up to k and their replies, then one cancel, not
  // acknowledged, per step that reserved before k: 2 + 2k + (k - 1) = 7.
  const models::RunResult t = test::run(s, "tcc");
  REQUIRE(test::outcome(t, models::Outcome::kAborted) == t.metrics.transactions);
  CHECK(t.metrics.messages.min() == 7);
  CHECK(t.metrics.messages.max() == 7);
}
