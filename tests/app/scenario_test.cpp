#include <catch2/catch.hpp>

#include "../test_util.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/scenario.hpp"
#include "app/traffic.hpp"

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
          "--set workflow.steps.4.fails=0.1: workflow.steps is a list of 1 entries; expected an "
          "index from 0 to 0, found \"4\"");
    CHECK(error_of(kBase, {{"name.first", "x"}}) ==
          "--set name.first=x: name is a single value, so it has no field \"first\"");
    CHECK(error_of(kBase, {{"workload.rate", "[1, 2"}}).rfind(
              "--set workload.rate=[1, 2: the value is not valid YAML", 0) == 0);
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

TEST_CASE("Scenario: a service at or above 100% load gets a warning", "[app][scenario][load]") {
  // 1000/s x 2 ms mean / 2 workers = 100% at payment.
  auto r = app::load_scenario_text(kBase, "s.yaml",
                                   {{"workload.rate", "1000/s"}, {"workflow.steps.0.fails", "0"}});
  REQUIRE(r.ok());
  REQUIRE(r.value().warnings.size() == 1);
  CHECK(r.value().warnings[0] ==
        "warning: service \"payment\" is loaded at 100% (1000 requests/s x 2ms mean service "
        "time / 2 workers): its queue grows without bound and the run never reaches a steady "
        "state");
  auto fine = app::load_scenario_text(kBase, "s.yaml", {{"workload.rate", "900/s"}});
  REQUIRE(fine.ok());
  CHECK(fine.value().warnings.empty());
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
