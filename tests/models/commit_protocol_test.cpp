// The two-phase commit variants against their published definitions (Mohan, Lindsay &
// Obermarck 1986, "Transaction management in the R* distributed database management
// system", TODS 11(4)): exact messages and forced log writes per transaction, a
// deterministic timeline per variant, and retransmission under message loss against its
// closed form. docs/patterns.md has the formulas.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <string>

#include "pattern_helpers.hpp"

namespace {

using models::Outcome;

// n participants p1..pn prepared in parallel; the first `read_only` have no side effect;
// p1 refuses when `one_no` (and is then an updater). Constant delays d = 1 ms, zero service
// times unless `work` is given, log forces of `force`.
std::string workflow(int n, int read_only, bool one_no, const char* variant,
                     const char* force = "0", const char* work = "0") {
  std::string services, steps;
  for (int i = 1; i <= n; ++i) {
    services += fmt::format("  p{}: {{workers: 4, ops: {{work: {}}}}}\n", i, work);
    const bool ro = i <= read_only && !(one_no && i == 1);
    steps += fmt::format("        - {{service: p{}, action: work{}{}}}\n", i,
                         ro ? ", side_effect: false" : "", one_no && i == 1 ? ", fails: 1" : "");
  }
  return fmt::format(R"(name: commit-counts
seed: 3
transactions: 300
workload: {{rate: 20/s}}
network: {{latency: 1ms}}
services:
  coordinator: {{workers: 16}}
{services}workflow:
  entry: coordinator
  steps:
    - parallel:
{steps}patterns: [two_phase_commit]
two_phase_commit: {{variant: {variant}}}
timeouts: {{log_force: {force}}}
)",
                     fmt::arg("services", services), fmt::arg("steps", steps),
                     fmt::arg("variant", variant), fmt::arg("force", force));
}

struct Counts {
  double messages, forced;
};

// The formulas of docs/patterns.md: n participants, u of them updaters (n - u read-only).
// Messages count the client's request and answer.
Counts commit_counts(const std::string& variant, int n, int u) {
  if (variant == "presumed_nothing") return {2.0 + 4 * n, 1.0 + 2 * n};  // no read-only optimization
  if (variant == "presumed_abort") return {2.0 + 2 * n + 2 * u, u == 0 ? 0.0 : 1.0 + 2 * u};
  return {2.0 + 2 * n + u, u == 0 ? 1.0 : 2.0 + u};  // presumed commit
}
// One NO vote (p1), every other participant an updater that votes yes.
Counts abort_counts(const std::string& variant, int n) {
  if (variant == "presumed_nothing") return {2.0 + 4 * n, 2.0 * n};
  if (variant == "presumed_abort") return {2.0 + 2 * n + (n - 1), n - 1.0};
  return {2.0 + 2 * n + 2 * (n - 1), 2.0 * n - 1};  // presumed commit
}

void check_counts(const models::RunResult& r, Counts c, Outcome o) {
  REQUIRE(test::outcome(r, o) == r.metrics.transactions);
  CHECK(r.metrics.messages.min() == c.messages);
  CHECK(r.metrics.messages.max() == c.messages);
  CHECK(static_cast<double>(r.metrics.forced_writes) ==
        c.forced * static_cast<double>(r.metrics.transactions));
}

}  // namespace

TEST_CASE("Commit protocols: exact messages and forced writes of every variant for N = 2..5",
          "[models][2pc]") {
  // R*'s accounting (Mohan et al. 1986, sections 2-3), per transaction, n participants of
  // which u update:
  //   presumed nothing (2P): PREPARE, vote, decision, ack per participant (4n); forced: the
  //     coordinator's decision, each participant's prepared and decision records (1 + 2n);
  //     with one NO, that voter forces only its abort record (2n). No read-only votes.
  //   presumed abort: as 2P for updaters; a read-only participant answers PREPARE with a READ
  //     vote and writes nothing (2 messages, 0 writes); nothing at all is written when every
  //     participant is read-only; an abort is neither forced nor acknowledged and goes only
  //     to the participants that may have prepared (n - 1 aborts; n - 1 forced prepares).
  //   presumed commit: a forced collecting record before PREPARE; commits are neither
  //     forced at the participants nor acknowledged (3 messages per updater; forced: the
  //     collecting and commit records and each updater's prepare, 2 + u; all read-only: the
  //     collecting record only); aborts are forced and acknowledged by the n - 1 yes voters
  //     (1 + 2(n - 1) forced).
  for (const std::string variant : {"presumed_nothing", "presumed_abort", "presumed_commit"}) {
    for (int n = 2; n <= 5; ++n) {
      INFO(variant << ", n = " << n);
      check_counts(test::run(test::scenario(workflow(n, 0, false, variant.c_str())), "two_phase_commit"),
                   commit_counts(variant, n, n), Outcome::kCommitted);
      check_counts(test::run(test::scenario(workflow(n, 0, true, variant.c_str())), "two_phase_commit"),
                   abort_counts(variant, n), Outcome::kAborted);
      for (int r = 1; r < n; ++r) {  // u = n - r updaters, r read-only
        INFO("r = " << r);
        check_counts(test::run(test::scenario(workflow(n, r, false, variant.c_str())), "two_phase_commit"),
                     commit_counts(variant, n, n - r), Outcome::kCommitted);
      }
      // Every participant read-only: the transaction has no effect; it commits.
      const models::RunResult ro =
          test::run(test::scenario(workflow(n, n, false, variant.c_str())), "two_phase_commit");
      INFO("all read-only");
      CHECK(ro.metrics.messages.min() == commit_counts(variant, n, 0).messages);
      CHECK(ro.metrics.messages.max() == commit_counts(variant, n, 0).messages);
      CHECK(static_cast<double>(ro.metrics.forced_writes) ==
            commit_counts(variant, n, 0).forced * static_cast<double>(ro.metrics.transactions));
    }
  }
  // `basic` is the older name of presumed nothing.
  const models::RunResult basic = test::run(test::scenario(workflow(3, 0, false, "basic")), "two_phase_commit");
  CHECK(basic.metrics.messages.max() == 2 + 4 * 3);
  CHECK(static_cast<double>(basic.metrics.forced_writes) == 7.0 * static_cast<double>(basic.metrics.transactions));
}

TEST_CASE("Commit protocols: the timeline of every variant with constant delays and log forces",
          "[models][2pc]") {
  // Every message takes d = 1 ms, a forced write f = 0.5 ms, the steps no time; three
  // participants. The client sends at 0 (its request reaches the coordinator at d).
  //   presumed abort and presumed nothing, commit: PREPARE arrives at 2d; prepared (vote
  //     sent) at 2d + f; votes in at 3d + f; commit record durable at 3d + 2f; the client
  //     has its answer at 4d + 2f; COMMIT reaches the participants at 4d + 2f (in doubt
  //     2d + f); their commit records at 4d + 3f; the last ack at 5d + 3f (complete).
  //   presumed commit, commit: the collecting record first (PREPARE sent at d + f), so
  //     every instant after it is f later: answer at 4d + 3f, in doubt 2d + f; no acks:
  //     complete when the last participant has applied, at 4d + 3f.
  //   presumed nothing, one NO: the NO voter forces its abort record before voting, so every
  //     vote is in at 3d + f and the timeline is the commit one: abort durable at 3d + 2f,
  //     answer 4d + 2f, in doubt 2d + f, last ack 5d + 3f.
  //   presumed abort, one NO: the NO vote comes unforced at 3d; the coordinator aborts at
  //     once (answer at 4d) and forgets (complete at 3d); ABORT reaches the yes voters,
  //     prepared since 2d + f, at 4d: in doubt 2d - f.
  //   presumed commit, one NO: the NO at 3d + f; abort not forced (answer 4d + f); ABORT at
  //     4d + f reaches the yes voters, prepared since 2d + 2f (in doubt 2d - f); they force
  //     it, ack at 4d + 2f, in at 5d + 2f.
  const double d = 1, f = 0.5;
  struct Case {
    const char* variant;
    bool one_no;
    double answer, in_doubt, complete;
  };
  const Case cases[] = {
      {"presumed_abort", false, 4 * d + 2 * f, 2 * d + f, 5 * d + 3 * f},
      {"presumed_nothing", false, 4 * d + 2 * f, 2 * d + f, 5 * d + 3 * f},
      {"presumed_commit", false, 4 * d + 3 * f, 2 * d + f, 4 * d + 3 * f},
      {"presumed_nothing", true, 4 * d + 2 * f, 2 * d + f, 5 * d + 3 * f},
      {"presumed_abort", true, 4 * d, 2 * d - f, 3 * d},
      {"presumed_commit", true, 4 * d + f, 2 * d - f, 5 * d + 2 * f},
  };
  for (const Case& c : cases) {
    INFO(c.variant << (c.one_no ? ", one NO" : ", commit"));
    const models::RunResult r =
        test::run(test::scenario(workflow(3, 0, c.one_no, c.variant, "0.5ms")), "two_phase_commit");
    const models::RunMetrics& m = r.metrics;
    REQUIRE(m.transactions == 300);
    CHECK(m.acceptance.min_ns() == Approx(c.answer * 1e6));
    CHECK(m.acceptance.max_ns() == Approx(c.answer * 1e6));
    CHECK(m.completion.min_ns() == Approx(c.complete * 1e6));
    CHECK(m.completion.max_ns() == Approx(c.complete * 1e6));
    CHECK(m.in_doubt.min_ns() == Approx(c.in_doubt * 1e6));
    CHECK(m.in_doubt.max_ns() == Approx(c.in_doubt * 1e6));
    CHECK(m.ever_blocked == 0);
  }
}

TEST_CASE("Commit protocols: under message loss PREPARE and the decision are sent again, the "
          "mean message count matches Wald's identity",
          "[models][2pc]") {
  // Presumed nothing, N = 3 participants, every message between the coordinator and a
  // participant lost with probability l = 0.1 (the client's links are lossless), constant
  // delays of 1 ms, re-sends every timeouts.call = 10 ms (longer than a round trip, so a
  // re-send goes out only after the round before failed) until timeouts.prepare = 5 s.
  //
  // Closed form. For one participant in one phase, each round sends a request (PREPARE, or
  // the decision) and, if it arrives (probability 1 - l), the participant answers (its vote
  // or ack; a duplicate PREPARE is answered from its log, a duplicate COMMIT re-acked). The
  // phase ends at the first round whose request and answer both arrive: the number of
  // rounds K is geometric with success (1 - l)^2, E[K] = 1 / (1 - l)^2. Messages in round i
  // are X_i = 1 + B_i with B_i ~ Bernoulli(1 - l) independent of the past, and K is a
  // stopping time for them, so by Wald's identity E[sum X_i] = E[K] E[X] =
  // (2 - l) / (1 - l)^2. Two phases per participant, N participants, plus the client's 2:
  //   E[messages] = 2 + 2 N (2 - l) / (1 - l)^2 = 2 + 6 * 1.9 / 0.81 = 16.0741.
  // (The chance that a participant's 500 rounds all fail is 0.19^500: none does.)
  const double l = 0.1;
  const std::string text = R"(name: wald
seed: 11
transactions: 100000
workload: {rate: 200/s}
network:
  latency: 1ms
  loss: 0.1
  links:
    - {from: client, to: coordinator, latency: 1ms, loss: 0}
services:
  coordinator: {workers: 64}
  p1: {workers: 8, ops: {work: 0}}
  p2: {workers: 8, ops: {work: 0}}
  p3: {workers: 8, ops: {work: 0}}
workflow:
  entry: coordinator
  steps:
    - parallel:
        - {service: p1, action: work}
        - {service: p2, action: work}
        - {service: p3, action: work}
patterns: [two_phase_commit]
two_phase_commit: {variant: presumed_nothing}
timeouts: {call: 10ms, prepare: 5s}
)";
  const models::RunResult r = test::run(test::scenario(text), "two_phase_commit");
  const models::RunMetrics& m = r.metrics;
  REQUIRE(m.transactions == 100000);
  CHECK(test::outcome(r, Outcome::kCommitted) == m.transactions);
  CHECK(test::outcome(r, Outcome::kViolated) == 0);
  const double expected = 2 + 2 * 3 * (2 - l) / ((1 - l) * (1 - l));
  INFO("mean messages " << m.messages.mean() << ", closed form " << expected);
  CHECK(std::abs(m.messages.mean() - expected) / expected < 0.005);
}

TEST_CASE("Commit protocols: the blocked fraction under random coordinator crashes matches the "
          "window of vulnerability",
          "[models][2pc]") {
  // Presumed abort, two participants, every message d = 5 ms, no service or force time. The
  // coordinator crashes as a Poisson process of rate g = 1/s while up (mttf 1 s) and is
  // repaired after Exp(200 ms); nothing else fails. A transaction arriving at a reaches the
  // coordinator at a + d, which sends PREPARE; the votes come back at a + 3d, when the
  // commit is decided and sent at once. A crash inside [a + d, a + 3d) loses the votes: the
  // participants, prepared since a + 2d, learn nothing until they ask (every
  // timeouts.prepare = 1 s) and the recovered coordinator answers "abort": each is in doubt
  // for at least 1 s + 2d, beyond the failure-free window, so the transaction blocked. A
  // crash outside that window blocks nobody (before it the request is lost; after it the
  // decision is already on its way). By PASTA an arrival finds the coordinator up with
  // probability A = mttf / (mttf + mttr) = 1/1.2, and then, by memorylessness, the next crash
  // falls inside the window W = 2d with probability 1 - exp(-g W):
  //   P(blocked) = A (1 - exp(-g W)) = 0.83333 * 0.0099502 = 0.0082918.
  // A crash blocks every transaction in its window, so counts cluster: with rate r the
  // number per crash is Poisson(r W), and the variance of the count is (1 + r W) times the
  // binomial one; at r = 20/s that is 1.2. 4 standard errors are allowed.
  const std::string text = R"(name: window
seed: 5
duration: 5000s
drain: 120s
workload: {rate: 20/s}
network: {latency: 5ms}
services:
  coordinator: {workers: 64, mttf: 1s, mttr: 200ms}
  p1: {workers: 8, ops: {work: 0}}
  p2: {workers: 8, ops: {work: 0}}
workflow:
  entry: coordinator
  steps:
    - parallel:
        - {service: p1, action: work}
        - {service: p2, action: work}
patterns: [two_phase_commit]
timeouts: {prepare: 1s}
)";
  const models::RunResult r = test::run(test::scenario(text), "two_phase_commit");
  const models::RunMetrics& m = r.metrics;
  const double n = static_cast<double>(m.transactions);
  REQUIRE(n > 90000);
  const double g = 1.0, w = 0.010, a = 1.0 / 1.2;
  const double p = a * (1 - std::exp(-g * w));
  const double se = std::sqrt(p * (1 - p) / n * (1 + 20 * w));
  const double blocked = static_cast<double>(m.ever_blocked) / n;
  INFO("blocked fraction " << blocked << ", closed form " << p << ", s.e. " << se << ", n " << n);
  CHECK(std::abs(blocked - p) < 4 * se);
  CHECK(test::outcome(r, Outcome::kViolated) == 0);
  CHECK(test::outcome(r, Outcome::kBlocked) == 0);  // every one resolved after the drain
  CHECK(m.unilateral_decisions == 0);
  CHECK(m.changed_decisions == 0);
}

TEST_CASE("Commit protocols: a coordinator co-located with a participant saves that "
          "participant's messages, and stays atomic under crashes",
          "[models][2pc]") {
  // The coordinator's service `order` also runs step `x` (co-location, Gray & Lamport 2006
  // section 5: the coordinator's node is one of the resource managers). Its PREPARE, vote,
  // decision and ack stay inside the node: with n participants of which one is co-located,
  // presumed nothing and presumed abort send 2 + 4(n - 1) messages to commit, presumed
  // commit 2 + 3(n - 1). The forced writes are the same as without co-location: the two
  // roles force their own records (1 + 2n, 1 + 2n, 2 + n).
  const std::string text = R"(name: colocated
seed: 4
transactions: 300
workload: {rate: 20/s}
network: {latency: 1ms}
services:
  order: {workers: 16, ops: {x: 1ms}}
  p1: {workers: 4, ops: {x: 1ms}}
  p2: {workers: 4, ops: {x: 1ms}}
workflow:
  entry: order
  steps:
    - parallel:
        - {service: order, action: x}
        - {service: p1, action: x}
        - {service: p2, action: x}
patterns: [two_phase_commit]
)";
  const int n = 3;
  const std::pair<const char*, std::pair<double, double>> cases[] = {
      {"presumed_nothing", {2.0 + 4 * (n - 1), 1.0 + 2 * n}},
      {"presumed_abort", {2.0 + 4 * (n - 1), 1.0 + 2 * n}},
      {"presumed_commit", {2.0 + 3 * (n - 1), 2.0 + n}},
  };
  for (const auto& [variant, counts] : cases) {
    INFO(variant);
    const app::Scenario s = test::scenario(text, {{"two_phase_commit", fmt::format("{{variant: {}}}", variant)}});
    const models::RunResult r = test::run(s, "two_phase_commit");
    REQUIRE(test::outcome(r, Outcome::kCommitted) == r.metrics.transactions);
    CHECK(r.metrics.messages.min() == counts.first);
    CHECK(r.metrics.messages.max() == counts.first);
    CHECK(static_cast<double>(r.metrics.forced_writes) == counts.second * static_cast<double>(r.metrics.transactions));
    // The same under crashes of the shared node and of a participant, and message loss.
    const app::Scenario f = test::scenario(text, {{"two_phase_commit", fmt::format("{{variant: {}}}", variant)},
                                                  {"transactions", "3000"},
                                                  {"services.order.mttf", "2s"}, {"services.order.mttr", "300ms"},
                                                  {"services.p1.mttf", "3s"}, {"services.p1.mttr", "200ms"},
                                                  {"network.loss", "0.01"}, {"timeouts", "{call: 20ms, prepare: 200ms}"}});
    const models::RunResult c = test::run(f, "two_phase_commit");
    CHECK(c.drained);
    CHECK(test::outcome(c, Outcome::kViolated) == 0);
    CHECK(test::outcome(c, Outcome::kBlocked) == 0);
    CHECK(c.metrics.unilateral_decisions == 0);
    CHECK(c.metrics.changed_decisions == 0);
    CHECK(test::outcome(c, Outcome::kCommitted) > c.metrics.transactions / 2);
  }
}

TEST_CASE("Commit protocols: an abort that arrives while a participant forces its prepared "
          "record leaves it aborted, not in doubt",
          "[models][2pc]") {
  // Presumed abort, three participants, d = 1 ms, forced writes of f = 5 ms, p1 refuses. p1's
  // NO (unforced) reaches the coordinator at 3d, which aborts at once: ABORT reaches p2 and
  // p3 at 4d, while they force their prepared records (2d to 2d + f = 7 ms). They abort as
  // told when the force ends and vote no: nobody is ever in doubt. (They used to become
  // prepared anyway and stay in doubt, holding their locks, until they asked after
  // timeouts.prepare.) Messages: request, 3 PREPAREs, 3 votes, 2 ABORTs, answer = 10;
  // forced: the two prepared records.
  const models::RunResult r =
      test::run(test::scenario(workflow(3, 0, true, "presumed_abort", "5ms")), "two_phase_commit");
  const models::RunMetrics& m = r.metrics;
  REQUIRE(test::outcome(r, Outcome::kAborted) == m.transactions);
  CHECK(m.in_doubt.count() == 0);
  CHECK(m.ever_blocked == 0);
  CHECK(m.messages.min() == 10);
  CHECK(m.messages.max() == 10);
  CHECK(m.forced_writes == 2 * m.transactions);
  CHECK(m.unilateral_decisions == 0);
}
