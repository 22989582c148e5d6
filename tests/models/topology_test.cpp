// Request mixes, call trees and replicas against their closed forms. Each bound is 4
// standard errors of a binomial proportion, sqrt(p (1 - p) / n), from the number of
// transactions the run measured: a correct model fails one such check in about 16,000.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>

#include "pattern_helpers.hpp"

namespace {

double committed_share(const models::RunMetrics& m) {
  return static_cast<double>(m.outcomes[static_cast<size_t>(models::Outcome::kCommitted)]) /
         static_cast<double>(m.transactions);
}
double four_se(double p, uint64_t n) { return 4 * std::sqrt(p * (1 - p) / static_cast<double>(n)); }

}  // namespace

TEST_CASE("Mix: each request type's share is its weight, and the total's mean is theirs weighted",
          "[models][mix]") {
  // Weights 6 : 3 : 1 (the DeathStarBench social network's 60/30/10). A transaction's type
  // is a hashed draw from its id, so the shares are binomial; the total's mean latency is
  // by definition sum_t n_t mean_t / sum_t n_t over the same transactions.
  const app::Scenario s = test::scenario(R"(name: mix
seed: 11
transactions: 20000
workload: {rate: 500/s}
network: {latency: 0.5ms}
services:
  web:  {workers: 64, ops: {in: 0.1ms}}
  a:    {workers: 64, ops: {x: exp(1ms)}}
  b:    {workers: 64, ops: {x: exp(3ms)}}
  c:    {workers: 64, ops: {x: exp(9ms)}}
workflows:
  read:    {weight: 6, entry: web, entry_op: in, steps: [{service: a, action: x, side_effect: false}]}
  write:   {weight: 3, entry: web, entry_op: in, steps: [{service: b, action: x}]}
  compose: {weight: 1, entry: web, entry_op: in, steps: [{service: b, action: x}, {service: c, action: x}]}
patterns: [orchestration, choreography/rpc]
)");
  const double weights[] = {0.6, 0.3, 0.1};
  std::vector<uint64_t> counts_first;
  for (const char* p : {"orchestration", "choreography/rpc"}) {
    INFO(p);
    const models::RunResult r = test::run(s, p);
    REQUIRE(r.types.size() == 3);
    const uint64_t n = r.metrics.transactions;
    double weighted = 0;
    std::vector<uint64_t> counts;
    for (size_t t = 0; t < 3; ++t) {
      const models::RunMetrics& m = r.types[t].metrics;
      counts.push_back(m.transactions);
      const double share = static_cast<double>(m.transactions) / static_cast<double>(n);
      CHECK(std::abs(share - weights[t]) <= four_se(weights[t], n));
      weighted += static_cast<double>(m.transactions) * m.completion.mean_ns();
    }
    CHECK(counts[0] + counts[1] + counts[2] == n);
    CHECK(weighted / static_cast<double>(n) == Approx(r.metrics.completion.mean_ns()).epsilon(1e-9));
    // Common random numbers per request type: the same arrivals are the same types under
    // every pattern.
    if (counts_first.empty()) {
      counts_first = counts;
    } else {
      CHECK(counts == counts_first);
    }
  }
}

TEST_CASE("Call tree: with independent errors per edge and no retries, success is their product",
          "[models][calls]") {
  // Edges: the step itself (errors 0.1) and its tree: [x (0.05) || y (0.2)], then z (0.1),
  // which calls w (0.05). Fail fast: one failed edge fails the step, whatever the others
  // do. With one attempt per edge, P(success) = 0.9 * 0.95 * 0.8 * 0.9 * 0.95 = 0.584820.
  const app::Scenario s = test::scenario(R"(name: edges
seed: 3
transactions: 20000
workload: {rate: 200/s}
network: {latency: 0.2ms}
services:
  web: {workers: 64}
  svc: {workers: 64, ops: {x: 0.5ms}}
  x: {workers: 64, ops: {get: 0.2ms}}
  y: {workers: 64, ops: {get: 0.2ms}}
  z: {workers: 64, ops: {get: 0.2ms}}
  w: {workers: 64, ops: {get: 0.2ms}}
broker: {latency: 0.1ms, workers: 64}
workflow:
  entry: web
  steps:
    - service: svc
      action: x
      side_effect: false
      errors: 0.1
      calls:
        - parallel: [{service: x, action: get, errors: 0.05}, {service: y, action: get, errors: 0.2}]
        - {service: z, action: get, errors: 0.1, calls: [{service: w, action: get, errors: 0.05}]}
retry: {attempts: 1}
patterns: [orchestration, orchestration/broker, two_phase_commit, choreography/rpc]
)");
  const double p = 0.9 * 0.95 * 0.8 * 0.9 * 0.95;
  for (const models::PatternChoice& k : test::all_choices()) {
    const std::string label = k.label();
    if (label != "orchestration" && label != "orchestration/broker" &&
        label != "two_phase_commit" && label != "choreography/rpc") {
      continue;
    }
    INFO(label);
    const models::RunResult r = test::run(s, k);
    const double got = committed_share(r.metrics);
    CHECK(std::abs(got - p) <= four_se(p, r.metrics.transactions));
  }
}

namespace {
// Probes of `svc` (k replicas, each up and down with exponential times, mean up = mean down
// = 200 ms unless said: A = 1/2, failure rate lambda = repair rate mu = 5/s) every 5 s on
// average, far apart compared with the chain's relaxation time 1/(lambda + mu) = 0.1 s, so
// probes are independent. The network's round trip is 0.2 ms. A request that reaches a replica while it is down is lost; the orchestrator
// times out (timeouts.call) and, after the backoff, tries again.
std::string probes(uint32_t replicas, bool failover, uint32_t attempts, const char* timeout,
                   const char* backoff, const char* mean = "200ms") {
  return fmt::format(R"(name: probes
seed: 21
duration: 50000s
workload: {{rate: 0.2/s}}
network: {{latency: 0.1ms}}
services:
  prober: {{workers: 8}}
  svc: {{workers: 8, replicas: {}, failover: {}, ops: {{ping: 0ms}}, mttf: {}, mttr: {}}}
workflow:
  entry: prober
  steps: [{{service: svc, action: ping, side_effect: false}}]
retry: {{attempts: {}, backoff: {}, jitter: none}}
timeouts: {{call: {}}}
patterns: [orchestration]
)",
                     replicas, failover ? "true" : "false", mean, mean, attempts, backoff, timeout);
}
}  // namespace

TEST_CASE("Replicas: failover on retry succeeds with probability 1 - (1 - A)^min(r, k)",
          "[models][replicas]") {
  // r attempts fail over to r distinct replicas (round robin) as long as r <= k; their
  // states are independent, so the probe fails only if all r are down: (1 - A)^r, whatever
  // the time between attempts. With r > k the later attempts return to replicas already
  // found down, which are still down if the attempts are quick next to the repairs (here
  // 4 attempts within 4 ms, and 2 s repairs: a change in between has probability 0.002):
  // (1 - A)^k.
  struct Case {
    uint32_t k, r;
    const char* mean;
  };
  for (const Case c : {Case{3, 1, "200ms"}, Case{3, 2, "200ms"}, Case{3, 3, "200ms"},
                       Case{2, 4, "2s"}}) {
    INFO("k = " << c.k << ", r = " << c.r);
    const app::Scenario s = test::scenario(probes(c.k, true, c.r, "1ms", "0ms", c.mean));
    const models::RunResult res = test::run(s, "orchestration");
    const double p = 1 - std::pow(0.5, std::min(c.r, c.k));
    CHECK(std::abs(committed_share(res.metrics) - p) <= four_se(p, res.metrics.transactions));
  }
}

TEST_CASE("Replicas: without failover a retry gains what the up/down Markov chain allows",
          "[models][replicas]") {
  // Two attempts at the same replica d = timeout + backoff = 100 ms + 100 ms apart. For a
  // two-state continuous-time Markov chain with failure rate lambda and repair rate mu
  // (A = mu / (lambda + mu)), P(down at t + d | down at t) = (1 - A) + A e^{-(lambda+mu) d}.
  // The probe fails iff the replica is down at both attempts:
  //   P(fail) = (1 - A) ((1 - A) + A e^{-(lambda+mu) d}) = 0.5 (0.5 + 0.5 e^{-2}),
  // so success = 0.716166, against 0.75 for two independent replicas with failover.
  const app::Scenario s = test::scenario(probes(3, false, 2, "100ms", "100ms"));
  const models::RunResult res = test::run(s, "orchestration");
  const double p = 1 - 0.5 * (0.5 + 0.5 * std::exp(-2.0));
  CHECK(std::abs(committed_share(res.metrics) - p) <= four_se(p, res.metrics.transactions));
  const double failover = 0.75;
  CHECK(std::abs(committed_share(res.metrics) - failover) > four_se(p, res.metrics.transactions));
}
