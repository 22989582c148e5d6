// The table of scenario fields (app/scenario_fields.hpp): its groups hang together, the
// readers accept exactly its keys, every default it documents is the default the loader
// applies, and --set reaches a field the file leaves at its default.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "app/runner.hpp"
#include "app/scenario.hpp"
#include "app/scenario_fields.hpp"
#include "app/yaml_tree.hpp"
#include "models/registry.hpp"

namespace {

// Three scenarios that between them hold an entry of every group, each leaving most fields
// at their defaults: an open loop with every section, a closed loop with a pattern written
// as a mapping, and one without `patterns`.
const char* kOpen = R"(name: open
seed: 3
transactions: 300
workload:
  rate: 50/s
  phases: [{at: 2s, rate: 80/s}]
  deadline: 2s
  retry: {attempts: 2, timeout: 500ms}
network:
  latency: exp(1ms)
  links: [{from: order, to: payment, latency: exp(2ms)}]
services:
  order: {workers: 2, ops: {place: exp(1ms)}}
  payment:
    ops: {charge: exp(2ms), refund: exp(1ms), hold: 1ms, release: 1ms}
    keys: {count: 100}
  stock: {workers: 2, ops: {reserve: exp(2ms), restock: exp(1ms), read: exp(1ms)}, mttf: 5s, mttr: 200ms}
  db: {workers: 4, ops: {get: exp(0.5ms)}}
broker: {latency: exp(1ms)}
tracing: {span_cpu: 100us, collector: {queue: 50}}
workflow:
  entry: order
  entry_op: place
  steps:
    - {service: payment, action: charge, compensate: refund, confirm: hold, cancel: release,
       fails: 0.1, calls: [{service: db, action: get}]}
    - {service: stock, action: reserve, compensate: restock}
patterns: [orchestration, choreography, two_phase_commit, saga_orchestrated, tcc]
retry: {attempts: 2}
timeouts: {}
two_phase_commit: {}
tcc: {}
faults:
  - {at: 1s, crash: payment, for: 300ms}
  - {at: 3s, cut: {from: [order], to: [stock]}, for: 200ms}
)";

const char* kClosed = R"(name: closed
transactions: 200
workload: {arrival: closed, clients: 5, deadline: 1s}
services:
  order: {workers: 2, ops: {place: exp(1ms)}}
  payment: {workers: 2, ops: {charge: exp(2ms), refund: exp(1ms)}}
broker: {}
workflow:
  entry: order
  steps: [{service: payment, action: charge, compensate: refund, errors: 0.2}]
patterns: [saga_orchestrated, {pattern: orchestration}]
retry: {attempts: 3, backoff: {base: 10ms, max: 100ms}}
)";

const char* kBare = R"(transactions: 200
workload: {rate: 100/s}
services:
  order: {ops: {place: exp(1ms)}}
  payment: {workers: 2, ops: {charge: exp(2ms)}}
workflow: {entry: order, steps: [{service: payment, action: charge, errors: 0.1}]}
network: {loss: 0.01}
tracing: {sample: 0.5}
retry: {compensation_attempts: 0}
)";

// Paxos Commit, whose acceptors' fields the other variants refuse.
const char* kPaxos = R"(transactions: 200
workload: {rate: 100/s}
services:
  order: {ops: {place: exp(1ms)}}
  payment: {workers: 2, ops: {charge: exp(2ms)}}
  stock: {workers: 2, ops: {take: exp(2ms)}}
workflow: {entry: order, steps: [{service: payment, action: charge, errors: 0.1}, {service: stock, action: take}]}
network: {loss: 0.01}
patterns: [two_phase_commit]
two_phase_commit: {variant: paxos_commit}
timeouts: {call: 20ms, prepare: 100ms}
)";

// Where each group's first entry is in the scenarios above.
const std::vector<std::pair<std::string_view, std::string>> kPlaces{
    {"", ""},
    {"workload", "workload"},
    {"phase", "workload.phases.0"},
    {"client_retry", "workload.retry"},
    {"network", "network"},
    {"link", "network.links.0"},
    {"service", "services.payment"},
    {"keys", "services.payment.keys"},
    {"broker", "broker"},
    {"tracing", "tracing"},
    {"collector", "tracing.collector"},
    {"workflow", "workflow"},
    {"step", "workflow.steps.0"},
    {"call", "workflow.steps.0.calls.0"},
    {"pattern", "patterns.1"},
    {"retry", "retry"},
    {"backoff", "retry.backoff"},
    {"timeouts", "timeouts"},
    {"two_phase_commit", "two_phase_commit"},
    {"tcc", "tcc"},
    {"fault", "faults.0"},
    {"cut", "faults.1.cut"},
};

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= path.size()) {
    const size_t dot = path.find('.', from);
    out.push_back(path.substr(from, dot == std::string::npos ? std::string::npos : dot - from));
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  return out;
}

// The node at `path` of `text`, or an undefined node.
app::yaml::Node at(const std::string& text, const std::string& path) {
  app::yaml::Node cur = app::yaml::load(text);
  if (path.empty()) return cur;
  for (const std::string& seg : split(path)) {
    app::yaml::Node next;
    if (cur.IsMap()) {
      next = cur[seg];
    } else if (cur.IsSequence() && std::all_of(seg.begin(), seg.end(), ::isdigit) &&
               std::stoul(seg) < cur.size()) {
      next = cur[std::stoul(seg)];
    } else {
      return app::yaml::Node();
    }
    if (!next.IsDefined()) return next;
    cur.reset(next);
  }
  return cur;
}

// The fingerprints of the scenario's runs, or nothing when the loader refuses it.
std::vector<uint64_t> fingerprints(const std::string& text, const std::vector<app::Override>& o) {
  auto s = app::load_scenario_text(text, "fields.yaml", o);
  if (!s.ok()) return {};
  auto runs = app::run_scenario(s.value(), {});
  REQUIRE(runs.ok());
  std::vector<uint64_t> out;
  for (const auto& r : runs.value()) out.push_back(r.fingerprint);
  return out;
}

}  // namespace

TEST_CASE("Fields: every group is reachable, every sub-group exists and has fields", "[app][fields]") {
  const auto groups = app::field_groups();
  std::set<std::string_view> reached{""};
  for (const app::Field& f : app::scenario_fields()) {
    INFO(fmt::format("{}.{}", f.group, f.key));
    CHECK(std::find(groups.begin(), groups.end(), f.group) != groups.end());
    CHECK_FALSE(f.doc.empty());
    // A field has a default value, or says in words what it is (or that it is optional).
    if (!f.value.empty()) CHECK(f.note.empty());
    if (!f.sub.empty()) {
      CHECK(std::find(groups.begin(), groups.end(), f.sub) != groups.end());
      reached.insert(f.sub);
    }
    if (f.type == app::FieldType::kChoice && !f.value.empty()) {
      const auto words = app::field_choices(f.group, f.key);
      CHECK(std::find(words.begin(), words.end(), std::string(f.value)) != words.end());
    }
  }
  for (std::string_view g : groups) {
    INFO(std::string(g));
    CHECK(reached.count(g) == 1);
    CHECK_FALSE(app::field_keys(g).empty());
  }
  // Keys are unique within a group.
  for (std::string_view g : groups) {
    auto keys = app::field_keys(g);
    std::sort(keys.begin(), keys.end());
    CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  }
  CHECK(app::type_name(*app::find_field("pattern", "pattern")) ==
        fmt::format("one of {}", fmt::join(models::pattern_names(), ", ")));
}

TEST_CASE("Fields: writing a documented default changes nothing in the run", "[app][fields]") {
  // For each field with a default value, in each scenario that has the field's group but
  // leaves the field out, the run with --set FIELD=DEFAULT has the same fingerprint (every
  // event, in order) under every pattern as the run without. A default in the table that
  // differs from the loader's would change the run. A field of one mode only (think time
  // in a closed loop) is refused by the others; it must be accepted by at least one.
  const std::vector<const char*> bases{kOpen, kClosed, kBare, kPaxos};
  std::vector<std::string> unchecked;
  size_t checked = 0;
  for (const app::Field& f : app::scenario_fields()) {
    if (f.value.empty()) continue;
    const auto place = std::find_if(kPlaces.begin(), kPlaces.end(), [&](const auto& p) { return p.first == f.group; });
    REQUIRE(place != kPlaces.end());
    const std::string path = place->second.empty() ? std::string(f.key) : fmt::format("{}.{}", place->second, f.key);
    bool any = false;
    for (const char* base : bases) {
      if (!at(base, place->second).IsDefined() || at(base, path).IsDefined()) continue;
      const auto with = fingerprints(base, {{path, std::string(f.value)}});
      if (with.empty()) continue;
      INFO(fmt::format("--set {}={} on\n{}", path, f.value, base));
      CHECK(with == fingerprints(base, {}));
      any = true;
      ++checked;
    }
    if (!any) unchecked.push_back(path);
  }
  INFO(fmt::format("no scenario here leaves out {}", fmt::join(unchecked, ", ")));
  CHECK(unchecked.empty());
  CHECK(checked > 40);
}

TEST_CASE("Fields: --set reaches fields the file leaves out, and the table names the rest", "[app][fields]") {
  auto error_of = [](const std::vector<app::Override>& o) {
    auto s = app::load_scenario_text(kBare, "bare.yaml", o);
    return s.ok() ? std::string("(loaded)") : s.status().message();
  };
  // Sections the file does not have are made on the way.
  CHECK(error_of({{"timeouts.call", "50ms"}, {"tcc.expiry", "1s"}, {"broker.redelivery", "2s"},
                  {"workload.retry.attempts", "2"}, {"workload.retry.timeout", "1s"},
                  {"tracing.collector.workers", "2"}, {"services.payment.keys.count", "10"}}) == "(loaded)");
  CHECK(error_of({{"retry.backoff.base", "20ms"}, {"retry.backoff.max", "1s"}}) == "(loaded)");
  // A misspelt field on the way is caught with the table's suggestion.
  CHECK(error_of({{"workload.retri.attempts", "2"}}) ==
        "--set workload.retri.attempts=2: no field \"retri\" in workload (did you mean \"retry\"?)");
  CHECK(error_of({{"tracing.colector.workers", "2"}}) ==
        "--set tracing.colector.workers=2: no field \"colector\" in tracing (did you mean \"collector\"?)");
  CHECK(error_of({{"timeouts.zzz.x", "2"}}) ==
        "--set timeouts.zzz.x=2: no field \"zzz\" in timeouts; its fields are \"call\", \"prepare\", "
        "\"lock_wait\" and \"log_force\"");
  // A plain value the file leaves out has no fields.
  CHECK(error_of({{"drain.x", "1"}}) == "--set drain.x=1: drain is a duration, so it has no field \"x\"");
  CHECK(error_of({{"timeouts.call.x", "1"}}) ==
        "--set timeouts.call.x=1: timeouts.call is a duration, so it has no field \"x\"");
  // The last key is the loader's to check, against the same table.
  CHECK(error_of({{"timeouts.cal", "1s"}}) ==
        "--set timeouts.cal=1s: timeouts: unknown key \"cal\" (did you mean \"call\"?)");
}
