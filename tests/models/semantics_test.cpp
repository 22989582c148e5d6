// Failure semantics shared by the patterns, against closed forms: technical errors per
// attempt beside business refusals, idempotent receivers (inboxes), and the time-weighted
// measure of partial state.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "models/messages.hpp"
#include "models/world.hpp"
#include "pattern_helpers.hpp"
#include "sim/observer.hpp"

#include <map>

using models::Outcome;

namespace {

// |observed - expected| within 4 binomial standard deviations of a proportion.
void check_rate(uint64_t count, uint64_t n, double p) {
  const double sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
  INFO("observed " << static_cast<double>(count) / static_cast<double>(n) << ", expected " << p
                   << " (4 s.e. = " << 4 * sd << ")");
  CHECK(std::abs(static_cast<double>(count) / static_cast<double>(n) - p) <= 4 * sd);
}

const models::NodeSummary& node(const models::RunResult& r, const std::string& name) {
  for (const auto& n : r.nodes) {
    if (n.name == name) return n;
  }
  FAIL("no node " << name);
  return r.nodes.front();
}

}  // namespace

TEST_CASE("Technical errors: a chain of n calls with k attempts succeeds with (1 - p^k)^n",
          "[models][errors][validation]") {
  // Closed form. Each attempt of each call fails with a technical error independently with
  // probability p (a hashed draw per transaction, step and attempt), and a failed attempt
  // is retried until k attempts were made (nothing else fails: no loss, no crash, timeouts
  // far above any delay). A hop therefore fails iff all its k attempts do: p^k; the chain
  // succeeds iff every one of its n hops does, independently:
  //   P(success) = (1 - p^k)^n.
  // Under orchestration a failed chain answers the client "error", which is not available:
  // availability is the same (1 - p^k)^n. The draws are per attempt, so a retry meets a new
  // one: with k = 1 the success is (1 - p)^n, which a business refusal `fails: p` also gives,
  // but there a retry changes nothing (checked last).
  const double p = 0.3;
  const int n = 4, k = 2;
  const app::Scenario s = test::scenario(fmt::format(R"(name: chain
seed: 17
transactions: 100000
workload: {{rate: 1000/s}}
network: {{latency: 0.1ms}}
services:
  entry: {{workers: 256}}
  s1: {{workers: 64, ops: {{do: 0.1ms}}}}
  s2: {{workers: 64, ops: {{do: 0.1ms}}}}
  s3: {{workers: 64, ops: {{do: 0.1ms}}}}
  s4: {{workers: 64, ops: {{do: 0.1ms}}}}
workflow:
  entry: entry
  steps:
    - {{service: s1, action: do, errors: {p}}}
    - {{service: s2, action: do, errors: {p}}}
    - {{service: s3, action: do, errors: {p}}}
    - {{service: s4, action: do, errors: {p}}}
patterns: [orchestration]
retry: {{attempts: {k}, backoff: 1ms}}
timeouts: {{call: 1s}}
)",
                                                     fmt::arg("p", p), fmt::arg("k", k)));
  const models::RunResult r = test::run(s, "orchestration");
  const uint64_t txns = r.metrics.transactions;
  REQUIRE(txns == 100000);
  const double success = std::pow(1 - std::pow(p, k), n);
  check_rate(test::outcome(r, Outcome::kCommitted), txns, success);
  check_rate(r.metrics.answered_in_time, txns, success);
  CHECK(test::outcome(r, Outcome::kAborted) == 0);  // a technical error is no refusal

  // A business refusal is decided once per (transaction, step): retrying it gives nothing.
  const app::Scenario refusal =
      test::scenario(s.text, {{"workflow.steps", "[{service: s1, action: do, fails: 0.3}]"},
                              {"retry.attempts", "5"}});
  const models::RunResult rr = test::run(refusal, "orchestration");
  check_rate(test::outcome(rr, Outcome::kCommitted), rr.metrics.transactions, 0.7);
  CHECK(rr.metrics.retries.mean() == 0);
}

TEST_CASE("Technical errors: a retriable saga step retries through them, 2PC votes no",
          "[models][errors]") {
  // After the pivot, a step with errors 0.5 is retried until it succeeds: every saga
  // commits, after 0.5 / (1 - 0.5) = 1 retry on average (a geometric number of failures).
  // 2PC prepares once: a technical error is a NO vote, so P(commit) = 1 - 0.5, and the
  // client hears "error" (unavailable), not "refused".
  const app::Scenario s = test::scenario(R"(name: retriable
seed: 23
transactions: 20000
workload: {rate: 500/s}
network: {latency: 0.1ms}
services:
  entry: {workers: 256}
  a: {workers: 64, ops: {do: 0.1ms}}
  b: {workers: 64, ops: {do: 0.1ms}}
workflow:
  entry: entry
  steps:
    - {service: a, action: do, pivot: true}
    - {service: b, action: do, idempotent: true, errors: 0.5}
patterns: [saga_orchestrated, two_phase_commit]
retry: {attempts: 1, backoff: 1ms}
timeouts: {call: 1s}
)");
  const models::RunResult saga = test::run(s, "saga_orchestrated");
  CHECK(test::outcome(saga, Outcome::kCommitted) == saga.metrics.transactions);
  // Mean retries 1, sd of one transaction's count sqrt(0.5)/0.5 = 1.414: 4 s.e. of the mean.
  CHECK(std::abs(saga.metrics.retries.mean() - 1.0) <= 4 * 1.414 / std::sqrt(20000.0));
  const models::RunResult tpc = test::run(s, "two_phase_commit");
  check_rate(test::outcome(tpc, Outcome::kCommitted), tpc.metrics.transactions, 0.5);
  CHECK(test::outcome(tpc, Outcome::kAborted) == 0);
  check_rate(tpc.metrics.answered_in_time, tpc.metrics.transactions, 0.5);
}

TEST_CASE("Inbox: a retried call whose first attempt ran is answered without running again",
          "[models][inbox]") {
  // Every reply from b is lost with probability 0.4, so the orchestrator retries calls that
  // b did execute. Without an inbox b runs the step again (service time and a duplicate
  // effect, the step not being idempotent); with one it answers from its record.
  const std::string text = R"(name: inbox-rpc
seed: 29
transactions: 5000
drain: 120s
workload: {rate: 200/s}
network:
  latency: 0.5ms
  links: [{from: b, to: entry, loss: 0.4, both_ways: false}]
services:
  entry: {workers: 256}
  a: {workers: 16, ops: {do: 1ms}}
  b: {workers: 16, ops: {do: 1ms}}
workflow:
  entry: entry
  steps:
    - {service: a, action: do}
    - {service: b, action: do}
patterns: [orchestration]
retry: {attempts: 20, backoff: 5ms}
timeouts: {call: 50ms}
)";
  const models::RunResult plain = test::run(test::scenario(text), "orchestration");
  const models::RunResult inbox =
      test::run(test::scenario(text, {{"services.b", "{workers: 16, ops: {do: 1ms}, inbox: true}"}}),
                "orchestration");
  for (const auto* r : {&plain, &inbox}) {
    REQUIRE(test::outcome(*r, Outcome::kCommitted) > 4900);
  }
  CHECK(plain.metrics.duplicates.mean() > 0.3);
  CHECK(node(plain, "b").served_to_end > node(plain, "a").served_to_end);
  CHECK(inbox.metrics.duplicates.mean() == 0);
  CHECK(inbox.metrics.suppressed_duplicates > 1000);
  // b executes each step once: exactly as many jobs as a, which saw no retry.
  CHECK(node(inbox, "b").served_to_end == node(inbox, "a").served_to_end);
}

TEST_CASE("Inbox: with duplication, a choreography join fires once per transaction",
          "[models][inbox]") {
  // Stage 1 is {a, b} in parallel, stage 2 is j, which joins their "done" events. The
  // network duplicates 30% of messages, so j receives extra copies of its inputs. Without
  // an inbox every copy after the join completed runs j again; with one, j runs once per
  // transaction and applies its effect once.
  const std::string text = R"(name: inbox-join
seed: 31
transactions: 3000
drain: 300s
workload: {rate: 100/s}
network: {latency: 0.5ms, duplicate: 0.3}
services:
  entry: {workers: 64}
  a: {workers: 16, ops: {do: 1ms}, inbox: true}
  b: {workers: 16, ops: {do: 1ms}, inbox: true}
  j: {workers: 16, ops: {do: 1ms}}
broker: {latency: 0.2ms, redelivery: 1s}
workflow:
  entry: entry
  steps:
    - parallel:
        - {service: a, action: do}
        - {service: b, action: do}
    - {service: j, action: do}
patterns: [choreography]
)";
  const models::RunResult plain = test::run(test::scenario(text), "choreography");
  const models::RunResult inbox = test::run(
      test::scenario(text, {{"services.j", "{workers: 16, ops: {do: 1ms}, inbox: true}"}}),
      "choreography");
  const uint64_t txns = 3000;
  REQUIRE(test::outcome(inbox, Outcome::kCommitted) == txns);
  CHECK(node(plain, "j").served_to_end > txns);
  CHECK(plain.metrics.duplicates.mean() > 0);
  CHECK(node(inbox, "j").served_to_end == txns);
  CHECK(node(inbox, "a").served_to_end == txns);
  CHECK(inbox.metrics.duplicates.mean() == 0);
  CHECK(inbox.metrics.suppressed_duplicates > 0);
}

TEST_CASE("Partial state: its time averages match the M/D/infinity closed form",
          "[models][partial][validation]") {
  // Closed form. Two steps a then b; every delay is constant and no worker is ever busy
  // when needed, so every transaction is in partial state (a applied, b not yet) for the
  // same D: a's reply 1 ms + b's call 1 ms + b's service 5 ms = 7 ms (a's own effect is
  // applied when its service ends). Arrivals are Poisson at rate L, so the number of
  // transactions in partial state at a random time is that of an M/D/infinity queue: it is
  // Poisson with mean L D (Little's law, and the M/G/infinity occupancy result), hence
  //   mean number in partial state = L D = 100/s x 7 ms = 0.7,
  //   fraction of time at least one is = 1 - e^(-L D) = 0.50341.
  // The run measures 2000 s (200,000 windows); we allow 2% of each.
  const app::Scenario s = test::scenario(R"(name: partial
seed: 37
duration: 2000s
workload: {rate: 100/s}
network: {latency: 1ms}
services:
  entry: {workers: 1000}
  a: {workers: 1000, ops: {do: 2ms}}
  b: {workers: 1000, ops: {do: 5ms}}
workflow:
  entry: entry
  steps:
    - {service: a, action: do}
    - {service: b, action: do}
patterns: [orchestration]
)");
  const models::RunResult r = test::run(s, "orchestration");
  CHECK(r.metrics.partial_mean == Approx(0.7).epsilon(0.02));
  CHECK(r.metrics.partial_fraction == Approx(1 - std::exp(-0.7)).epsilon(0.02));
}

namespace {

// Counts, per subscriber step, the broker's deliveries not yet acknowledged (by delivery
// id), and the most there ever were at once.
class InFlight final : public models::RunProbe {
 public:
  void attach(models::World& w) override {
    watch_.broker = w.broker();
    w.sim().set_observer(&watch_);
  }
  uint32_t most(uint32_t step) const { return step < watch_.most.size() ? watch_.most[step] : 0; }

 private:
  struct Watch final : sim::Observer {
    sim::NodeId broker = sim::kNoNode;
    std::map<uint64_t, uint32_t> open;  // delivery id -> step
    std::vector<uint32_t> now, most;
    void on_send(sim::NodeId src, const sim::Message& m, uint32_t) override {
      if (src == broker && m.type == models::kDeliver && !open.count(m.ref)) {
        open[m.ref] = m.step;
        if (m.step >= now.size()) {
          now.resize(m.step + 1);
          most.resize(m.step + 1);
        }
        most[m.step] = std::max(most[m.step], ++now[m.step]);
      } else if (m.dst == broker && m.type == models::kDeliverAck) {
        const auto it = open.find(m.ref);
        if (it == open.end()) return;
        --now[it->second];
        open.erase(it);
      }
    }
  };
  Watch watch_;
};

}  // namespace

TEST_CASE("Broker: with a prefetch of N, at most N deliveries of a subscription are unacknowledged at once",
          "[models][broker]") {
  // A subscriber (b) far slower than the arrivals builds a backlog at the broker. Without a
  // limit the broker hands it everything at once (and redelivers what it has not yet
  // acknowledged); with prefetch 3 it never has more than 3 unacknowledged deliveries, the
  // rest wait in order, and every order still completes.
  const char* text = R"(name: prefetch
seed: 5
transactions: 400
drain: 600s
workload: {rate: 200/s}
services:
  entry: {workers: 64}
  a: {workers: 16, ops: {do: 1ms}}
  b: {workers: 1, ops: {do: 8ms}}
broker: {latency: 0.1ms, redelivery: 200ms, max_attempts: 0}
workflow:
  entry: entry
  steps:
    - {service: a, action: do}
    - {service: b, action: do}
patterns: [choreography]
)";
  const app::Scenario unlimited = test::scenario(text);
  const app::Scenario limited = test::scenario(text, {{"broker.prefetch", "3"}});
  InFlight all, three;
  const auto u = models::run(unlimited.config, test::pattern("choreography"), 0, &all);
  const auto l = models::run(limited.config, test::pattern("choreography"), 0, &three);
  CHECK(test::outcome(u, Outcome::kCommitted) == 400);
  CHECK(test::outcome(l, Outcome::kCommitted) == 400);
  INFO("most unacknowledged at b: " << all.most(1) << " without a limit, " << three.most(1) << " with 3");
  CHECK(all.most(1) > 20);
  CHECK(three.most(1) == 3);
  CHECK(three.most(0) <= 3);
  // Without the flood of redeliveries, b serves each order once or nearly.
  CHECK(node(l, "b").served_to_end < node(u, "b").served_to_end);
}
