// Golden outputs: every ready scenario in scenarios/, run under all its patterns, must
// produce exactly the CSV in tests/scenarios/golden/. A difference means coordsim's
// behavior changed: read the diff, and if the change is intended, re-bless with
// scripts/bless-golden (never by editing the files by hand).
#include <catch2/catch.hpp>

#include "../test_util.hpp"

#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

#include "app/report.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"
#include "models/run.hpp"
#include "../models/pattern_helpers.hpp"

namespace fs = std::filesystem;

namespace {
using test::slurp;

// The first line where the golden text and the current one differ, for a readable failure.
std::string first_difference(const std::string& golden, const std::string& now) {
  const std::string& a = golden;
  const std::string& b = now;
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ea = !std::getline(sa, la), eb = !std::getline(sb, lb);
    if (ea && eb) return "no difference";
    if (ea || eb || la != lb) {
      return "line " + std::to_string(line) + ":\n  golden: " + (ea ? "<end>" : la) +
             "\n  now:    " + (eb ? "<end>" : lb);
    }
  }
}
}  // namespace

TEST_CASE("Golden: every ready scenario reproduces its recorded CSV", "[scenarios][golden]") {
  const fs::path root = COORDSIM_SOURCE_DIR;
  size_t checked = 0;
  for (const auto& e : fs::directory_iterator(root / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    const std::string name = e.path().stem().string();
    INFO(name);
    auto s = app::load_scenario_file(e.path().string());
    REQUIRE(s.ok());
    auto results = app::run_scenario(s.value(), {});
    REQUIRE(results.ok());
    // As coordsim run --csv writes it: the scenario columns, then each service's.
    const auto services = app::csv_services(s.value().config);
    std::string csv = app::csv_header(services);
    for (const auto& r : results.value()) {
      for (const std::string& row : app::csv_rows(s.value(), r, services)) csv += row;
      // Every record was released only once nothing could touch it any more.
      CHECK(r.late_touches == 0);
    }
    const fs::path golden = root / "tests/scenarios/golden" / (name + ".csv");
    REQUIRE(fs::exists(golden));
    const std::string expected = slurp(golden);
    INFO("differs from " << golden.string() << " at " << first_difference(expected, csv)
                         << "\n(if intended: scripts/bless-golden, after reading the diff)");
    CHECK(csv == expected);
    ++checked;
  }
  CHECK(checked >= 5);
}

TEST_CASE("Ready scenarios: each opens with the question it answers", "[scenarios]") {
  for (const auto& e : fs::directory_iterator(fs::path(COORDSIM_SOURCE_DIR) / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    INFO(e.path().filename().string());
    CHECK(slurp(e.path()).rfind("# Question: ", 0) == 0);
  }
}

TEST_CASE("Ready scenarios: order-placed takes a fourth subscriber by uncommenting one line",
          "[scenarios]") {
  // Without faults and retries (the network loses nothing, and no call times out), every
  // transaction sends the same messages, and the fourth step adds what each formula says (docs/patterns.md):
  // orchestration a call and its reply (2), over the broker the same through its queues
  // (8), choreography one more subscription to OrderPlaced and its "done" event (2 + 2),
  // the synchronous chain one more call from the entry (2).
  const fs::path file = fs::path(COORDSIM_SOURCE_DIR) / "scenarios/order-placed.yaml";
  const std::string text = slurp(file);
  const std::string line = "        # - {service: loyalty,      action: award}\n";
  const size_t at = text.find(line);
  REQUIRE(at != std::string::npos);
  std::string four = text;
  four.replace(at, line.size(), "        - {service: loyalty,      action: award}\n");
  const std::vector<app::Override> calm{{"faults", "[]"}, {"timeouts.call", "10s"}};
  auto three_s = app::load_scenario_text(text, "order-placed.yaml", calm);
  auto four_s = app::load_scenario_text(four, "order-placed.yaml", calm);
  REQUIRE(three_s.ok());
  REQUIRE(four_s.ok());
  auto three = app::run_scenario(three_s.value(), {});
  auto fourth = app::run_scenario(four_s.value(), {});
  REQUIRE(three.ok());
  REQUIRE(fourth.ok());
  const std::map<std::string, double> added{
      {"orchestration", 2}, {"orchestration/broker", 8}, {"choreography", 4}, {"choreography/rpc", 2}};
  REQUIRE(three.value().size() == added.size());
  for (size_t i = 0; i < three.value().size(); ++i) {
    const auto& a = three.value()[i].metrics.messages;
    const auto& b = fourth.value()[i].metrics.messages;
    const std::string label = three.value()[i].pattern.label();
    INFO(label);
    CHECK(a.min() == a.max());
    CHECK(b.min() == b.max());
    CHECK(b.min() - a.min() == added.at(label));
  }
}

namespace {
// Runs `k` twice, keeping every record (a probe that watches nothing, as a trace or a time
// series keeps them) and releasing them as the run goes: every CSV figure (outcomes,
// latency percentiles, means, the fingerprint) must be the same. Returns the records the
// second run released, and adds the transactions it ran to `simulated`.
uint64_t check_release_keeps_figures(const app::Scenario& s, const models::PatternChoice& k,
                                     uint64_t* simulated = nullptr) {
  INFO(k.label());
  test::KeepAll keep;
  const models::RunResult kept = models::run(s.config, k, 0, &keep);
  const models::RunResult freed = models::run(s.config, k, 0);
  CHECK(kept.records_released == 0);
  CHECK(freed.late_touches == 0);
  CHECK(app::csv_rows(s, freed) == app::csv_rows(s, kept));
  if (simulated != nullptr) *simulated += freed.transactions_simulated;
  return freed.records_released;
}
}  // namespace

TEST_CASE("Golden: releasing finished transactions' records changes no figure of any ready scenario",
          "[scenarios][golden][memory]") {
  // The same runs with every record kept and with records released once their
  // transactions can no longer change: every CSV column (outcomes, latency percentiles,
  // means, the fingerprint) is the same, to the digit, and the long runs did release.
  const fs::path root = COORDSIM_SOURCE_DIR;
  uint64_t released = 0;
  for (const auto& e : fs::directory_iterator(root / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    INFO(e.path().stem().string());
    auto s = app::load_scenario_file(e.path().string());
    REQUIRE(s.ok());
    for (const models::PatternChoice& k : s.value().config.patterns) released += check_release_keeps_figures(s.value(), k);
  }
  CHECK(released > 50000);
}

TEST_CASE("Golden: long runs that release most records keep every figure, tracing's included",
          "[scenarios][golden][memory]") {
  // Runs of many quiet periods (so that nearly every record is released before the end),
  // with and without records kept: the same CSV rows, spans and complete traces included.
  const fs::path root = COORDSIM_SOURCE_DIR;
  const std::vector<std::pair<std::string, std::vector<app::Override>>> cases{
      {"tracing-cost", {{"duration", "400s"}, {"broker.redelivery_max", "2s"}, {"broker.max_attempts", "3"},
                        {"patterns", "[orchestration, choreography]"}}},
      {"ecommerce-order", {{"duration", "900s"}, {"broker.redelivery_max", "2s"}, {"broker.max_attempts", "3"},
                           {"patterns", "[orchestration, choreography, saga_choreographed, tcc]"}}},
      {"single-service", {{"duration", "1000s"}}},
  };
  for (const auto& [name, overrides] : cases) {
    INFO(name);
    auto s = app::load_scenario_file((root / "scenarios" / (name + ".yaml")).string(), overrides);
    REQUIRE(s.ok());
    uint64_t released = 0, simulated = 0;
    for (const models::PatternChoice& k : s.value().config.patterns) {
      released += check_release_keeps_figures(s.value(), k, &simulated);
    }
    CHECK(released > simulated / 2);
  }
}
