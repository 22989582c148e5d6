// Deterministic critical paths: with constant delays and no queueing, every transaction's
// acceptance (the client's answer) and completion (the pattern's last act) take exactly
// the time the protocol's critical path says, to the nanosecond, under every pattern and
// transport. The workflow has a sequential chain, a parallel stage whose first step makes
// a call tree with a parallel group inside, and an async step that must stay off the path.
#include <catch2/catch.hpp>

#include <map>

#include "pattern_helpers.hpp"

namespace {

// L = 1 ms every network hop, B = 1 ms the broker's handling of a message it stores,
// entry operation 1 ms. Stages: {a: 2 ms}, {b: 3 ms then calls [px 1 ms || py 4 ms], then
// pz 1 ms; c: 5 ms}, {d: 1 ms}; then mail (10 ms, async). Every worker pool is far larger
// than the load, so nothing ever waits.
const char* kScenario = R"(name: critical-path
seed: 1
transactions: 50
workload: {arrival: poisson, rate: 5/s}
network: {latency: 1ms}
services:
  entry: {workers: 64, ops: {in: 1ms}}
  a: {workers: 64, ops: {x: 2ms, undo: 1ms}}
  b: {workers: 64, ops: {x: 3ms, undo: 1ms}}
  c: {workers: 64, ops: {x: 5ms, undo: 1ms}}
  d: {workers: 64, ops: {x: 1ms}}
  px: {workers: 64, ops: {get: 1ms}}
  py: {workers: 64, ops: {get: 4ms}}
  pz: {workers: 64, ops: {get: 1ms}}
  mail: {workers: 64, ops: {send: 10ms}}
broker: {latency: 1ms, workers: 64}
workflow:
  entry: entry
  entry_op: in
  steps:
    - {service: a, action: x, compensate: undo}
    - parallel:
        - service: b
          action: x
          compensate: undo
          calls:
            - parallel: [{service: px, action: get}, {service: py, action: get}]
            - {service: pz, action: get}
        - {service: c, action: x, compensate: undo}
    - {service: d, action: x, side_effect: false}
    - {service: mail, action: send, side_effect: false, async: true}
)";

constexpr int64_t kMs = 1'000'000;

struct Path {
  int64_t acceptance, completion;  // in ms
};

// The hand-computed critical paths (times from the client's send, L = B = 1 ms).
//
// A step's work: a 2; b 3 + (L + max(1, 4) + L) + (L + 1 + L) = 12; c 5; d 1.
// RPC call of a step: L + work + L. Over the broker: enqueue L, broker B, deliver L, work,
// answer enqueue L, B, deliver L: 4L + 2B + work = 6 + work.
//
// Orchestration, saga: 1 (request) + 1 (entry op) + stages [a 4] + [max(b 14, c 7)]
//   + [d 3] = 23 when the orchestrator finishes (completion); + 1 to the client = 24.
//   Over the broker: 2 + [8] + [max(18, 11)] + [7] = 35; + 1 = 36.
// TCC: the tries as orchestration's calls (the decision at 23, the client told at 24),
//   then a confirm and its answer to the three reserving steps (d reserves nothing, none
//   has a confirm operation): 23 + 2 = 25. Over the broker: 35, 36, and 35 + 6 = 41.
// 2PC: every participant prepared at once, each doing its step's work: the slowest vote,
//   b's, is in at 2 + 1 + 12 + 1 = 16, the decision and the client's answer at 17;
//   commit and acknowledgement from a, b, c (d is read-only): 16 + 2 = 18.
// Choreography over RPC (the chain): entry op done 2, a called 3, done 5; b and c called
//   6; c done 11 and calls the join d (12); b done 6 + 12 = 18 and calls d (19); d runs
//   19-20 and answers both (21); b and c answer a (22), a answers the entry (23 =
//   completion), the client 24. The same as orchestration: the answers retrace the calls.
// Choreography over the broker: the entry publishes "start" (broker at 3, stored 4) and,
//   once acknowledged (5), answers: 6. Deliveries: a at 5, done 7, "a done" stored 9 and
//   delivered 10 to b and c; c done 15, "c done" delivered to d at 18; b done 10 + 12 = 22,
//   "b done" delivered at 25: d's join fires, d done at 26 (completion). The e-mail hears
//   d's "done" later and is on nobody's path.
const std::map<std::string, Path> kPaths{
    {"orchestration", {24, 23}},        {"orchestration/broker", {36, 35}},
    {"saga_orchestrated", {24, 23}},    {"saga_orchestrated/broker", {36, 35}},
    {"tcc", {24, 25}},                  {"tcc/broker", {36, 41}},
    {"two_phase_commit", {17, 18}},     {"choreography/rpc", {24, 23}},
    {"choreography", {6, 26}},          {"saga_choreographed", {6, 26}},
};

}  // namespace

TEST_CASE("Latency: every transaction takes exactly its critical path, per pattern and transport",
          "[models][latency]") {
  const app::Scenario s = test::scenario(kScenario);
  for (const models::PatternChoice& k : test::all_choices()) {
    INFO(k.label());
    const auto it = kPaths.find(k.label());
    REQUIRE(it != kPaths.end());
    const models::RunResult r = test::run(s, k);
    REQUIRE(test::outcome(r, models::Outcome::kCommitted) == 50);
    const auto& m = r.metrics;
    CHECK(m.acceptance.min_ns() == it->second.acceptance * kMs);
    CHECK(m.acceptance.max_ns() == it->second.acceptance * kMs);
    CHECK(m.completion.min_ns() == it->second.completion * kMs);
    CHECK(m.completion.max_ns() == it->second.completion * kMs);
  }
}

TEST_CASE("Latency: the async step is off the critical path, and it does run", "[models][latency]") {
  // Without the e-mail the paths are the same; with it, the mail service served one
  // request per transaction.
  std::string without = kScenario;
  without.erase(without.find("    - {service: mail"));
  const app::Scenario a = test::scenario(kScenario), b = test::scenario(without);
  for (const models::PatternChoice& k : test::all_choices()) {
    INFO(k.label());
    const models::RunResult with_mail = test::run(a, k), no_mail = test::run(b, k);
    CHECK(with_mail.metrics.acceptance.max_ns() == no_mail.metrics.acceptance.max_ns());
    CHECK(with_mail.metrics.completion.max_ns() == no_mail.metrics.completion.max_ns());
    bool found = false;
    for (const models::NodeSummary& n : with_mail.nodes) {
      if (n.name == "mail") {
        found = true;
        CHECK(n.served_to_end == 50);
      }
    }
    CHECK(found);
  }
}
