// Outcomes against hand-computed rates, and the TWOPC benchmark's statistics.
#include <catch2/catch.hpp>

#include <cmath>

#include "pattern_helpers.hpp"

using models::Outcome;

namespace {
// Three side-effect steps in sequence with business-failure probabilities f1, f2, f3 and
// no technical failure. Without compensation a transaction ends violated iff its first
// failure is at step 2 or 3 (step 1's effect, and maybe step 2's, stay):
//   P(violated) = (1 - f1) f2 + (1 - f1)(1 - f2) f3
// P(aborted) = f1 (nothing was applied), P(committed) = (1 - f1)(1 - f2)(1 - f3).
const char* kChain = R"(name: chain
seed: 21
transactions: 20000
workload: {rate: 100/s}
network: {latency: exp(0.5ms)}
services:
  entry: {workers: 16, ops: {in: exp(0.2ms)}}
  s1: {workers: 8, ops: {do: exp(1ms), undo: exp(1ms)}}
  s2: {workers: 8, ops: {do: exp(1ms), undo: exp(1ms)}}
  s3: {workers: 8, ops: {do: exp(1ms), undo: exp(1ms)}}
broker: {latency: exp(0.5ms)}
workflow:
  entry: entry
  entry_op: in
  steps:
    - {service: s1, action: do, compensate: undo, fails: 0.05}
    - {service: s2, action: do, compensate: undo, fails: 0.10}
    - {service: s3, action: do, compensate: undo, fails: 0.20}
)";
constexpr double f1 = 0.05, f2 = 0.10, f3 = 0.20;

// |observed - expected| within 4 binomial standard deviations.
void check_rate(uint64_t count, uint64_t n, double p) {
  const double sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
  INFO("observed " << static_cast<double>(count) / static_cast<double>(n) << ", expected " << p);
  CHECK(std::abs(static_cast<double>(count) / static_cast<double>(n) - p) <= 4 * sd);
}
}  // namespace

TEST_CASE("Outcomes: without compensation, violations occur at the hand-computed rate",
          "[models][outcomes]") {
  const app::Scenario s = test::scenario(kChain);
  const double violated = (1 - f1) * f2 + (1 - f1) * (1 - f2) * f3;
  for (const char* k : {"orchestration", "choreography"}) {
    INFO(k);
    const models::RunResult r = test::run(s, k);
    const uint64_t n = r.metrics.transactions;
    REQUIRE(n > 19000);
    check_rate(test::outcome(r, Outcome::kViolated), n, violated);
    check_rate(test::outcome(r, Outcome::kAborted), n, f1);
    check_rate(test::outcome(r, Outcome::kCommitted), n, (1 - f1) * (1 - f2) * (1 - f3));
    CHECK(test::outcome(r, Outcome::kFailed) == 0);
  }
}

TEST_CASE("Outcomes: sagas and 2PC turn the same failures into clean aborts",
          "[models][outcomes]") {
  const app::Scenario s = test::scenario(kChain);
  // Every pattern sees the same business failures (common random numbers): the committed
  // count is identical, and what is not committed is aborted.
  const uint64_t committed =
      test::outcome(test::run(s, "orchestration"), Outcome::kCommitted);
  for (const std::string k :
       {"two_phase_commit", "saga_orchestrated", "saga_choreographed", "choreography"}) {
    INFO(k);
    const models::RunResult r = test::run(s, k);
    CHECK(test::outcome(r, Outcome::kCommitted) == committed);
    if (k != "choreography") {
      CHECK(test::outcome(r, Outcome::kViolated) == 0);
      CHECK(test::outcome(r, Outcome::kAborted) + committed == r.metrics.transactions);
    }
  }
  // A saga compensates exactly the steps applied before the failure: s1 when s2 fails,
  // s1 and s2 when s3 fails.
  const models::RunResult saga = test::run(s, "saga_orchestrated");
  const double comps = (1 - f1) * f2 * 1 + (1 - f1) * (1 - f2) * f3 * 2;
  CHECK(saga.metrics.compensations.mean() == Approx(comps).epsilon(0.05));
}

TEST_CASE("TWOPC benchmark: coordsim's 2PC reproduces the benchmark's statistics",
          "[models][twopc][validation]") {
  auto r = app::load_scenario_file(std::string(COORDSIM_SOURCE_DIR) + "/bench/twopc.yaml",
                                   {{"transactions", "100000"}});
  REQUIRE(r.ok());
  const models::RunResult res = test::run(r.value(), "two_phase_commit");
  const auto& m = res.metrics;
  REQUIRE(m.transactions == 100000);
  // BENCHMARKS.md: mean about 13.8 ms, p99 about 35.5 ms, commit fraction about 0.922.
  CHECK(m.completion.mean_ns() * 1e-6 == Approx(13.8).epsilon(0.03));
  CHECK(m.completion.percentile_ns(0.99) * 1e-6 == Approx(35.5).epsilon(0.04));
  CHECK(static_cast<double>(test::outcome(res, Outcome::kCommitted)) / 1e5 ==
        Approx(0.922).epsilon(0.01));
}

TEST_CASE("Regression: a request delivered twice started its transaction twice and stuck it",
          "[models][regression]") {
  // Found by the fault campaign (seed 4): with network duplication, the entry service began
  // the same transaction twice; the second start left it waiting forever, never compensated.
  const app::Scenario s = test::scenario(kChain, {{"network.duplicate", "0.5"},
                                                  {"transactions", "3000"}});
  for (const models::PatternChoice& k : test::all_patterns()) {
    INFO(k.label());
    const models::RunResult r = test::run(s, k);
    CHECK(r.metrics.unfinished == 0);
    if (k.info->atomic) {
      CHECK(test::outcome(r, Outcome::kViolated) == 0);
    }
  }
}
