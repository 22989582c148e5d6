// The scenario loader's parts, shared between its files (not an interface of app/):
// scenario.cpp reads the file and the sections; scenario_refs.cpp reads references to
// services, operations and nodes; scenario_workflow.cpp reads the workflow and checks the
// saga order. Each reader throws LoadError with a finished message (yaml_reader.hpp).
#pragma once

#include <string>
#include <vector>

#include "app/yaml_reader.hpp"
#include "models/config.hpp"

namespace app {

// References (scenario_refs.cpp).
const models::ServiceConfig* find_service(const models::ScenarioConfig& c, const std::string& name);
std::vector<std::string> service_names(const models::ScenarioConfig& c);
std::vector<std::string> op_names(const models::ServiceConfig& s);
// A node name that must exist: a service, or (allow_infra) the broker or the client.
std::string read_node_ref(const Ctx& ctx, const YAML::Node& n, const std::string& path,
                          const models::ScenarioConfig& c, bool allow_infra);
// An operation that service s must have.
std::string read_op_ref(const Ctx& ctx, const YAML::Node& n, const std::string& path,
                        const models::ServiceConfig& s);

// The workflows (scenario_workflow.cpp): root's `workflow` (one request type) or
// `workflows` (a mix). REQUIRES: services are read.
void read_workflows(const Ctx& ctx, const YAML::Node& root, models::ScenarioConfig& c);
// The saga order (compensatable steps, at most one pivot, retriable steps) and what a saga
// needs of each kind, for every workflow; called when a saga pattern is listed.
void check_saga_order(const Ctx& ctx, const YAML::Node& root, const models::ScenarioConfig& c);
// Async steps travel through the broker: the scenario needs one.
void check_async_broker(const Ctx& ctx, const YAML::Node& root, const models::ScenarioConfig& c);
// A step on its workflow's entry service needs every listed pattern to co-locate it.
void check_colocation(const Ctx& ctx, const YAML::Node& root, const models::ScenarioConfig& c);
void check_saga_order(const Ctx& ctx, const YAML::Node& root, const models::ScenarioConfig& c,
                      const models::WorkflowConfig& wf);

}  // namespace app
