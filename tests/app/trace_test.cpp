// coordsim run --trace: the Trace Event Format file (app/trace_file.hpp) of a small scenario,
// parsed back and checked: the format's required fields, every flow arrow's two ends, and
// the spans of a transaction adding up to its latency.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include <unistd.h>  // getpid

#include "../models/pattern_helpers.hpp"
#include "../test_util.hpp"
#include "app/runner.hpp"
#include "app/trace_command.hpp"
#include "app/trace_file.hpp"

namespace {

// One transaction through two sequential steps: every message takes 1 ms, p1 serves in
// 2 ms and p2 in 3 ms, the entry's own work takes no time (async call model, no entry op).
const char* kChain = R"(name: chain
seed: 7
transactions: 1
workload: {rate: 1/s}
network: {latency: 1ms}
services:
  order: {workers: 2}
  p1: {workers: 1, ops: {x: 2ms, undo: 1ms}}
  p2: {workers: 1, ops: {x: 3ms, undo: 1ms}}
workflow:
  entry: order
  steps:
    - {service: p1, action: x, compensate: undo}
    - {service: p2, action: x, compensate: undo}
patterns: [orchestration, saga_orchestrated, two_phase_commit]
)";

std::string temp_file(const std::string& what) {
  static int n = 0;
  return (std::filesystem::temp_directory_path() /
          fmt::format("coordsim_trace_{}_{}_{}.json", getpid(), ++n, what))
      .string();
}

// Runs s with a trace of `filter` and returns the parsed file and the results.
struct Traced {
  nlohmann::json json;
  std::vector<models::RunResult> results;
};
Traced traced(const app::Scenario& s, const models::TxnFilter& filter) {
  const std::string path = temp_file(s.config.name);
  app::PerfettoTrace file(path);
  REQUIRE(file.status().ok());
  models::TraceRecorder rec(file, filter);
  auto r = app::run_scenario(s, {}, 0, &rec);
  REQUIRE(r.ok());
  REQUIRE(file.close().ok());
  Traced t{nlohmann::json::parse(test::slurp(path)), r.value()};
  std::filesystem::remove(path);
  return t;
}

// Microseconds (the format's unit, as written: to the nanosecond) to integer ns.
int64_t ns(const nlohmann::json& v) { return std::llround(v.get<double>() * 1000.0); }

// The format's required fields (Trace Event Format, "Event Descriptions"): every event has
// ph, pid and tid; every event but metadata has ts and a name; complete events a dur; flow
// and async events an id. Flow arrows: each start ("s") has exactly one end ("f") with its
// id, each end a start; async spans: each begin ("b") one end ("e") with its id.
void check_format(const nlohmann::json& j) {
  REQUIRE(j.contains("traceEvents"));
  std::map<std::string, int> s_ids, f_ids, b_ids, e_ids;
  for (const auto& e : j["traceEvents"]) {
    REQUIRE(e.contains("ph"));
    REQUIRE(e.contains("pid"));
    REQUIRE(e.contains("tid"));
    REQUIRE(e.contains("name"));
    const std::string ph = e["ph"];
    if (ph == "M") continue;
    REQUIRE(e.contains("ts"));
    CHECK(e["ts"].get<double>() >= 0);
    if (ph == "X") CHECK(e["dur"].get<double>() >= 0);
    if (ph == "i") CHECK(e.contains("s"));
    if (ph == "s" || ph == "f" || ph == "b" || ph == "e") REQUIRE(e.contains("id"));
    const std::string id = ph == "s" || ph == "f" || ph == "b" || ph == "e" ? e["id"].dump() : "";
    if (ph == "s") ++s_ids[id];
    if (ph == "f") ++f_ids[id];
    if (ph == "b") ++b_ids[id];
    if (ph == "e") ++e_ids[id];
    CHECK((ph == "X" || ph == "i" || ph == "s" || ph == "f" || ph == "b" || ph == "e"));
  }
  CHECK(s_ids == f_ids);
  CHECK(b_ids == e_ids);
  for (const auto& [id, n] : s_ids) CHECK(n == 1);
  for (const auto& [id, n] : b_ids) CHECK(n == 1);
}

}  // namespace

TEST_CASE("Trace: the file parses, has the format's fields and both ends of every arrow",
          "[app][trace]") {
  const app::Scenario s = test::scenario(kChain);
  const Traced t = traced(s, models::TxnFilter{{0}, 0});
  check_format(t.json);
  // Every event about a transaction names it; one process per node and pattern.
  std::set<std::string> processes;
  for (const auto& e : t.json["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name") processes.insert(e["args"]["name"]);
    if (e["ph"] == "X" && (e["cat"] == "job" || e["cat"] == "message")) CHECK(e["args"]["txn"] == 0);
  }
  CHECK(processes.count("orchestration: p1") == 1);
  CHECK(processes.count("two_phase_commit: order") == 1);
}

TEST_CASE("Trace: a sequential transaction's spans add up exactly to its latency",
          "[app][trace]") {
  // Orchestration: Request 1 ms, Call p1 1 ms, x 2 ms, reply 1 ms, Call p2 1 ms, x 3 ms,
  // reply 1 ms, Reply 1 ms = 11 ms, and nothing overlaps: the network spans ("b"/"e") and the
  // jobs ("X", cat job) of transaction 0 sum to the latency the client saw.
  const app::Scenario s = test::scenario(kChain, {{"patterns", "[orchestration]"}});
  const Traced t = traced(s, models::TxnFilter{{0}, 0});
  int64_t jobs = 0, network = 0, first = INT64_MAX, last = 0;
  std::map<std::string, int64_t> begun;
  for (const auto& e : t.json["traceEvents"]) {
    if (e["ph"] == "M") continue;
    const int64_t ts = ns(e["ts"]);
    first = std::min(first, ts);
    last = std::max(last, ts + (e.contains("dur") ? ns(e["dur"]) : 0));
    if (e["ph"] == "X" && e["cat"] == "job") jobs += ns(e["dur"]);
    if (e["ph"] == "b") begun[e["id"].dump()] = ts;
    if (e["ph"] == "e") network += ts - begun.at(e["id"].dump());
  }
  CHECK(jobs == 5'000'000);
  CHECK(network == 6'000'000);
  const auto& m = t.results.at(0).metrics;
  REQUIRE(m.acceptance.count() == 1);
  CHECK(jobs + network == m.acceptance.max_ns());
  CHECK(last - first == m.acceptance.max_ns());
}

TEST_CASE("Trace: a sample follows the same transactions under every pattern", "[app][trace]") {
  const app::Scenario s = test::scenario(kChain, {{"transactions", "40"}});
  const Traced t = traced(s, models::TxnFilter{{}, 0.25});
  check_format(t.json);
  // The transactions each pattern's processes show (pids of one run are one block).
  std::map<int, std::set<uint64_t>> by_run;
  for (const auto& e : t.json["traceEvents"]) {
    if (e["ph"] == "M" || !e.contains("args") || !e["args"].contains("txn")) continue;
    by_run[e["pid"].get<int>() >> 20].insert(e["args"]["txn"].get<uint64_t>());
  }
  REQUIRE(by_run.size() == 3);
  CHECK(by_run[0] == by_run[1]);
  CHECK(by_run[0] == by_run[2]);
  // About a quarter of 40, and never all or none.
  CHECK(by_run[0].size() >= 4);
  CHECK(by_run[0].size() <= 18);
}

TEST_CASE("Trace: a lost message has no arrow and ends in an instant that says why",
          "[app][trace]") {
  const app::Scenario s = test::scenario(
      kChain, {{"patterns", "[orchestration]"}, {"network.loss", "0.3"}, {"transactions", "20"}});
  const Traced t = traced(s, models::TxnFilter{{}, 1});
  check_format(t.json);
  size_t dropped = 0;
  for (const auto& e : t.json["traceEvents"]) {
    if (e["ph"] == "i" && e["cat"] == "drop") {
      ++dropped;
      CHECK(e["name"].get<std::string>().ends_with("dropped: lost"));
    }
  }
  CHECK(dropped == t.results.at(0).network.lost);
  CHECK(dropped > 0);
}

TEST_CASE("Trace: the choice of transactions is checked", "[app][trace]") {
  CHECK(app::parse_outcome("violated", "--trace-outcome").value() == models::Outcome::kViolated);
  CHECK(app::parse_outcome("broken", "--trace-outcome").status().message() ==
        "--trace-outcome broken: expected an outcome: committed, aborted, failed, blocked or "
        "violated");
}
