#include <catch2/catch.hpp>

#include <cmath>

#include "../test_util.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "app/scenario.hpp"
#include "app/traffic.hpp"
#include "models/run.hpp"

namespace fs = std::filesystem;

namespace {
using test::slurp;
std::string chomp(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}
const fs::path kSource = COORDSIM_SOURCE_DIR;

const char* kBase = R"(name: base
seed: 1
duration: 10s
workload: {arrival: poisson, rate: 10/s}
services:
  order: {workers: 2, ops: {place: exp(1ms)}}
  payment: {workers: 2, ops: {charge: exp(2ms), refund: exp(2ms)}}
workflow:
  entry: order
  entry_op: place
  steps:
    - {service: payment, action: charge, compensate: refund, fails: 0.1}
)";

std::string error_of(const std::string& text, const std::vector<app::Override>& o = {}) {
  auto r = app::load_scenario_text(text, "s.yaml", o);
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

// The warnings of a scenario that loads.
std::vector<std::string> warnings_of(const std::vector<app::Override>& o, const std::string& text = kBase) {
  auto r = app::load_scenario_text(text, "s.yaml", o);
  REQUIRE(r.ok());
  return r.value().warnings;
}
}  // namespace

TEST_CASE("Scenario: every malformed file in the corpus gets its exact message",
          "[app][scenario][errors]") {
  const fs::path dir = kSource / "tests/scenarios/bad";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  CHECK(files.size() >= 30);
  for (const fs::path& f : files) {
    INFO(f.filename().string());
    const fs::path expected_file = fs::path(f).replace_extension(".expected");
    REQUIRE(fs::exists(expected_file));
    auto r = app::load_scenario_text(slurp(f), f.filename().string());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == chomp(slurp(expected_file)));
  }
}

TEST_CASE("Scenario: every ready scenario validates without warnings", "[app][scenario]") {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(kSource / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    ++n;
    INFO(e.path().string());
    auto r = app::load_scenario_file(e.path().string());
    if (!r.ok()) FAIL(r.status().message());
    CHECK(r.value().warnings.empty());
  }
  CHECK(n >= 5);
}

TEST_CASE("Scenario: the base file reads into the expected configuration", "[app][scenario]") {
  auto r = app::load_scenario_text(kBase, "s.yaml");
  REQUIRE(r.ok());
  const models::ScenarioConfig& c = r.value().config;
  CHECK(c.name == "base");
  CHECK(c.duration == sim::Time::from_s(10));
  CHECK(c.workload.rate == Approx(10));
  REQUIRE(c.services.size() == 2);
  CHECK(c.services[1].ops[0].service.mean_ns() == Approx(2e6));
  REQUIRE(c.workflows.at(0).steps.size() == 1);
  CHECK(c.workflows.at(0).steps[0].compensate == "refund");
  CHECK(c.workflows.at(0).steps[0].fails == Approx(0.1));
  REQUIRE(c.patterns.size() == 1);
  CHECK(c.patterns[0].label() == "orchestration");
}

TEST_CASE("Scenario: --set overrides any field and is checked like the file",
          "[app][scenario][overrides]") {
  SECTION("values change") {
    auto r = app::load_scenario_text(
        kBase, "s.yaml",
        {{"services.payment.mttf", "5min"},
         {"services.payment.mttr", "10s"},
         {"workflow.steps.0.fails", "0.5"},
         {"patterns", "[orchestration, saga_orchestrated]"},
         {"seed", "99"}});
    REQUIRE(r.ok());
    const auto& c = r.value().config;
    REQUIRE(c.services[1].mttf.has_value());
    CHECK(c.services[1].mttf->kind() == sim::Distribution::Kind::kExponential);
    CHECK(c.services[1].mttf->mean_ns() == Approx(300e9));
    CHECK(c.workflows.at(0).steps[0].fails == Approx(0.5));
    CHECK(c.patterns.size() == 2);
    CHECK(c.seed == 99);
  }
  SECTION("errors name the override") {
    CHECK(error_of(kBase, {{"services.paymnt.workers", "3"}}) ==
          "--set services.paymnt.workers=3: no field \"paymnt\" in services (did you mean "
          "\"payment\"?)");
    CHECK(error_of(kBase, {{"services.payment.workers", "lots"}}) ==
          "--set services.payment.workers=lots: services.payment.workers: expected a whole "
          "number from 1 to 100000, found \"lots\"");
    CHECK(error_of(kBase, {{"services.payment.wrkers", "3"}}) ==
          "--set services.payment.wrkers=3: services.payment: unknown key \"wrkers\" (did you "
          "mean \"workers\"?)");
    CHECK(error_of(kBase, {{"workflow.steps.4.fails", "0.1"}}) ==
          "--set workflow.steps.4.fails=0.1: workflow.steps is a list of 1 entry; expected an "
          "index from 0 to 0, found \"4\"");
    CHECK(error_of(kBase, {{"patterns", "[]"}, {"patterns.0", "saga"}}) ==
          "--set patterns.0=saga: patterns is an empty list, so it has no entry \"0\" (add one with "
          "patterns+=VALUE)");
    CHECK(error_of(kBase, {{"faults.0.at", "1s"}}) ==
          "--set faults.0.at=1s: faults is an empty list, so it has no entry \"0\" (add one with "
          "faults+=VALUE)");
    CHECK(error_of(kBase, {{"name.first", "x"}}) ==
          "--set name.first=x: name is a single value, so it has no field \"first\"");
    CHECK(error_of(kBase, {{"workload.rate", "[1, 2"}}).rfind(
              "--set workload.rate=[1, 2: the value is not valid YAML", 0) == 0);
    // A distribution written with its field names reads as a mapping: quote it, says the
    // message (the shell's quotes are gone by now).
    CHECK(error_of(kBase, {{"services.order.ops.place", "pareto(shape: 2, scale: 1ms)"}}) ==
          "--set services.order.ops.place=pareto(shape: 2, scale: 1ms): the value is not valid "
          "YAML: illegal map value (a value with \": \" in it must be quoted: --set "
          "\"services.order.ops.place='pareto(shape: 2, scale: 1ms)'\")");
    CHECK(app::load_scenario_text(kBase, "s.yaml", {{"services.order.ops.place", "'pareto(shape: 2, scale: 1ms)'"}}).ok());
    // A service, an operation or a request type that an override makes with a bad name is
    // the override's error (it was reported against the file, with no line).
    CHECK(error_of(kBase, {{"services.order.ops.place:", "1ms"}}) ==
          "--set services.order.ops.place:=1ms: services.order.ops: expected a name (a letter, then "
          "letters, digits, \"_\" or \"-\"), found \"place:\"");
    CHECK(error_of(kBase, {{"services.9x.workers", "1"}}) ==
          "--set services.9x.workers=1: services: expected a name (a letter, then letters, digits, "
          "\"_\" or \"-\"), found \"9x\"");
    // A count added to a file that has a duration: the override is what to take back (it
    // was reported against the file's first line, which names neither).
    CHECK(error_of(kBase, {{"transactions", "100"}}) ==
          "--set transactions=100: transactions: give exactly one of duration (simulated time of "
          "arrivals, e.g. duration: 600s) and transactions (a count, e.g. transactions: 100000); "
          "both are given");
    // A duration shortened by --set below the file's warm-up: the message is the override's.
    std::string warm = kBase;
    warm.insert(warm.find("workload:"), "warmup: 2s\n");
    CHECK(error_of(warm, {{"duration", "1s"}}) ==
          "--set duration=1s: duration: the warm-up (2s) must be shorter than the duration (1s)");
    CHECK(error_of(warm, {{"warmup", "20s"}}) ==
          "--set warmup=20s: warmup: the warm-up (20s) must be shorter than the duration (10s)");
    // An empty mapping is called one (it was "expected a mapping ..., found a mapping").
    CHECK(error_of(kBase, {{"services", "{}"}}) ==
          "--set services={}: services: expected a mapping of service names to their settings, "
          "e.g. payment: {workers: 4, ops: {charge: exp(5ms)}}, found an empty mapping");
  }
  SECTION("the argument form") {
    auto bad = app::parse_override("services.payment.mttf");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message() ==
          "--set services.payment.mttf: expected FIELD.PATH=VALUE, e.g. --set "
          "services.payment.mttf=5min");
    auto ok = app::parse_override("a.b=x=y");
    REQUIRE(ok.ok());
    CHECK(ok.value().path == "a.b");
    CHECK(ok.value().value == "x=y");
  }
}

TEST_CASE("Scenario: a fault after the run's last instant gets a warning", "[app][scenario]") {
  // kBase: arrivals for 10 s, then at most the default drain of 60 s: the run is over by 70 s.
  const auto late =
      warnings_of({{"faults", "[{at: 5s, crash: payment, for: 1s}, {at: 70s, crash: payment, for: 1s}]"}});
  REQUIRE(late.size() == 1);
  CHECK(late[0] ==
        "warning: faults.1 (at 70s) comes after the run has ended (arrivals stop at 10s, and "
        "draining at 70s at the latest): it never happens");
  // During the drain it may still happen; with a transaction count the end is not known.
  CHECK(warnings_of({{"faults", "[{at: 69s, crash: payment, for: 1s}]"}}).empty());
}

TEST_CASE("Scenario: a rate phase that starts when the arrivals have stopped gets a warning",
          "[app][scenario]") {
  // kBase: arrivals for 10 s. A phase from 10 s on changes no arrival: it was run as if
  // absent, without a word.
  const auto late = warnings_of({{"workload.phases", "[{at: 5s, rate: 20/s}, {at: 10s, rate: 30/s}]"}});
  REQUIRE(late.size() == 1);
  CHECK(late[0] ==
        "warning: workload.phases.1 (at 10s) starts after the arrivals stop at 10s (duration): its "
        "rate is never used");
  CHECK(warnings_of({{"workload.phases", "[{at: 9999ms, rate: 20/s}]"}}).empty());
}

TEST_CASE("Scenario: a rate that makes less than one measured arrival gets a warning",
          "[app][scenario]") {
  // kBase: 10 s of arrivals, no warm-up. At 0.05/s that is 0.5 arrivals on average: the run
  // printed a table of "-" without a word.
  const auto few = warnings_of({{"workload.rate", "0.05/s"}});
  REQUIRE(few.size() == 1);
  CHECK(few[0] ==
        "warning: the workload's rate makes about 0.5 arrivals in its 10s of arrivals, so few if "
        "any transactions are measured; raise the rate or the duration");
  CHECK(warnings_of({{"workload.rate", "0.2/s"}}).empty());
  // The phases count, after the warm-up only: 1/s from 2 s on makes 6 after a 4 s warm-up;
  // 10/s before a 4 s warm-up and 0.01/s after it makes 0.06.
  CHECK(warnings_of({{"workload.rate", "0.01/s"}, {"warmup", "4s"}, {"workload.phases", "[{at: 2s, rate: 1/s}]"}}).empty());
  const auto after = warnings_of({{"warmup", "4s"}, {"workload.phases", "[{at: 4s, rate: 0.01/s}]"}});
  REQUIRE(after.size() == 1);
  CHECK(after[0].rfind("warning: the workload's rate makes about 0.06 arrivals between the warm-up (4s)", 0) == 0);
}

TEST_CASE("Scenario: a warm-up longer than the transactions take to arrive gets a warning",
          "[app][scenario]") {
  // kBase arrives at 10/s: 100 transactions by about 10 s, so a warm-up of 10 s or more
  // leaves few if any measured (it ran and printed an empty table without a word).
  std::string counted = kBase;
  counted.replace(counted.find("duration: 10s"), 13, "transactions: 100");
  const auto none = warnings_of({{"warmup", "12s"}}, counted);
  REQUIRE(none.size() == 1);
  CHECK(none[0] ==
        "warning: the warm-up (12s) outlasts the arrivals: 100 transactions arrive in about 10s at "
        "the workload's rate, so few if any are measured; shorten warmup or raise transactions");
  CHECK(warnings_of({{"warmup", "8s"}}, counted).empty());
  // The phases' rates count: 50 arrive in the first 5 s, the other 50 at 1/s by 55 s.
  CHECK(warnings_of({{"warmup", "12s"}, {"workload.phases", "[{at: 5s, rate: 1/s}]"}}, counted).empty());
}

TEST_CASE("Scenario: a call timeout shorter than the round trip it guards gets a warning",
          "[app][scenario]") {
  // kBase: order calls payment's charge: network latency 0 (the default), charge exp(2ms).
  // Under orchestration a timeouts.call of 1 ms gives up on calls that take 2 ms on average
  // (mean round trip 0 + 2 + 0 ms); 3 ms does not.
  std::vector<std::string> w = warnings_of({{"timeouts", "{call: 1ms}"}});
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "warning: timeouts.call (1ms) is shorter than the mean round trip of a call from order to "
        "payment's charge (about 2ms without queueing): callers give up on such calls before "
        "their answers can come and try again; make timeouts.call longer");
  CHECK(warnings_of({{"timeouts", "{call: 3ms}"}}).empty());
  // With 0.5 ms links each way (a link named for the pair, both ways): 0.5 + 2 + 0.5 = 3 ms,
  // and 2PC's coordinator resends PREPARE from timeouts.call on, which the warning says.
  w = warnings_of({{"timeouts", "{call: 2500us}"},
              {"network", "{latency: 5ms, links: [{from: order, to: payment, latency: 500us}]}"},
              {"patterns", "[two_phase_commit]"}});
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "warning: timeouts.call (2.5ms) is shorter than the mean round trip of a call from order "
        "to payment's charge (about 3ms without queueing): callers give up on such calls before "
        "their answers can come and try again (and two_phase_commit's coordinator sends PREPARE "
        "again, from timeouts.call on); make timeouts.call longer");
  // Under 2PC, timeouts.prepare guards the same round trip: the PREPARE and its vote.
  w = warnings_of({{"timeouts", "{call: 3ms, prepare: 1500us}"}, {"patterns", "[two_phase_commit]"}});
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "warning: timeouts.prepare (1.5ms) is shorter than the mean round trip of a PREPARE "
        "from order to payment's charge (about 2ms without queueing): two_phase_commit's "
        "coordinator aborts many transactions before their votes can come; make "
        "timeouts.prepare longer");
  // Choreography's entry calls no step: only call trees are looked at there.
  CHECK(warnings_of({{"timeouts", "{call: 1ms}"}, {"patterns", "[choreography/rpc]"}}).empty());
  // A call of a call tree, against its own timeout: payment calls a bank (5 ms) that calls
  // a ledger (1 ms), 1 ms hops: 1 + 5 + (1 + 1 + 1) + 1 = 10 ms. The step's call from order
  // takes 1 + 2 + 10 + 1 = 14 ms, over timeouts.call too.
  const std::vector<app::Override> tree = {
      {"network", "{latency: 1ms}"},
      {"services.bank", "{workers: 2, ops: {pay: 5ms}}"},
      {"services.ledger", "{workers: 2, ops: {post: 1ms}}"},
      {"workflow.steps.0.calls",
       "[{service: bank, action: pay, timeout: 9ms, calls: [{service: ledger, action: post}]}]"},
      {"timeouts", "{call: 12ms}"}};
  w = warnings_of(tree);
  REQUIRE(w.size() == 2);
  CHECK(w[0] ==
        "warning: workflow.steps.0.calls.0.timeout (9ms) is shorter than the mean round trip of "
        "a call from payment to bank's pay (about 10ms without queueing): the caller gives up on "
        "the call before its answer can come and tries again; make the timeout longer");
  CHECK(w[1] ==
        "warning: timeouts.call (12ms) is shorter than the mean round trip of a call from order "
        "to payment's charge (about 14ms without queueing): callers give up on such calls before "
        "their answers can come and try again; make timeouts.call longer");
}

TEST_CASE("Scenario: a broker redelivery shorter than a delivery's round trip gets a warning",
          "[app][scenario]") {
  // Choreography over the broker: payment's charge takes 2 ms on average and the network
  // nothing, so a delivery is acknowledged 2 ms after it leaves the broker at the earliest.
  auto warned = [](const std::string& broker, const std::string& patterns) {
    return warnings_of({{"broker", broker}, {"patterns", patterns}});
  };
  const std::vector<std::string> w = warned("{latency: 1ms, redelivery: 1ms, redelivery_max: 8ms}", "[choreography]");
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "warning: broker.redelivery (1ms) is shorter than the time a delivery takes to be "
        "handled and acknowledged (at least about 2ms for payment's charge, without queueing): "
        "the broker delivers messages again before their acknowledgements can come, and each "
        "copy is handled again (the waits double up to broker.redelivery_max, 8ms); make "
        "broker.redelivery longer");
  CHECK(warned("{latency: 1ms, redelivery: 3ms}", "[choreography]").empty());
  // No pattern over the broker (and no async step): nothing is delivered.
  CHECK(warned("{latency: 1ms, redelivery: 1ms}", "[orchestration]").empty());
}

TEST_CASE("Scenario: a TCC expiry that leaves no time to confirm gets a warning", "[app][scenario]") {
  const std::vector<std::string> w = warnings_of({{"patterns", "[tcc]"}, {"tcc", "{expiry: 500ms}"}});
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "warning: tcc.expiry (500ms) is not longer than timeouts.call (500ms): TCC confirms a "
        "transaction only while each of its reservations has timeouts.call left to live, so "
        "none is confirmed and every transaction that reserves anything fails; make tcc.expiry "
        "longer than timeouts.call and the time the tries take");
  // And so it is: every transaction of the run fails or is refused, none is committed.
  auto s = app::load_scenario_text(kBase, "s.yaml", {{"patterns", "[tcc]"}, {"tcc", "{expiry: 500ms}"}});
  const models::RunResult r = models::run(s.value().config, s.value().config.patterns.at(0), 0);
  CHECK(r.metrics.transactions > 50);
  CHECK(r.metrics.outcomes[0] == 0);
  CHECK(warnings_of({{"patterns", "[tcc]"}, {"tcc", "{expiry: 501ms}"}}).empty());
  CHECK(warnings_of({{"patterns", "[saga_orchestrated]"}, {"tcc", "{expiry: 500ms}"}}).empty());
}

TEST_CASE("Scenario: a service at or above 100% load gets a warning", "[app][scenario][load]") {
  // 1000/s x 2 ms mean / 2 workers = 100% at payment.
  const auto w = warnings_of({{"workload.rate", "1000/s"}, {"workflow.steps.0.fails", "0"}});
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "warning: service \"payment\" is loaded at 100% (1000 requests/s x 2ms mean service "
        "time / 2 workers): its queue grows without bound and the run never reaches a steady "
        "state");
  CHECK(warnings_of({{"workload.rate", "900/s"}}).empty());
}

TEST_CASE("Traffic equations: a stage is reached only when the stage before succeeded",
          "[app][load]") {
  auto r = app::load_scenario_text(R"(name: t
duration: 1s
workload: {rate: 100/s}
services:
  e: {workers: 1, ops: {in: const(1ms)}}
  a: {workers: 1, ops: {x: const(1ms)}}
  b: {workers: 2, ops: {y: const(4ms)}}
  c: {workers: 1, ops: {z: const(1ms)}}
workflow:
  entry: e
  entry_op: in
  steps:
    - parallel:
        - {service: a, action: x, fails: 0.2}
        - {service: b, action: y, fails: 0.5}
    - {service: c, action: z}
)",
                                   "t.yaml");
  REQUIRE(r.ok());
  const auto loads = app::estimate_load(r.value().config);
  REQUIRE(loads.size() == 4);
  CHECK(loads[0].arrival_rate == Approx(100));
  CHECK(loads[0].utilisation == Approx(0.1));
  CHECK(loads[1].arrival_rate == Approx(100));
  CHECK(loads[2].utilisation == Approx(100 * 0.004 / 2));
  CHECK(loads[3].arrival_rate == Approx(100 * 0.8 * 0.5));
}

TEST_CASE("Traffic equations: bug found by fuzzing, an entry-only workflow indexed past the matrix",
          "[app][load][regression]") {
  auto r = app::load_scenario_text(R"(name: t
duration: 1s
workload: {rate: 100/s}
services:
  e: {workers: 2, ops: {in: const(5ms)}}
workflow: {entry: e, entry_op: in}
)",
                                   "t.yaml");
  REQUIRE(r.ok());
  const auto loads = app::estimate_load(r.value().config);
  REQUIRE(loads.size() == 1);
  CHECK(loads[0].arrival_rate == Approx(100));
  CHECK(loads[0].utilisation == Approx(0.25));
}

TEST_CASE("Traffic equations: call trees, retries, a mix, replicas, optional and async steps",
          "[app][load]") {
  // Arrivals 1000/s, 80% browse and 20% buy (weights 4 : 1).
  //   browse: step p (page, optional, errors 0.5, 2 attempts) calls [db (errors 0.5,
  //     attempts 2)]. An attempt of p fails its own draw half the time, and otherwise its
  //     call fails twice with probability 1/4: attempt_ok = 0.5 * 0.75 = 0.375, so p is
  //     tried 1 + 0.625 = 1.625 times per request, and every attempt calls db (a step
  //     draws its own error after its calls), 1 + 0.5 = 1.5 times: 1.625 * 1.5 per
  //     request. p is optional, so the next stage is always reached: d (2 replicas of 2
  //     workers, 4 ms) sees every browse request.
  //   buy: step d (fails 0.5), then mail (async): mail is fired once d succeeded (0.5),
  //     delivered again after each error (errors 0.2, up to 5 deliveries):
  //     (1 - 0.2^5) / (1 - 0.2) = 1.2496 deliveries per firing.
  // The broker (1 ms, 4 workers) handles one message per firing; under
  // orchestration/broker also a command and a reply per step tried.
  const char* text = R"(name: t
duration: 20s
workload: {rate: 1000/s}
services:
  web:  {workers: 64, ops: {in: 0ms}}
  page: {workers: 4, ops: {render: 1ms}}
  db:   {workers: 4, ops: {get: 1ms}}
  d:    {workers: 2, replicas: 2, ops: {x: 4ms}}
  mail: {workers: 4, ops: {send: 2ms}}
broker: {latency: 1ms, workers: 4, max_attempts: 5}
workflows:
  browse:
    weight: 4
    entry: web
    entry_op: in
    steps:
      - {service: page, action: render, side_effect: false, optional: true, errors: 0.5,
         calls: [{service: db, action: get, errors: 0.5}]}
      - {service: d, action: x, side_effect: false}
  buy:
    weight: 1
    entry: web
    entry_op: in
    steps:
      - {service: d, action: x, fails: 0.5}
      - {service: mail, action: send, side_effect: false, async: true, errors: 0.2}
retry: {attempts: 2}
patterns: [orchestration, orchestration/broker]
)";
  auto r = app::load_scenario_text(text, "t.yaml");
  REQUIRE(r.ok());
  const auto loads = app::estimate_load(r.value().config);
  REQUIRE(loads.size() == 6);  // the five services, then the broker
  CHECK(loads[0].arrival_rate == Approx(1000));
  CHECK(loads[1].arrival_rate == Approx(800 * 1.625));
  CHECK(loads[2].arrival_rate == Approx(800 * 1.625 * 1.5));
  CHECK(loads[3].arrival_rate == Approx(800 + 200));
  CHECK(loads[3].utilisation == Approx(1000 * 0.004 / (2 * 2)));
  const double deliveries = (1 - std::pow(0.2, 5)) / 0.8;
  CHECK(loads[4].arrival_rate == Approx(200 * 0.5 * deliveries));
  const app::Load& b = loads[5];
  CHECK(b.service == "broker");
  CHECK(b.pattern == "orchestration/broker");
  const double steps = 800 * 1.625 + 800 + 200;  // every step tried, both types
  CHECK(b.arrival_rate == Approx(200 * 0.5 * deliveries + 2 * steps));
  CHECK(b.utilisation == Approx(b.arrival_rate * 0.001 / 4));

  // And the simulation agrees: the requests each service served over the 20 s of
  // arrivals, against the estimate, within 5 standard errors of a Poisson count (retries
  // make the counts a little over-dispersed).
  const models::RunResult sim = models::run(r.value().config, r.value().config.patterns[0], 0);
  std::map<std::string, double> served;
  for (const models::NodeSummary& n : sim.nodes) served[n.service] += static_cast<double>(n.served);
  for (size_t i = 1; i < 5; ++i) {
    INFO(loads[i].service);
    const double expected = loads[i].arrival_rate * 20;
    CHECK(std::abs(served[loads[i].service] - expected) <= 5 * std::sqrt(expected));
  }
}

TEST_CASE("Traffic equations: the overload warning names a service deep in a call tree, and the broker",
          "[app][load]") {
  // 10% of 1000/s reach a call two levels down on a one-worker service taking 20 ms:
  // 100/s x 20 ms = 200%.
  const char* text = R"(name: t
duration: 1s
workload: {rate: 1000/s}
services:
  web:   {workers: 64}
  front: {workers: 64, ops: {x: 0.1ms}}
  mid:   {workers: 64, ops: {y: 0.1ms}}
  deep:  {workers: 1, ops: {z: 20ms}}
broker: {latency: 2ms, workers: 1}
workflows:
  cheap: {weight: 9, entry: web, steps: [{service: front, action: x, side_effect: false}]}
  rare:
    weight: 1
    entry: web
    steps:
      - {service: front, action: x, side_effect: false,
         calls: [{service: mid, action: y, calls: [{service: deep, action: z}]}]}
patterns: [orchestration, orchestration/broker]
)";
  const auto w = warnings_of({}, text);
  REQUIRE(w.size() == 2);
  CHECK(w[0] ==
        "warning: service \"deep\" is loaded at 200% (100 requests/s x 20ms mean service time / "
        "1 workers): its queue grows without bound and the run never reaches a steady state");
  // The broker under orchestration/broker: a command and a reply per step: 2000/s x 2 ms.
  CHECK(w[1] ==
        "warning: the broker is loaded at 400% under orchestration/broker (2000 messages/s x 2ms "
        "handling time / 1 workers): its queues grow without bound; give it more workers "
        "(broker.workers) or a shorter latency");
}
