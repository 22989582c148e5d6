// The client's workloads against closed forms.
#include <catch2/catch.hpp>

#include <cmath>

#include "pattern_helpers.hpp"


TEST_CASE("Workload: a closed loop obeys Little's law, N = X (R + Z)", "[models][workload]") {
  // 20 users, think time Exp(50 ms), one step served by 2 workers in Exp(10 ms).
  const app::Scenario s = test::scenario(R"(name: closed
duration: 400s
warmup: 20s
workload: {arrival: closed, clients: 20, think: exp(50ms), deadline: 10s}
services:
  front: {workers: 64}
  back: {workers: 2, ops: {work: exp(10ms)}}
workflow:
  entry: front
  steps: [{service: back, action: work, side_effect: false}]
)");
  const models::RunResult r = test::run(s, "orchestration");
  const double x = r.metrics.throughput();                   // per second
  const double response = r.metrics.acceptance.mean_ns() * 1e-9;  // seconds
  CHECK(x * (response + 0.050) == Approx(20).epsilon(0.02));
  // The back end is the bottleneck: 2 workers at 10 ms serve at most 200/s.
  CHECK(x < 200);
}

TEST_CASE("Workload: rate phases change the Poisson rate at the given times",
          "[models][workload]") {
  // 100/s for 100 s, then 400/s for 50 s, then 100/s again until 200 s.
  const app::Scenario s = test::scenario(R"(name: burst
duration: 200s
workload:
  rate: 100/s
  phases: [{at: 100s, rate: 400/s}, {at: 150s, rate: 100/s}]
services:
  front: {workers: 64}
  back: {workers: 64, ops: {work: exp(1ms)}}
workflow:
  entry: front
  steps: [{service: back, action: work, side_effect: false}]
)");
  const models::RunResult r = test::run(s, "orchestration");
  const double expected = 100 * 100 + 400 * 50 + 100 * 50;  // 35000
  // Poisson count: within 4 standard deviations (sd = sqrt(mean)).
  CHECK(std::abs(static_cast<double>(r.metrics.transactions) - expected) <= 4 * std::sqrt(expected));
}
