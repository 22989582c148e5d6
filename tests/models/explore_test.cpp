// coordsim explore: one fault at every point of one transaction (models/explore.hpp).
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "models/explore.hpp"
#include "pattern_helpers.hpp"

namespace {

// Two sequential compensable steps, constant delays of 1 ms, steps of 1 ms, one try per call.
const char* kSmall = R"(name: small
seed: 1
transactions: 1
workload: {rate: 1/s}
network: {latency: 1ms}
services:
  order: {workers: 4}
  p1: {workers: 4, ops: {x: 1ms, undo: 1ms}}
  p2: {workers: 4, ops: {x: 1ms, undo: 1ms}}
broker: {latency: 0}
workflow:
  entry: order
  steps:
    - {service: p1, action: x, compensate: undo}
    - {service: p2, action: x, compensate: undo}
patterns: [orchestration, two_phase_commit, saga_orchestrated, tcc, choreography, saga_choreographed]
)";

std::map<std::string, size_t> counts(const models::ExploreResult& r) {
  std::map<std::string, size_t> c;
  for (const auto& p : r.points) ++c[p.outcome];
  return c;
}

}  // namespace

TEST_CASE("Explore: every single fault of a two-step transaction, counted by outcome",
          "[models][explore]") {
  const app::Scenario s = test::scenario(kSmall);
  std::map<std::string, std::map<std::string, size_t>> got;
  for (const models::PatternChoice& p : s.config.patterns) {
    const models::ExploreResult r = models::explore(s.config, p, {});
    INFO(p.label());
    CHECK(r.baseline == "committed");
    got[p.label()] = counts(r);
    // The same exploration twice gives the same points and outcomes.
    const models::ExploreResult again = models::explore(s.config, p, {});
    REQUIRE(again.points.size() == r.points.size());
    for (size_t i = 0; i < r.points.size(); ++i) CHECK(again.points[i].outcome == r.points[i].outcome);
  }
  // Orchestration, by hand. The failure-free run sends 6 messages (Request, Call p1, its
  // reply, Call p2, its reply, Reply) and delivers them: 5 crash-after-send points (the
  // client does not crash), 6 losses, 5 crash-after-receive points = 16. A call gets one try.
  //   violated (p1 applied, p2 never): order crashes after sending Call p1 (the reply finds
  //     it down; recovered, it has forgotten the transaction); p1's reply lost; Call p2
  //     lost; order crashes after receiving p1's reply (the next call is made in a later
  //     event); p2 crashes after receiving its call (the job is lost, the call times out) = 5
  //   failed (nothing applied): the request lost; Call p1 lost; order crashes after
  //     receiving the request; p1 crashes after receiving its call = 4
  //   committed (both applied): order crashes after sending Call p2 or the Reply; p1 or p2
  //     crashes after sending its reply; p2's reply or the Reply lost; order crashes after
  //     receiving p2's reply = 7
  CHECK(got["orchestration"] == std::map<std::string, size_t>{{"committed", 7}, {"failed", 4}, {"violated", 5}});
  // The atomic patterns never end a point violated. 2PC: a coordinator crash between
  // PREPARE and the decision (and a participant down when the decision comes) leaves a
  // participant in doubt until the crashed node is back: blocked, then resolved. Its five
  // forced writes add five points: a crash right after a participant's prepared record or
  // the coordinator's commit record blocks (3), one after a committed record does not (2).
  CHECK(got["two_phase_commit"] ==
        std::map<std::string, size_t>{{"committed", 18}, {"failed", 4}, {"blocked_then_resolved", 11}});
  CHECK(got["saga_orchestrated"] == std::map<std::string, size_t>{{"committed", 5}, {"aborted", 7}, {"failed", 4}});
  CHECK(got["tcc"] == std::map<std::string, size_t>{{"committed", 17}, {"failed", 11}});
  // Over the broker the chain survives every single fault but the loss of the request and
  // the entry's crash with it.
  CHECK(got["choreography"] == std::map<std::string, size_t>{{"committed", 32}, {"failed", 2}});
  CHECK(got["saga_choreographed"] == std::map<std::string, size_t>{{"committed", 32}, {"failed", 2}});
}

TEST_CASE("Explore: the reduced scenario has one transaction and no random faults", "[models][explore]") {
  const app::Scenario s = test::scenario(kSmall, {{"services.p1.mttf", "1s"}, {"services.p1.mttr", "1s"},
                                                   {"network.loss", "0.5"}, {"transactions", "100"}});
  const models::ScenarioConfig c = models::single_transaction(s.config);
  CHECK(c.transactions == 1u);
  CHECK(!c.services[1].mttf.has_value());
  CHECK(c.network.loss == 0);
  const models::ExploreResult r = models::explore(s.config, test::pattern("orchestration"), {});
  CHECK(r.baseline == "committed");
  CHECK(r.sends == 6);
  CHECK(r.points.size() == 16);
  // Only the losses, then only the crashes.
  models::ExploreOptions losses;
  losses.crashes = false;
  CHECK(models::explore(s.config, test::pattern("orchestration"), losses).points.size() == 6);
  models::ExploreOptions crashes;
  crashes.losses = false;
  CHECK(models::explore(s.config, test::pattern("orchestration"), crashes).points.size() == 10);
}

TEST_CASE("Explore: under Paxos Commit no crash of the coordinator blocks a participant", "[models][explore][paxos]") {
  // The two-step transaction above under Paxos Commit (F = 1, three acceptors of their own,
  // the votes go to acceptor1 and acceptor2). The failure-free run sends 12 messages
  // (Request, 2 PREPAREs, 4 votes, 2 phase 2b, Reply, 2 COMMITs) and delivers them, and
  // forces 4 records (2 prepared, 2 acceptors' votes): 11 crash-after-send points (not the
  // client), 12 losses, 11 crash-after-receive points (not the client's Reply), 4
  // crash-after-force points = 38.
  //   failed (5): the request lost; order crashes after receiving it, or after sending
  //     PREPARE to p1 only; p1 or p2 crashes after receiving PREPARE (its work is lost): a
  //     participant never votes, and a recovery ballot aborts its instance.
  //   blocked, then resolved (6): p1 or p2 crashes right after forcing its prepared record,
  //     or after sending either of its votes: prepared, and in doubt while it is down.
  //   committed (27): everything else, the coordinator's other 6 crashes among them: the
  //     participants finish the transaction from the acceptors.
  const app::Scenario s = test::scenario(kSmall, {{"patterns", "[two_phase_commit]"},
                                                   {"two_phase_commit", "{variant: paxos_commit}"}});
  const models::ExploreResult r = models::explore(s.config, test::pattern("two_phase_commit"), {});
  CHECK(r.baseline == "committed");
  CHECK(r.sends == 12);
  CHECK(r.forces == 4);
  CHECK(counts(r) == std::map<std::string, size_t>{{"committed", 27}, {"failed", 5}, {"blocked_then_resolved", 6}});
  size_t coordinator_crashes = 0;
  for (const models::ExplorePoint& p : r.points) {
    INFO(p.text << ": " << p.outcome);
    if (p.outcome == "blocked_then_resolved") CHECK((p.node == "p1" || p.node == "p2"));
    if (p.node == "order" && p.fault != models::FaultPoint::kLoss) {
      ++coordinator_crashes;
      // Within timeouts.prepare (1 s) and one recovery ballot (two round trips of 1 ms).
      CHECK(p.in_doubt_max_ms < 1000 + 5);
    }
  }
  CHECK(coordinator_crashes == 8);
}
