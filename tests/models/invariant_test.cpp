// Invariants under randomized fault campaigns: crashes with recovery (services and the
// broker), message loss and duplication, partitions. Every node eventually recovers (random
// failures stop with the arrivals) and the drain is long, so:
//   - two-phase commit never ends a transaction violated;
//   - a saga whose compensations are retried without limit never ends violated;
//   - orchestration and choreography, which do not compensate, do produce violations.
// The number of seeds per pattern comes from COORDSIM_SEEDS (default 1000: the long
// campaign, ctest label "long"); CI runs it shortened (scripts/test sets COORDSIM_SEEDS).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "pattern_helpers.hpp"
#include "sim/rng.hpp"

using models::Outcome;

namespace {

uint64_t seeds_from_env() {
  const char* v = std::getenv("COORDSIM_SEEDS");
  if (v == nullptr) return 1000;
  const long n = std::strtol(v, nullptr, 10);
  return n > 0 ? static_cast<uint64_t>(n) : 1000;
}

// A random but valid scenario for one campaign seed.
std::string campaign(uint64_t seed) {
  sim::Rng rng(seed, "campaign");
  auto pick = [&](double lo, double hi) { return lo + (hi - lo) * rng.uniform(); };
  const double loss = pick(0, 0.02), dup = pick(0, 0.02);
  const int mttf_s = static_cast<int>(pick(3, 20)), mttr_ms = static_cast<int>(pick(100, 2000));
  const int part_at = static_cast<int>(pick(1, 9)), part_for = static_cast<int>(pick(100, 2000));
  const int crash_at = static_cast<int>(pick(1, 9));
  const char* victims[] = {"entry", "s1", "s2", "s3", "broker"};
  const char* victim = victims[rng.below(5)];
  return fmt::format(R"(name: campaign-{seed}
seed: {seed}
duration: 10s
drain: 600s
workload: {{rate: 40/s}}
network: {{latency: exp(1ms), loss: {loss}, duplicate: {dup}}}
services:
  entry: {{workers: 8, ops: {{in: exp(0.5ms)}}, mttf: {mttf}s, mttr: {mttr}ms}}
  s1: {{workers: 4, ops: {{do: exp(2ms), undo: exp(1ms)}}, mttf: {mttf}s, mttr: {mttr}ms}}
  s2: {{workers: 4, ops: {{do: exp(2ms), undo: exp(1ms)}}, mttf: {mttf}s, mttr: {mttr}ms}}
  s3: {{workers: 4, ops: {{do: exp(2ms), undo: exp(1ms)}}, mttf: {mttf}s, mttr: {mttr}ms}}
broker: {{latency: exp(0.5ms), redelivery: 200ms, max_attempts: 0, durable: true,
          mttf: {mttf}s, mttr: {mttr}ms}}
workflow:
  entry: entry
  entry_op: in
  steps:
    - {{service: s1, action: do, compensate: undo, fails: 0.05}}
    - parallel:
        - {{service: s2, action: do, compensate: undo, fails: 0.05}}
        - {{service: s3, action: do, compensate: undo, fails: 0.05}}
patterns: [orchestration, choreography, two_phase_commit, saga_orchestrated, saga_choreographed]
retry: {{attempts: 3, backoff: {{base: 20ms, max: 200ms}}, jitter: full, compensation_attempts: 0}}
timeouts: {{call: 100ms, prepare: 300ms, lock_wait: 100ms}}
faults:
  - {{at: {part_at}s, partition: [[entry], [s1, s2]], for: {part_for}ms}}
  - {{at: {crash_at}s, crash: {victim}, for: 1s}}
)",
                     fmt::arg("seed", seed), fmt::arg("loss", loss), fmt::arg("dup", dup),
                     fmt::arg("mttf", mttf_s), fmt::arg("mttr", mttr_ms),
                     fmt::arg("part_at", part_at), fmt::arg("part_for", part_for),
                     fmt::arg("crash_at", crash_at), fmt::arg("victim", victim));
}

}  // namespace

TEST_CASE("Invariants: random fault campaigns over every pattern", "[.][campaign]") {
  const uint64_t seeds = seeds_from_env();
  uint64_t violated_orchestration = 0, violated_choreography = 0, transactions = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    const std::string text = campaign(seed);
    INFO("the scenario (to reproduce with coordsim run):\n" << text);
    const app::Scenario s = test::scenario(text);
    for (const models::PatternChoice& k : test::all_patterns()) {
      const models::RunResult r = test::run(s, k);
      const uint64_t violated = test::outcome(r, Outcome::kViolated);
      INFO("seed " << seed << ", " << k.label() << ": " << violated << " violated of "
                   << r.metrics.transactions);
      if (k.info->atomic) {
        REQUIRE(violated == 0);
        REQUIRE(r.drained);
      } else if (k.transport == models::Transport::kRpc) {
        violated_orchestration += violated;
        transactions += r.metrics.transactions;
      } else {
        violated_choreography += violated;
      }
    }
  }
  INFO(seeds << " seeds, " << transactions << " transactions per pattern");
  CHECK(violated_orchestration > 0);
  CHECK(violated_choreography > 0);
}
