// The tracing block (models/tracing.hpp): what tracing costs the system it watches, checked
// against hand counts on deterministic scenarios, and the collector's losses.
#include <catch2/catch.hpp>

#include "models/run.hpp"
#include "models/workflow.hpp"
#include "pattern_helpers.hpp"

namespace {

// One client that waits for its answer and thinks 100 ms (never two transactions at once),
// constant delays: 1 ms per message, the entry's place 1 ms, the steps 2 ms and 3 ms.
const char* kChain = R"(name: traced
seed: 11
transactions: 50
workload: {arrival: closed, clients: 1, think: 100ms, deadline: 10s}
network: {latency: 1ms}
services:
  order: {workers: 2, ops: {place: 1ms}}
  p1: {workers: 1, ops: {x: 2ms, undo: 1ms}}
  p2: {workers: 1, ops: {x: 3ms, undo: 1ms}}
tracing:
  sample: 1
  span_cpu: 500us
  collector: {workers: 1, collect: 1ms}
workflow:
  entry: order
  entry_op: place
  steps:
    - {service: p1, action: x, compensate: undo}
    - {service: p2, action: x, compensate: undo}
patterns: [orchestration]
)";

models::RunResult run(const std::vector<app::Override>& o = {}) {
  const app::Scenario s = test::scenario(kChain, o);
  return models::run(s.config, s.config.patterns.at(0), 0);
}

}  // namespace

TEST_CASE("Tracing: each span costs its CPU on the path and one message", "[models][tracing]") {
  // Orchestration without tracing: Request, place 1 ms, Call p1, x 2 ms, reply, Call p2,
  // x 3 ms, reply, Reply = 6 messages of 1 ms + 6 ms = 12 ms to the answer, 6 messages.
  const models::RunResult off = run({{"tracing.sample", "0"}});
  REQUIRE(off.metrics.transactions == 50);
  CHECK(off.metrics.acceptance.mean_ns() == Approx(12e6));
  CHECK(off.metrics.messages.mean() == 6.0);
  CHECK(off.metrics.traced == 0);
  // Traced: three spans (place, p1's x, p2's x), each 0.5 ms more on the path: 13.5 ms;
  // three Span messages more; the collector (1 ms per span, one worker) keeps up.
  const models::RunResult on = run();
  CHECK(on.metrics.acceptance.mean_ns() == Approx(13.5e6));
  CHECK(on.metrics.acceptance.max_ns() == 13'500'000);
  CHECK(on.metrics.messages.mean() == 9.0);
  CHECK(on.metrics.traced == 50);
  CHECK(on.metrics.spans == 150);
  CHECK(on.metrics.spans_collected == 150);
  CHECK(on.metrics.traces_complete == 50);
  CHECK(on.metrics.outcomes[0] == 50);
}

TEST_CASE("Tracing: a collector that is down or full loses spans, not orders",
          "[models][tracing]") {
  // Down for the whole run: every span lost, every trace incomplete, every order committed.
  const models::RunResult down = run({{"faults", "[{at: 0s, crash: collector, for: 1000s}]"}});
  CHECK(down.metrics.spans == 150);
  CHECK(down.metrics.spans_collected == 0);
  CHECK(down.metrics.traces_complete == 0);
  CHECK(down.metrics.outcomes[0] == 50);
  // No room to wait and 10 ms per span. After the arrival: place's span ends at 2.5 ms
  // (1 ms on the wire, 1.5 ms of place) and reaches the collector at 3.5 ms, which serves it
  // until 13.5 ms; p1's span reaches it at 7 ms and p2's at 12.5 ms, both while it is busy:
  // lost. The next transaction comes 100 ms after the answer, to an idle collector. One
  // span of three collected, no trace complete.
  const models::RunResult full = run({{"tracing.collector.queue", "0"}, {"tracing.collector.collect", "10ms"}});
  CHECK(full.metrics.spans == 150);
  CHECK(full.metrics.spans_collected == 50);
  CHECK(full.metrics.traces_complete == 0);
}

TEST_CASE("Tracing: the sample is a hashed draw per transaction, the same under every pattern",
          "[models][tracing]") {
  const app::Scenario s = test::scenario(
      kChain, {{"tracing.sample", "0.3"}, {"transactions", "400"}, {"patterns", "[orchestration, saga_orchestrated]"}});
  uint64_t expected = 0;
  for (uint64_t t = 0; t < 400; ++t) {
    if (models::hashed_uniform(s.config.seed, 0, t, 0, models::kTraceSample) < 0.3) ++expected;
  }
  const models::RunResult a = models::run(s.config, s.config.patterns[0], 0);
  const models::RunResult b = models::run(s.config, s.config.patterns[1], 0);
  CHECK(a.metrics.traced == expected);
  CHECK(b.metrics.traced == expected);
  CHECK(expected > 90);
  CHECK(expected < 150);
}
