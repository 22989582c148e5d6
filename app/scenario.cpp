// Loading a scenario: the file, the overrides, then each section in turn and the checks
// across them. The parts live in scenario_*.cpp (scenario_internal.hpp).
#include "app/scenario.hpp"

#include <fmt/format.h>

#include "app/files.hpp"
#include "app/scenario_fields.hpp"
#include "app/scenario_internal.hpp"
#include "app/yaml_reader.hpp"
#include "models/registry.hpp"

namespace app {


using models::ScenarioConfig;

ScenarioConfig read_config(const Ctx& ctx, const yaml::Node& root, std::vector<std::string>& warnings) {
  if (!root.IsMap()) {
    ctx.fail(root, "",
             fmt::format("expected a scenario (a mapping with keys such as name, services, "
                         "workflow), found {}",
                         describe(root)));
  }
  MapReader top(ctx, root, "", field_keys(""));
  ScenarioConfig c;
  if (top.has("name")) c.name = read_string(ctx, top.get("name"), "name");
  if (top.has("seed")) c.seed = read_count(ctx, top.get("seed"), "seed", 0, UINT64_MAX);
  if (top.has("duration")) c.duration = read_duration(ctx, top.get("duration"), "duration", true);
  if (top.has("transactions")) c.transactions = read_count(ctx, top.get("transactions"), "transactions", 1, UINT64_MAX);
  if (top.has("warmup")) c.warmup = read_duration(ctx, top.get("warmup"), "warmup");
  if (top.has("drain")) c.drain = read_duration(ctx, top.get("drain"), "drain");
  top.require("workload", "workload: {arrival: poisson, rate: 200/s}");
  read_workload(ctx, top.get("workload"), c);
  top.require("services", "services: {payment: {workers: 4, ops: {charge: exp(5ms)}}}");
  if (top.has("broker")) read_broker(ctx, top.get("broker"), c);
  if (top.has("tracing")) read_tracing(ctx, top.get("tracing"), c);
  read_services(ctx, top.get("services"), c);
  read_workflows(ctx, root, c);
  if (top.has("patterns")) {
    read_patterns(ctx, top.get("patterns"), c);
  } else {
    c.patterns = {models::default_choice(*models::find_pattern("orchestration"))};
  }
  if (top.has("retry")) read_retry(ctx, top.get("retry"), c);
  if (top.has("timeouts")) read_timeouts(ctx, top.get("timeouts"), c);
  if (top.has("two_phase_commit")) read_two_phase_commit(ctx, top.get("two_phase_commit"), c);
  // (after two_phase_commit: a link may name Paxos Commit's acceptor nodes)
  if (top.has("network")) read_network(ctx, top.get("network"), c);
  if (top.has("tcc")) read_tcc(ctx, top.get("tcc"), c);
  if (top.has("faults")) read_faults(ctx, top.get("faults"), c);
  check_cross(ctx, root, c);
  add_warnings(c, warnings);
  return c;
}

sim::Result<Scenario> load_scenario_text(const std::string& text, const std::string& file,
                                         const std::vector<Override>& overrides) {
  Scenario s;
  s.file = file;
  s.text = text;
  if (std::string shape = check_shape(text, file); !shape.empty()) {
    return sim::Status::invalid(shape);
  }
  Ctx ctx(file, text, overrides);
  try {
    yaml::Node root;
    try {
      root = yaml::load(text);
    } catch (const YAML::ParserException& e) {
      return sim::Status::invalid(fmt::format("{}:{}:{}: invalid YAML: {}{}", file, e.mark.line + 1,
                                              e.mark.column + 1, e.msg, yaml_hint(text, e.mark, e.msg)));
    }
    if (!root.IsDefined() || root.IsNull()) {
      return sim::Status::invalid(fmt::format("{}: the file is empty; a scenario needs at least "
                                              "services, workload and workflow",
                                              file));
    }
    for (const Override& o : overrides) apply_override(root, o, o.where());
    s.config = read_config(ctx, root, s.warnings);
    if (root.IsMap() && root["sweep"].IsDefined()) {
      s.sweep = read_sweep(ctx, root["sweep"]);
      check_sweep_axes(ctx, root, s.sweep, text, overrides);
    }
  } catch (const LoadError& e) {
    return sim::Status::invalid(e.what());
  } catch (const YAML::Exception& e) {
    return sim::Status::invalid(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return s;
}

sim::Result<Scenario> load_scenario_file(const std::string& path,
                                         const std::vector<Override>& overrides) {
  // (Read one byte past the limit, so that check_shape reports a file too large, and a
  // device such as /dev/zero costs no more than that.)
  auto text = read_file(path, kMaxScenarioBytes + 1);
  if (!text.ok()) return text.status();
  return load_scenario_text(text.value(), path, overrides);
}

}  // namespace app
