#include <fmt/format.h>

#include <algorithm>

#include "app/scenario_internal.hpp"
#include "sim/suggest.hpp"

namespace app {

using models::ScenarioConfig;

const models::ServiceConfig* find_service(const ScenarioConfig& c, const std::string& name) {
  const auto i = c.find_service(name);
  return i ? &c.services[*i] : nullptr;
}

std::vector<std::string> service_names(const ScenarioConfig& c) {
  std::vector<std::string> v;
  for (const auto& s : c.services) v.push_back(s.name);
  return v;
}

std::vector<std::string> op_names(const models::ServiceConfig& s) {
  std::vector<std::string> v;
  for (const auto& o : s.ops) v.push_back(o.name);
  return v;
}

// A node name that must exist: a service, or (where allowed) the broker or the client.
std::string read_node_ref(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                          const ScenarioConfig& c, bool allow_infra) {
  // A node may be one replica of a service: NAME#K, K from 1 to its replicas.
  if (allow_infra && n.IsScalar() && n.Scalar().find('#') != std::string::npos) {
    const std::string& text = n.Scalar();
    const size_t hash = text.find('#');
    const std::string svc = text.substr(0, hash), index = text.substr(hash + 1);
    const models::ServiceConfig* s = find_service(c, svc);
    if (s == nullptr) {
      auto near = sim::closest_match(svc, service_names(c));
      ctx.fail(n, path,
               fmt::format("unknown service \"{}\" in the replica \"{}\"{}; the services are {}",
                           svc, text, near ? fmt::format(" (did you mean \"{}\"?)", *near) : "",
                           sim::join_all(service_names(c))));
    }
    const bool digits = !index.empty() && index.find_first_not_of("0123456789") == std::string::npos &&
                        index.size() <= 6;
    const unsigned long k = digits ? std::stoul(index) : 0;
    if (s->replicas == 1 || k < 1 || k > s->replicas) {
      ctx.fail(n, path,
               s->replicas == 1
                   ? fmt::format("service \"{}\" has one replica, named \"{}\" (a replica "
                                 "NAME#K exists only with replicas: 2 or more)",
                                 svc, svc)
                   : fmt::format("service \"{}\" has replicas {}#1 to {}#{}, found \"{}\"", svc, svc,
                                 svc, s->replicas, text));
    }
    return text;
  }
  const std::string name = read_name(ctx, n, path);
  if (find_service(c, name)) return name;
  std::vector<std::string> acceptors;
  if (c.two_phase_commit.own_acceptor_nodes()) {
    for (uint32_t k = 1; k <= c.two_phase_commit.acceptors(); ++k) acceptors.push_back(fmt::format("acceptor{}", k));
  }
  if (allow_infra && (name == "client" || (name == "broker" && c.broker.present) ||
                      (name == "collector" && c.tracing.present) ||
                      std::find(acceptors.begin(), acceptors.end(), name) != acceptors.end())) {
    return name;
  }
  std::vector<std::string> valid = service_names(c);
  if (allow_infra) {
    valid.push_back("client");
    if (c.broker.present) valid.push_back("broker");
    if (c.tracing.present) valid.push_back("collector");
    valid.insert(valid.end(), acceptors.begin(), acceptors.end());
  }
  auto near = sim::closest_match(name, valid);
  const bool acceptor_like = allow_infra && acceptors.empty() && name.starts_with("acceptor");
  ctx.fail(n, path,
           fmt::format("unknown {} \"{}\"{}; the {} are {}{}", allow_infra ? "node" : "service",
                       name, near ? fmt::format(" (did you mean \"{}\"?)", *near) : "",
                       allow_infra ? "nodes" : "services", sim::join_all(valid),
                       acceptor_like ? " (acceptor nodes exist under two_phase_commit: {variant: "
                                       "paxos_commit}, with acceptors: own_nodes)"
                                     : ""));
}

std::string read_op_ref(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                        const models::ServiceConfig& s) {
  const std::string op = read_name(ctx, n, path);
  const auto ops = op_names(s);
  if (std::find(ops.begin(), ops.end(), op) != ops.end()) return op;
  auto near = sim::closest_match(op, ops);
  if (ops.empty()) {
    ctx.fail(n, path,
             fmt::format("service \"{}\" has no operation \"{}\"; declare it under "
                         "services.{}.ops, e.g. {}: exp(5ms)",
                         s.name, op, s.name, op));
  }
  ctx.fail(n, path,
           fmt::format("service \"{}\" has no operation \"{}\"{}; its operations are {}", s.name,
                       op, near ? fmt::format(" (did you mean \"{}\"?)", *near) : "",
                       sim::join_all(ops)));
}

}  // namespace app
