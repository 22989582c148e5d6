// coordsim explain: the story of one transaction (app/explain_command.hpp), checked word
// for word on a deterministic scenario: constant delays, one transaction, a crash.
#include <catch2/catch.hpp>

#include "../models/pattern_helpers.hpp"
#include "app/explain_command.hpp"

namespace {

// Every message takes 1 ms, p1 serves in 2 ms and p2 in 3 ms; p2 is down from 1 s to 1.1 s,
// and the one transaction arrives at 1.021572 s (the seed's first Poisson arrival): its call
// to p2 and the retry 20 ms + backoff later reach p2 while it is down.
const char* kCrash = R"(name: chain
seed: 7
transactions: 1
workload: {rate: 1/s}
network: {latency: 1ms}
timeouts: {call: 20ms}
retry: {attempts: 2}
services:
  order: {workers: 2}
  p1: {workers: 1, ops: {x: 2ms, undo: 1ms}}
  p2: {workers: 1, ops: {x: 3ms, undo: 1ms}}
faults:
  - {crash: p2, at: 1s, for: 100ms}
workflow:
  entry: order
  steps:
    - {service: p1, action: x, compensate: undo}
    - {service: p2, action: x, compensate: undo}
patterns: [orchestration, saga_orchestrated]
)";

}  // namespace

TEST_CASE("Explain: the story of a transaction that ends violated, word for word", "[app][explain]") {
  const app::Scenario s = test::scenario(kCrash, {{"patterns", "[orchestration]"}});
  app::ExplainArgs a;
  a.txns = {0};
  const auto stories = app::explain(s, a);
  REQUIRE(stories.size() == 1);
  CHECK(stories[0].text ==
        "transaction 0 under orchestration: violated\n"
        "  request type default, arrived at 1.021572 s\n"
        "      1.000000 s  p2 down from 1.000000 s to 1.100000 s\n"
        "      1.021572 s  client -> order: Request (arrives 1.022572 s)\n"
        "      1.022572 s  order -> p1: Call (step p1.x) (arrives 1.023572 s)\n"
        "      1.023572 s  p1: x served in 2.000 ms\n"
        "      1.025572 s  p1 -> order: CallReply (step p1.x) (arrives 1.026572 s)\n"
        "      1.026572 s  order -> p2: Call (step p2.x) sent, dropped at 1.027572 s (node down)\n"
        "      1.096572 s  order -> p2: Call (step p2.x), attempt 2 sent, dropped at 1.097572 s (node down)\n"
        "      1.116572 s  order -> client: Reply (arrives 1.117572 s)\n"
        "  why:\n"
        "    - in place: p1.x\n"
        "    - never applied: p2.x\n"
        "    - 2 messages dropped\n"
        "    - 1 retry\n"
        "    - the client was told error at 1.117572 s (after 96.000 ms)\n"
        "    - orchestration does not undo what a failed transaction applied: the effects in place stay\n"
        "    - p2 was down from 1.000000 s to 1.100000 s, while it was open\n"
        "    => violated: some side effects remain and others do not: an atomicity violation\n");
  CHECK(stories[0].diagram ==
        "sequenceDiagram\n"
        "  participant n0 as client\n"
        "  participant n1 as order\n"
        "  participant n2 as p1\n"
        "  participant n3 as p2\n"
        "  Note over n3: p2 down from 1.000000 s to 1.100000 s\n"
        "  n0->>n1: Request\n"
        "  n1->>n2: Call\n"
        "  Note over n2: x 2.000 ms\n"
        "  n2->>n1: CallReply\n"
        "  n1-xn3: Call (node down)\n"
        "  n1-xn3: Call (node down)\n"
        "  n1->>n0: Reply\n");
}

TEST_CASE("Explain: the same transaction under a saga is compensated, and --outcome finds it",
          "[app][explain]") {
  const app::Scenario s = test::scenario(kCrash);
  app::ExplainArgs a;
  a.outcome = models::Outcome::kAborted;
  const auto stories = app::explain(s, a);
  REQUIRE(stories.size() == 2);
  CHECK(stories[0].text == "no transaction ends aborted under orchestration\n");
  CHECK(stories[1].pattern == "saga_orchestrated");
  CHECK(stories[1].txn == 0);
  CHECK(stories[1].text.starts_with("transaction 0 under saga_orchestrated: aborted\n"));
  CHECK(stories[1].text.find("      1.117572 s  p2: undo (step p2.x) served in 1.000 ms\n") != std::string::npos);
  CHECK(stories[1].text.find("    - applied, then compensated: p1.x\n") != std::string::npos);
  // An id past the run's end is said to be so.
  a.outcome.reset();
  a.txns = {5};
  const auto none = app::explain(s, a);
  REQUIRE(none.size() == 2);
  CHECK(none[0].text == "transaction 5 under orchestration: never arrived\n");
}
