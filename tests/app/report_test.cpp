// The outputs of a scenario with several request types: a CSV row, a JSON entry and sweep
// summary rows per request type beside the total, and per-service figures over replicas.
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "app/report.hpp"
#include "app/runner.hpp"
#include "app/sweep.hpp"
#include "../models/pattern_helpers.hpp"

namespace {

// Two request types on replicated services.
const char* kMix = R"(name: mix
seed: 3
duration: 5s
warmup: 1s
workload: {arrival: poisson, rate: 200/s}
services:
  web: {workers: 16, calls: blocking, replicas: 2, ops: {serve: exp(1ms)}}
  db:  {workers: 4, replicas: 3, balance: least_outstanding, ops: {read: exp(1ms), write: exp(2ms), undo: exp(1ms)}}
workflows:
  browse: {weight: 0.7, entry: web, steps: [{service: db, action: read, side_effect: false}]}
  buy:    {weight: 0.3, entry: web, steps: [{service: db, action: write, compensate: undo}]}
patterns: [orchestration, saga_orchestrated]
)";

app::Scenario mix(const std::vector<app::Override>& o = {}) {
  auto s = app::load_scenario_text(kMix, "mix.yaml", o);
  if (!s.ok()) FAIL(s.status().message());
  return std::move(s).value();
}

std::map<std::string, std::string> row_of(const std::string& line) {
  const auto fields = app::csv_fields(line);
  const auto& cols = app::csv_columns();
  REQUIRE(fields.size() == cols.size());
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < cols.size(); ++i) out[cols[i]] = fields[i];
  return out;
}

}  // namespace

TEST_CASE("Report: a request mix has a CSV row per request type after the total's",
          "[app][report]") {
  const app::Scenario s = mix();
  auto results = app::run_scenario(s, {});
  REQUIRE(results.ok());
  REQUIRE(results.value().size() == 2);
  for (const models::RunResult& r : results.value()) {
    const auto lines = app::csv_rows(s, r);
    REQUIRE(lines.size() == 3);
    const auto all = row_of(lines[0]), browse = row_of(lines[1]), buy = row_of(lines[2]);
    CHECK(all.at("request_type") == "all");
    CHECK(browse.at("request_type") == "browse");
    CHECK(buy.at("request_type") == "buy");
    CHECK(lines[0] == app::csv_row(s, r));
    for (const char* count : {"transactions", "committed", "aborted", "failed", "violated"}) {
      INFO(count);
      CHECK(std::stoull(all.at(count)) ==
            std::stoull(browse.at(count)) + std::stoull(buy.at(count)));
    }
    // The run's own columns are the same on every row.
    for (const char* run : {"pattern", "seed", "events", "fingerprint", "drained"}) {
      CHECK(browse.at(run) == all.at(run));
      CHECK(buy.at(run) == all.at(run));
    }
  }
}

TEST_CASE("Report: JSON has each request type's figures and each service's over its replicas",
          "[app][report]") {
  const app::Scenario s = mix();
  auto results = app::run_scenario(s, {});
  REQUIRE(results.ok());
  const auto j = nlohmann::json::parse(app::to_json(s, results.value()));
  const auto& run = j["runs"][0];
  REQUIRE(run["request_types"].size() == 2);
  CHECK(run["request_types"][0]["request_type"] == "browse");
  CHECK(run["request_types"][1]["request_type"] == "buy");
  CHECK(run["request_type"] == "all");
  CHECK(run["transactions"].get<uint64_t>() ==
        run["request_types"][0]["transactions"].get<uint64_t>() +
            run["request_types"][1]["transactions"].get<uint64_t>());
  // Nodes: web#1, web#2, db#1, db#2, db#3; services add their replicas up.
  std::map<std::string, uint64_t> served;
  for (const auto& n : run["nodes"]) served[n["service"]] += n["served"].get<uint64_t>();
  CHECK(run["nodes"][0]["name"] == "web#1");
  CHECK(run["nodes"][1]["name"] == "web#2");
  CHECK(run["nodes"][1]["service"] == "web");
  bool found_db = false;
  for (const auto& svc : run["services"]) {
    CHECK(svc["served"].get<uint64_t>() == served[svc["name"]]);
    if (svc["name"] == "db") {
      found_db = true;
      CHECK(svc["replicas"] == 3);
    }
  }
  CHECK(found_db);
}

TEST_CASE("Report: a sweep of a request mix summarises every request type", "[app][report][sweep]") {
  const app::Scenario s = mix();
  auto out = app::run_sweep(s, {}, {app::parse_sweep_axis("workload.rate=100/s,200/s").value()}, 3, 2);
  REQUIRE(out.ok());
  CHECK(out.value().shape.request_types == std::vector<std::string>{"browse", "buy"});
  for (const std::string& block : out.value().rows) CHECK(app::block_lines(block).size() == 3);
  std::map<std::string, size_t> per_type;
  double all = 0, parts = 0;
  for (const app::SummaryRow& r : app::summarize_sweep(out.value())) {
    ++per_type[r.request_type];
    if (r.point == 1 && r.label == "orchestration" && r.metric == "transactions") {
      (r.request_type == "all" ? all : parts) += r.stats.mean;
    }
  }
  CHECK(per_type["all"] == per_type["browse"]);
  CHECK(per_type["all"] == per_type["buy"]);
  CHECK(all > 0);
  CHECK(all == parts);
  const std::string summary = app::sweep_summary_csv(out.value());
  CHECK(summary.rfind("workload.rate,workload.rate_per_s,pattern,request_type,metric,n,mean,sd,ci95_low,ci95_high,interval,t95_low,t95_high\n", 0) == 0);
  CHECK(summary.find("\n100/s,100,orchestration,buy,transactions,3,") != std::string::npos);
}

TEST_CASE("Report: a sweep axis may not change the request types", "[app][report][sweep][errors]") {
  const std::string text = std::string(kMix) +
                           "sweep:\n"
                           "  workflows:\n"
                           "    - {browse: {weight: 1, entry: web, steps: [{service: db, action: read}]},\n"
                           "       buy: {weight: 1, entry: web, steps: [{service: db, action: write}]}}\n"
                           "    - {browse: {weight: 1, entry: web, steps: [{service: db, action: read}]}}\n";
  auto s = app::load_scenario_text(text, "mix.yaml", {});
  REQUIRE(s.ok());
  auto out = app::plan_sweep(s.value(), {}, {}, 1);
  REQUIRE(!out.ok());
  CHECK(out.status().message() ==
        "mix.yaml: the sweep point workflows={browse: {weight: 1, entry: web, steps: [{service: "
        "db, action: read}]}} has the request types [], the first point [browse, buy]: an axis "
        "may not add, remove or rename workflows");
}

TEST_CASE("Report: the progress line of a long run says how far it is", "[app][report]") {
  const app::Scenario s = test::scenario(R"(name: p
duration: 60s
workload: {rate: 10/s}
services: {api: {workers: 1, ops: {handle: 1ms}}}
workflow: {entry: api, entry_op: handle}
)");
  const models::PatternChoice p = s.config.patterns.at(0);
  CHECK(app::run_progress_text(s.config, p, 120, sim::Time::from_s(12), 4.2) ==
        "orchestration: simulated 12s of 1min (20%), 4 s");
  CHECK(app::run_progress_text(s.config, p, 600, sim::Time::from_s(70), 9) ==
        "orchestration: draining at simulated 70s, 9 s");
  const app::Scenario n = test::scenario(R"(name: q
transactions: 1000
workload: {rate: 10/s}
services: {api: {workers: 1, ops: {handle: 1ms}}}
workflow: {entry: api, entry_op: handle}
)");
  CHECK(app::run_progress_text(n.config, p, 250, sim::Time::from_s(25), 3) ==
        "orchestration: 250 of 1000 transactions (25%), 3 s");
}

TEST_CASE("Report: the memory guard stops a run whose process outgrows its budget",
          "[app][report]") {
  // A service loaded 50 times beyond what it serves, its queue unbounded: the work in flight
  // grows as long as arrivals go on. A budget of 1 byte of resident memory is exceeded at
  // the first look, after the first million events; no budget never stops the run.
  const app::Scenario s = test::scenario(R"(name: overload
seed: 1
duration: 100s
drain: 1ms
workload: {arrival: poisson, rate: 10000/s}
services:
  api: {workers: 1, ops: {handle: 5ms}}
workflow: {entry: api, entry_op: handle}
patterns: [orchestration]
)");
  app::MemoryGuard tight(app::MemoryBudget{1, 0});
  const models::RunResult cut = models::run(s.config, s.config.patterns[0], 0, nullptr, &tight);
  CHECK_FALSE(cut.drained);
  CHECK(cut.events == 1'000'000);
  REQUIRE_FALSE(tight.stopped().empty());
  CHECK(tight.stopped().rfind("orchestration: stopped at simulated time ", 0) == 0);
  CHECK(tight.stopped().find("over its budget of 0.00 GiB (80% of this machine's memory)") != std::string::npos);
  CHECK(tight.stopped().find("bound its queue (services.NAME.queue)") != std::string::npos);
  app::MemoryGuard none(app::MemoryBudget{0, 0});
  const models::RunResult whole = models::run(s.config, s.config.patterns[0], 0, nullptr, &none);
  CHECK(none.stopped().empty());
  CHECK(whole.events > 1'000'000);
  CHECK(whole.transactions_simulated > 990'000);
  // This machine's budget is 80% of its memory.
  const app::MemoryBudget here = app::MemoryBudget::of_this_machine();
  CHECK(here.resident > 0);
}
