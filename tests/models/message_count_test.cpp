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


// The formula of docs/patterns.md for each pattern and transport, on kWorkflow: n steps,
// r of them read-only, stages S1 = {a}, S2 = {b, c}, S3 = {d}.
double formula(const std::string& label) {
  const double n = 4, r = 1;
  const double joins = 1 * 2 + 2 * 1;  // sum_k |Sk||Sk+1|
  // Orchestration and the orchestrated saga: client 2 + a call and a reply per step. Over
  // the broker, the call and the reply each go in (enqueue), are accepted, delivered and
  // acknowledged: 8 per step.
  if (label == "orchestration" || label == "saga_orchestrated") return 2 + 2 * n;
  if (label == "orchestration/broker" || label == "saga_orchestrated/broker") return 2 + 8 * n;
  // Choreography: client 2, start publish 2, each step's publish 2, and a delivery and its
  // acknowledgement per subscription: |S1| + |S1||S2| + |S2||S3| = 1 + 2 + 2.
  if (label == "choreography" || label == "saga_choreographed") return 2 + 2 + 2 * n + 2 * (1 + joins);
  // Choreography over RPC: client 2, a call and its answer per subscription.
  if (label == "choreography/rpc") return 2 + 2 * (1 + joins);
  // 2PC, presumed abort: client 2, prepare and vote per participant, commit and ack per
  // participant that is not read-only.
  if (label == "two_phase_commit") return 2 + 2 * n + 2 * (n - r);
  // TCC: client 2, a try and its reply per step, a confirm and its reply per step that
  // reserved (not the read-only one); 8 instead of 2 for each over the broker.
  if (label == "tcc") return 2 + 2 * n + 2 * (n - r);
  if (label == "tcc/broker") return 2 + 8 * n + 8 * (n - r);
  FAIL("no formula for " << label);
  return 0;
}
}  // namespace

TEST_CASE("Message counts: every pattern over every transport matches its formula without failures",
          "[models][messages]") {
  const app::Scenario s = test::scenario(kWorkflow);
  for (const models::PatternChoice& k : test::all_choices()) {
    INFO(k.label());
    const models::RunResult res = test::run(s, k);
    REQUIRE(test::outcome(res, models::Outcome::kCommitted) == res.metrics.transactions);
    CHECK(res.metrics.messages.min() == res.metrics.messages.max());  // the same for all
    const double expected = formula(k.label());
    CHECK(per_txn(res) == expected);
    // Through the broker: everything but the client's request and reply (choreography over
    // RPC and the RPC patterns: nothing).
    const bool brokered = k.transport == models::Transport::kBroker;
    CHECK(res.metrics.broker_messages == (brokered ? static_cast<uint64_t>(expected - 2) * 2000 : 0));
  }
}

TEST_CASE("Message counts: an async step adds 4 messages (2 under choreography over the broker)",
          "[models][messages]") {
  // The same workflow with an e-mail after d: fired through the broker once the
  // transaction commits (enqueue, accepted, delivered, acknowledged). Choreography over the
  // broker subscribes it to the last stage's "done" events: a delivery and an
  // acknowledgement per step of that stage (|S3| = 1).
  std::string text = kWorkflow;
  text.replace(text.find("  d: {workers"), 0, "  mail: {workers: 4, ops: {send: exp(1ms)}}\n");
  text.replace(text.find("patterns:"), 0,
               "    - {service: mail, action: send, side_effect: false, async: true}\n");
  const app::Scenario s = test::scenario(text);
  for (const models::PatternChoice& k : test::all_choices()) {
    INFO(k.label());
    const models::RunResult res = test::run(s, k);
    REQUIRE(test::outcome(res, models::Outcome::kCommitted) == res.metrics.transactions);
    const bool subscribed = std::string(k.info->name).find("choreograph") != std::string::npos &&
                            k.transport == models::Transport::kBroker;
    CHECK(res.metrics.messages.min() == formula(k.label()) + (subscribed ? 2 : 4));
    CHECK(res.metrics.messages.max() == formula(k.label()) + (subscribed ? 2 : 4));
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

TEST_CASE("Message counts: a nested call adds its call and reply under every pattern and transport",
          "[models][messages]") {
  // Step b's handler calls a cache, then two datastore reads at once, and one of those
  // calls the cache again: four nested calls, made once per execution of b (at its try
  // or prepare under TCC and 2PC; a confirm or commit calls nothing). The services' own
  // calls are synchronous RPC whatever the pattern's transport, so each adds exactly 2.
  std::string text = kWorkflow;
  text.replace(text.find("  d: {workers"), 0,
               "  cache: {workers: 4, ops: {get: exp(1ms)}}\n"
               "  db: {workers: 4, ops: {get: exp(1ms)}}\n");
  const std::string b = "        - {service: b, action: x, compensate: undo}\n";
  text.replace(text.find(b), b.size(),
               "        - service: b\n"
               "          action: x\n"
               "          compensate: undo\n"
               "          calls:\n"
               "            - {service: cache, action: get}\n"
               "            - parallel:\n"
               "                - {service: db, action: get}\n"
               "                - {service: db, action: get, calls: [{service: cache, action: get}]}\n");
  const app::Scenario s = test::scenario(text);
  for (const models::PatternChoice& k : test::all_choices()) {
    INFO(k.label());
    const models::RunResult res = test::run(s, k);
    REQUIRE(test::outcome(res, models::Outcome::kCommitted) == res.metrics.transactions);
    CHECK(res.metrics.messages.min() == formula(k.label()) + 2 * 4);
    CHECK(res.metrics.messages.max() == formula(k.label()) + 2 * 4);
  }
}

TEST_CASE("Storms: a call timeout shorter than the broker's round trip is warned about, and "
          "the copies it makes stay bounded",
          "[models][messages]") {
  // Choreography with timeouts.call = 1 ms against a round trip of about 2 + 2 ms: every
  // publish is sent again before its acknowledgement. The producer's waits double (1, 2,
  // 4 ms, ...), so each event is sent about three times, not without end (before, one
  // transaction of this chain made over a million messages).
  const app::Scenario s = test::scenario(kWorkflow, {{"timeouts", "{call: 1ms}"},
                                                     {"network", "{latency: 1ms}"},
                                                     {"broker", "{latency: 2ms, workers: 64}"},
                                                     {"transactions", "200"},
                                                     {"patterns", "[choreography]"}});
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0] ==
        "warning: timeouts.call (1ms) is shorter than the mean round trip of a message to the "
        "broker (about 4ms: two network hops of 1ms and 2ms of handling): senders will send "
        "every message again before its acknowledgement comes, and each copy is delivered and "
        "handled; make timeouts.call longer");
  const models::RunResult r = test::run(s, "choreography");
  CHECK(r.drained);
  CHECK(r.metrics.messages.mean() < 2000);
  CHECK(r.events < 2000 * 200);
}

TEST_CASE("Storms: commands and answers sent through the broker back off until it accepts them",
          "[models][messages]") {
  // Orchestration, the orchestrated saga and TCC over the broker, with timeouts.call = 10 us
  // against a round trip to the broker of about 4 ms: a sender sends each command and answer
  // again until the broker accepts it, after 10 us, then 20, 40, ... (Channel, resend_wait).
  // So about nine copies of each (2^9 x 10 us > 4 ms), each stored and delivered (the broker
  // does not deduplicate: a few thousand messages per transaction, and the run takes well
  // under a second). Before, at a fixed 10 us, about four hundred copies of each, copies of
  // copies: the same 200 transactions ran for 199 s and took 23 GB.
  const app::Scenario s = test::scenario(kWorkflow, {{"timeouts", "{call: 10us}"},
                                                     {"network", "{latency: 1ms}"},
                                                     {"broker", "{latency: 2ms, workers: 64}"},
                                                     {"transactions", "200"},
                                                     {"patterns", "[orchestration/broker, saga_orchestrated/broker, tcc/broker]"}});
  for (const models::PatternChoice& k : s.config.patterns) {
    INFO(k.label());
    const models::RunResult r = test::run(s, k);
    CHECK(r.drained);
    CHECK(r.metrics.messages.mean() < 10'000);  // 2,758 and 6,220 (TCC) here
    CHECK(r.events < 20'000 * 200);
  }
}

TEST_CASE("Storms: 2PC's coordinator and Paxos Commit's ballots back off while a participant "
          "is down",
          "[models][messages]") {
  // timeouts.call = 1 us, and participant b down from 1 s to 1.5 s: PREPARE goes again to b
  // until the prepare timeout (1 s), a decision until its acknowledgement, and under Paxos
  // Commit the participants in doubt start ballot after ballot. At a fixed 1 us that was a
  // copy per microsecond for every transaction waiting: 31,906 messages per transaction on
  // average here (presumed abort), and a longer outage makes it longer without end. Backing
  // off (1, 2, 4 us, ... up to timeouts.prepare) it is about twenty copies per wait: 127.
  for (const char* variant : {"basic", "presumed_abort", "paxos_commit"}) {
    CAPTURE(variant);
    const app::Scenario s = test::scenario(
        kWorkflow, {{"timeouts", "{call: 1us, prepare: 1s}"},
                    {"transactions", "200"},
                    {"faults", "[{crash: b, at: 1s, for: 500ms}]"},
                    {"patterns", "[two_phase_commit]"},
                    {"two_phase_commit", fmt::format("{{variant: {}}}", variant)}});
    const models::RunResult r = test::run(s, "two_phase_commit");
    CHECK(r.drained);
    CHECK(r.metrics.messages.max() < 2'000);
    CHECK(r.events < 2'000 * 200);
  }
}

TEST_CASE("Storms: a closed loop in which nothing takes time stops, its clock stuck, after a "
          "bounded number of events",
          "[models][messages]") {
  // Ten clients with no think time; the network and the service take no time: every request
  // is answered at the instant it is sent, the clock never leaves 0 and the 1 s run could
  // never end (before, it ran until memory ran out). It is stopped once the clock has stood
  // still for RunResult::kStillEvents events, seen at the end of a chunk of a million.
  const app::Scenario s = test::scenario(R"(name: zeno
seed: 1
duration: 1s
workload: {arrival: closed, clients: 10, think: 0, deadline: 1s}
network: {latency: 0}
services:
  api: {workers: 10, ops: {handle: 0}}
workflow: {entry: api, entry_op: handle}
patterns: [orchestration]
)");
  const models::RunResult r = test::run(s, "orchestration");
  CHECK(r.clock_stuck);
  CHECK_FALSE(r.drained);
  CHECK(r.end == sim::Time::zero());
  CHECK(r.events >= models::RunResult::kStillEvents);
  CHECK(r.events <= models::RunResult::kStillEvents + 1'000'000);
  // The same loop with a think time of 1 ms runs to its end: each of the 10 clients thinks
  // first, then sends at 1, 2, ..., 999 ms.
  const models::RunResult thinking = test::run(test::scenario(R"(name: zeno
seed: 1
duration: 1s
workload: {arrival: closed, clients: 10, think: 1ms, deadline: 1s}
network: {latency: 0}
services:
  api: {workers: 10, ops: {handle: 0}}
workflow: {entry: api, entry_op: handle}
patterns: [orchestration]
)"), "orchestration");
  CHECK_FALSE(thinking.clock_stuck);
  CHECK(thinking.drained);
  CHECK(thinking.transactions_simulated == 10 * 999);
}
