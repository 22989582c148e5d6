// The scenario loader's parts, shared between its files (not an interface of app/):
// scenario.cpp reads the file and calls the rest in order; scenario_sections.cpp and
// scenario_policies.cpp read the sections; scenario_refs.cpp reads references to services,
// operations and nodes; scenario_workflow.cpp reads the workflow and checks the saga order;
// scenario_checks.cpp checks across sections; scenario_sweep.cpp reads the sweep;
// scenario_override.cpp applies --set; scenario_shape.cpp bounds the text before parsing.
// The key lists come from the field table (scenario_fields.hpp). Each reader throws
// LoadError with a finished message (yaml_reader.hpp).
#pragma once

#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "app/yaml_reader.hpp"
#include "models/config.hpp"

namespace app {

// The largest scenario file read (100,000 services in call trees take about 7 MiB).
constexpr size_t kMaxScenarioBytes = size_t{64} << 20;

// The whole scenario at `root`, with warnings about its load (scenario.cpp).
models::ScenarioConfig read_config(const Ctx& ctx, const yaml::Node& root, std::vector<std::string>& warnings);

// Sections that describe the system (scenario_sections.cpp).
void read_workload(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);
void read_services(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);  // REQUIRES: broker, tracing read
void read_network(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);   // REQUIRES: services read
void read_broker(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);
void read_tracing(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);

// Sections that choose how it runs (scenario_policies.cpp).
void read_patterns(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);
// A backoff: "exponential(base: B, max: M)", {base: B, max: M}, or a plain duration.
void read_backoff(const Ctx& ctx, const yaml::Node& n, const std::string& path, models::RetryConfig& r);
void read_retry(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);
void read_timeouts(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);
void read_two_phase_commit(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);
void read_tcc(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);
void read_faults(const Ctx& ctx, const yaml::Node& n, models::ScenarioConfig& c);  // REQUIRES: services read

// Across sections (scenario_checks.cpp): what one section requires of another, then the
// warnings about a scenario that runs but not as its author meant: a service or the broker
// that never reaches a steady state, a timeout shorter than the round trip it guards, a
// fault after the run's end.
void check_cross(const Ctx& ctx, const yaml::Node& root, const models::ScenarioConfig& c);
void add_warnings(const models::ScenarioConfig& c, std::vector<std::string>& warnings);

// The sweep block (scenario_sweep.cpp), and the check that every value of every axis, with
// the overrides, makes a valid scenario of `text`.
SweepSpec read_sweep(const Ctx& ctx, const yaml::Node& n);
void check_sweep_axes(const Ctx& ctx, const yaml::Node& root, const SweepSpec& sweep,
                      const std::string& text, const std::vector<Override>& overrides);

// Sets root at `o.path` to the YAML value of `o.value` (scenario_override.cpp); errors
// begin with `label`.
void apply_override(yaml::Node root, const Override& o, const std::string& label);

// Before parsing (scenario_shape.cpp): an error message when the text is too large or
// nested too deep, else ""; and a hint for a parse error at `mark`.
std::string check_shape(const std::string& text, const std::string& file);
std::string yaml_hint(const std::string& text, const YAML::Mark& mark, const std::string& error);

// The node at a dotted path from the root (workflow.steps.I, workflows.NAME.steps.I.calls.0):
// the place a step or a call was read from; and a step as SERVICE.ACTION
// (scenario_workflow.cpp).
yaml::Node node_at(const yaml::Node& root, const std::string& p);
std::string name_of(const models::StepConfig& s);

// References (scenario_refs.cpp).
const models::ServiceConfig* find_service(const models::ScenarioConfig& c, const std::string& name);
std::vector<std::string> service_names(const models::ScenarioConfig& c);
std::vector<std::string> op_names(const models::ServiceConfig& s);
// A node name that must exist: a service, or (allow_infra) the broker or the client.
std::string read_node_ref(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                          const models::ScenarioConfig& c, bool allow_infra);
// An operation that service s must have.
std::string read_op_ref(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                        const models::ServiceConfig& s);

// The workflows (scenario_workflow.cpp): root's `workflow` (one request type) or
// `workflows` (a mix). REQUIRES: services are read.
void read_workflows(const Ctx& ctx, const yaml::Node& root, models::ScenarioConfig& c);
// The checks of scenario_saga.cpp. The saga order (compensatable steps, at most one pivot, retriable steps) and what a saga
// needs of each kind, for every workflow; called when a saga pattern is listed.
void check_saga_order(const Ctx& ctx, const yaml::Node& root, const models::ScenarioConfig& c);
// Async steps travel through the broker: the scenario needs one.
void check_async_broker(const Ctx& ctx, const yaml::Node& root, const models::ScenarioConfig& c);
// A step on its workflow's entry service needs every listed pattern to co-locate it.
void check_colocation(const Ctx& ctx, const yaml::Node& root, const models::ScenarioConfig& c);
void check_saga_order(const Ctx& ctx, const yaml::Node& root, const models::ScenarioConfig& c,
                      const models::WorkflowConfig& wf);

}  // namespace app
