// Sagas on the shapes that used to break them: Garcia-Molina and Salem's textbook saga (the
// last step has no compensation: it is the pivot), under orchestrator crashes and network
// cuts; a parallel last stage; and the regressions those shapes found.
#include <catch2/catch.hpp>

#include <cmath>

#include "pattern_helpers.hpp"

using models::Outcome;

namespace {

// T1, T2 compensatable, T3 without compensation (the pivot). The orchestrator crashes
// every few seconds, the pivot's replies are cut for a while, messages are lost.
const char* kTextbook = R"(name: textbook
seed: 11
duration: 60s
drain: 600s
workload: {rate: 200/s}
network: {latency: exp(1ms), loss: 0.01, duplicate: 0.01}
services:
  entry: {workers: 64, ops: {in: exp(0.5ms)}, mttf: 8s, mttr: 700ms}
  s1: {workers: 8, ops: {do: exp(2ms), undo: exp(1ms)}}
  s2: {workers: 8, ops: {do: exp(2ms), undo: exp(1ms)}}
  s3: {workers: 8, ops: {do: exp(2ms)}}
broker: {latency: exp(0.5ms), redelivery: 300ms, max_attempts: 5}
workflow:
  entry: entry
  entry_op: in
  steps:
    - {service: s1, action: do, compensate: undo, fails: 0.05, errors: 0.02}
    - {service: s2, action: do, compensate: undo, fails: 0.05, errors: 0.02}
    - {service: s3, action: do, fails: 0.05, errors: 0.05}
patterns: [saga_orchestrated, saga_choreographed]
retry: {attempts: 3, backoff: {base: 20ms, max: 200ms}, jitter: full}
timeouts: {call: 100ms}
faults:
  - {at: 10s, cut: {from: [s3], to: [entry, broker]}, for: 3s}
  - {at: 25s, partition: [[entry], [s1, s2, s3]], for: 2s}
  - {at: 40s, crash: entry, for: 2s}
)";

// |observed - expected| within 4 binomial standard deviations.
void check_rate(uint64_t count, uint64_t n, double p) {
  const double sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
  INFO("observed " << static_cast<double>(count) / static_cast<double>(n) << ", expected " << p);
  CHECK(std::abs(static_cast<double>(count) / static_cast<double>(n) - p) <= 4 * sd);
}

}  // namespace

TEST_CASE("Sagas: the textbook shape under orchestrator crashes and cuts ends 0 violated",
          "[models][saga]") {
  const app::Scenario s = test::scenario(kTextbook);
  for (const char* p : {"saga_orchestrated", "saga_choreographed"}) {
    INFO(p);
    const models::RunResult r = test::run(s, p);
    REQUIRE(r.metrics.transactions > 10000);
    CHECK(r.drained);
    CHECK(test::outcome(r, Outcome::kViolated) == 0);
    CHECK(r.metrics.changed_decisions == 0);
    // Every kind of end was met: committed, compensated, and failed before any effect.
    CHECK(test::outcome(r, Outcome::kCommitted) > 0);
    CHECK(test::outcome(r, Outcome::kAborted) > 0);
    CHECK(r.metrics.compensations.mean() > 0);
  }
}

TEST_CASE("Regression: an applied last step was left in place when its retries ran out",
          "[models][saga][regression]") {
  // The pivot T3 applies, but every reply from s3 is cut: before the fix the orchestrator
  // gave up after its retries and compensated T1 and T2, leaving T3 applied (violated).
  // Now it asks s3 whether T3 applied (kResolve, retried until the cut heals): it did, and
  // the saga commits.
  const app::Scenario s = test::scenario(R"(name: cut-pivot
seed: 3
duration: 10s
drain: 120s
workload: {rate: 50/s}
network: {latency: exp(1ms)}
services:
  entry: {workers: 64}
  s1: {workers: 8, ops: {do: exp(1ms), undo: exp(1ms)}}
  s2: {workers: 8, ops: {do: exp(1ms), undo: exp(1ms)}}
  s3: {workers: 8, ops: {do: exp(1ms)}}
workflow:
  entry: entry
  steps:
    - {service: s1, action: do, compensate: undo}
    - {service: s2, action: do, compensate: undo}
    - {service: s3, action: do}
patterns: [saga_orchestrated]
retry: {attempts: 2, backoff: 50ms}
timeouts: {call: 100ms}
faults:
  - {at: 2s, cut: {from: [s3], to: [entry]}, for: 5s}
)");
  const models::RunResult r = test::run(s, "saga_orchestrated");
  CHECK(test::outcome(r, Outcome::kViolated) == 0);
  // About five seconds of arrivals met the cut, and all of them still committed.
  CHECK(test::outcome(r, Outcome::kCommitted) == r.metrics.transactions);
  CHECK(r.metrics.compensations.mean() == 0);
}

TEST_CASE("Sagas: a parallel last stage without faults ends 0 violated", "[models][saga]") {
  // The last stage is a parallel group whose every side-effect step is compensable, one of
  // them refused 10% of the time: each refusal is compensated, nothing is left half done
  // (the loader refuses the group when a step in it lacks a compensation: that step would be
  // a pivot beside a step that can fail).
  const char* text = R"(name: parallel-last
seed: 5
transactions: 10000
workload: {rate: 200/s}
network: {latency: exp(1ms)}
services:
  entry: {workers: 64}
  a: {workers: 8, ops: {do: exp(1ms), undo: exp(1ms)}}
  b: {workers: 8, ops: {do: exp(1ms), undo: exp(1ms)}}
  c: {workers: 8, ops: {do: exp(1ms), undo: exp(1ms)}}
broker: {latency: exp(0.5ms)}
workflow:
  entry: entry
  steps:
    - {service: a, action: do, compensate: undo}
    - parallel:
        - {service: b, action: do, compensate: undo}
        - {service: c, action: do, compensate: undo, fails: 0.1}
patterns: [saga_orchestrated, saga_choreographed]
)";
  const app::Scenario s = test::scenario(text);
  for (const char* p : {"saga_orchestrated", "saga_choreographed"}) {
    INFO(p);
    const models::RunResult r = test::run(s, p);
    CHECK(test::outcome(r, Outcome::kViolated) == 0);
    check_rate(test::outcome(r, Outcome::kAborted), r.metrics.transactions, 0.1);
    CHECK(test::outcome(r, Outcome::kAborted) + test::outcome(r, Outcome::kCommitted) ==
          r.metrics.transactions);
  }
  // After a pivot, a parallel stage of retriable steps with technical errors: all commit,
  // given the drain for the unlucky ones (redelivery doubles: 7 failed attempts in a row,
  // 0.3^7 per step, already wait over a minute).
  const app::Scenario retriable = test::scenario(text, {{"drain", "10min"},
                                                        {"workflow.steps.0", "{service: a, action: do, pivot: true}"},
                                                        {"workflow.steps.1.parallel.0", "{service: b, action: do, idempotent: true, errors: 0.3}"},
                                                        {"workflow.steps.1.parallel.1", "{service: c, action: do, idempotent: true, errors: 0.3}"}});
  for (const char* p : {"saga_orchestrated", "saga_choreographed"}) {
    INFO(p << " after a pivot");
    const models::RunResult r = test::run(retriable, p);
    CHECK(test::outcome(r, Outcome::kCommitted) == r.metrics.transactions);
    CHECK(r.metrics.technical_errors > 0);
  }
}

TEST_CASE("Sagas: the exact shape of the old violation is refused by the loader",
          "[models][saga]") {
  // The issue's example: a last parallel stage with a step without compensation beside a
  // step that can be refused. Every refused transaction ended violated, with no faults.
  auto r = app::load_scenario_text(R"(name: old
transactions: 100
workload: {rate: 10/s}
services:
  entry: {workers: 4}
  a: {workers: 4, ops: {do: exp(1ms), undo: exp(1ms)}}
  b: {workers: 4, ops: {do: exp(1ms)}}
workflow:
  entry: entry
  steps:
    - parallel:
        - {service: a, action: do, compensate: undo, fails: 0.1}
        - {service: b, action: do}
patterns: [saga_orchestrated]
)",
                                   "old.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "old.yaml:12:11: workflow.steps.0.parallel.0: saga step a.do runs beside the saga's "
        "pivot b.do (workflow.steps.0.parallel.1; by default the last step without "
        "compensation) in one parallel group; the pivot must run alone, since a step beside "
        "it could fail after the pivot's effect, which cannot be undone. Move the pivot out "
        "of the group");
}

TEST_CASE("Sagas: the orchestrated saga counts exposures to partial state", "[models][saga]") {
  // Two steps on contended keys: another transaction touching a key written by one that is
  // still between its steps has seen partial state. 2PC's locks forbid it.
  const app::Scenario s = test::scenario(R"(name: exposures
seed: 2
transactions: 5000
workload: {rate: 500/s}
network: {latency: exp(1ms)}
services:
  entry: {workers: 64}
  a: {workers: 8, ops: {do: exp(2ms), undo: exp(1ms)}, keys: {count: 20}}
  b: {workers: 8, ops: {do: exp(5ms), undo: exp(1ms)}, keys: {count: 20}}
workflow:
  entry: entry
  steps:
    - {service: a, action: do, compensate: undo}
    - {service: b, action: do, compensate: undo, fails: 0.2}
patterns: [saga_orchestrated, two_phase_commit]
)");
  CHECK(test::run(s, "saga_orchestrated").metrics.exposures > 100);
  CHECK(test::run(s, "two_phase_commit").metrics.exposures == 0);
}

TEST_CASE("Sagas: the FTGO CreateOrder saga's outcomes and compensations match the hand "
          "computation",
          "[models][saga][validation]") {
  // scenarios/ftgo-create-order.yaml without its faults, for about 110,000 orders. The steps:
  // create order (never refused), verify consumer (no side effect, refused with c = 0.05),
  // create ticket (refused with t = 0.02), authorize card (the pivot: each of its k = 3
  // attempts meets a technical error with e = 0.2, independently; an attempt that gets
  // through is declined with a = 0.10), approve ticket, approve order (retriable, never
  // refused). A pivot whose k attempts all failed is resolved (kResolve, or the dead-letter
  // notice in the choreographed saga, whose broker gives up after the same 3 deliveries):
  // nothing was applied, so the saga turns back. Hence, per order:
  //   committed:  (1 - c)(1 - t)(1 - e^k)(1 - a)
  //   aborted:    everything else (the order was created, so something was compensated)
  //   compensations: 1 if the consumer or the ticket is refused (undo the order),
  //                  2 if the card is declined or unreachable (undo ticket and order):
  //     E[C] = c + (1 - c) t + 2 (1 - c)(1 - t)(e^k + (1 - e^k) a)
  // The outcome shares are checked within 4 binomial s.e., E[C] within 4 s.e. of a mean
  // whose per-order variance is E[C^2] - E[C]^2 with E[C^2] = (c + (1 - c) t)
  //   + 4 (1 - c)(1 - t)(e^k + (1 - e^k) a).
  auto loaded = app::load_scenario_file(std::string(COORDSIM_SOURCE_DIR) +
                                            "/scenarios/ftgo-create-order.yaml",
                                        {{"faults", "[]"}, {"duration", "1105s"}});
  REQUIRE(loaded.ok());
  const double c = 0.05, t = 0.02, a = 0.10, e = 0.2, ek = e * e * e;
  const double committed = (1 - c) * (1 - t) * (1 - ek) * (1 - a);
  const double one = c + (1 - c) * t, two = (1 - c) * (1 - t) * (ek + (1 - ek) * a);
  const double mean_comps = one + 2 * two;
  const double sd_comps = std::sqrt(one + 4 * two - mean_comps * mean_comps);
  for (const char* p : {"saga_orchestrated", "saga_choreographed"}) {
    INFO(p);
    const models::RunResult r = test::run(loaded.value(), p);
    const uint64_t n = r.metrics.transactions;
    REQUIRE(n >= 100000);
    check_rate(test::outcome(r, Outcome::kCommitted), n, committed);
    check_rate(test::outcome(r, Outcome::kAborted), n, 1 - committed);
    CHECK(test::outcome(r, Outcome::kViolated) == 0);
    CHECK(test::outcome(r, Outcome::kFailed) == 0);
    const double se = sd_comps / std::sqrt(static_cast<double>(n));
    INFO("compensations per order " << r.metrics.compensations.mean() << ", expected "
                                    << mean_comps << " (4 s.e. = " << 4 * se << ")");
    CHECK(std::abs(r.metrics.compensations.mean() - mean_comps) <= 4 * se);
  }
}
