#include "models/world.hpp"

#include <algorithm>

#include "sim/assert.hpp"

namespace models {
namespace {

sim::NodeConfig node_config(const ServiceConfig& s, bool is_entry,
                            const std::optional<std::string>& entry_op) {
  sim::NodeConfig n;
  n.name = s.name;
  n.workers = s.workers;
  n.queue_capacity = s.queue;
  n.call_model = s.calls;
  n.ops = s.ops;
  if (is_entry && !entry_op) n.ops.push_back({kImplicitRequestOp, sim::Distribution::constant({})});
  return n;
}

}  // namespace

World::World(const ScenarioConfig& cfg, uint64_t replication)
    : cfg_(cfg), replication_(replication) {
  std::vector<std::string> names{"client"};
  for (const ServiceConfig& s : cfg.services) names.push_back(s.name);
  if (cfg.broker.present) names.push_back("broker");
  auto id_of = [&](const std::string& n) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == n) return static_cast<sim::NodeId>(i);
    }
    SIM_ASSERT(false, "a name the loader should have checked is unknown");
    return sim::kNoNode;
  };

  sim::NetworkConfig nc;
  nc.latency = cfg.network.latency;
  nc.loss = cfg.network.loss;
  nc.duplicate = cfg.network.duplicate;
  nc.full_mesh = cfg.network.full_mesh;
  for (const LinkSpec& l : cfg.network.links) {
    nc.links.push_back({id_of(l.from), id_of(l.to), l.latency, l.loss, l.duplicate, l.both_ways});
  }
  net_ = std::make_unique<sim::Network>(sim_, names, nc, cfg.seed, replication);

  sim::NodeConfig client;
  client.name = "client";
  nodes_.push_back(std::make_unique<sim::Node>(sim_, *net_, 0, client, cfg.seed, replication));
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    const ServiceConfig& s = cfg.services[i];
    nodes_.push_back(std::make_unique<sim::Node>(
        sim_, *net_, static_cast<sim::NodeId>(i + 1),
        node_config(s, s.name == cfg.workflow.entry, cfg.workflow.entry_op), cfg.seed,
        replication));
  }
  if (cfg.broker.present) {
    broker_ = static_cast<sim::NodeId>(nodes_.size());
    sim::NodeConfig b;
    b.name = "broker";
    b.workers = cfg.broker.workers;
    b.ops = {{"handle", cfg.broker.latency}};
    nodes_.push_back(std::make_unique<sim::Node>(sim_, *net_, broker_, b, cfg.seed, replication));
  }

  std::vector<sim::Node*> raw;
  for (auto& n : nodes_) raw.push_back(n.get());
  failures_ = std::make_unique<sim::FailureInjector>(sim_, raw, cfg.seed, replication);
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    const ServiceConfig& s = cfg.services[i];
    if (s.mttf && s.mttr) failures_->add_random(static_cast<sim::NodeId>(i + 1), *s.mttf, *s.mttr);
  }
  if (cfg.broker.present && cfg.broker.mttf && cfg.broker.mttr) {
    failures_->add_random(broker_, *cfg.broker.mttf, *cfg.broker.mttr);
  }
  for (const FaultConfig& f : cfg.faults) {
    switch (f.kind) {
      case FaultConfig::Kind::kCrash:
        failures_->add_crash(id_of(f.node), f.at, f.duration);
        break;
      case FaultConfig::Kind::kPartition: {
        sim::Partition p;
        for (const auto& g : f.groups) {
          p.groups.emplace_back();
          for (const auto& n : g) p.groups.back().push_back(id_of(n));
        }
        p.start = f.at;
        p.end = sim::Time::saturating_add(f.at, f.duration);
        net_->add_partition(std::move(p));
        break;
      }
      case FaultConfig::Kind::kOneWay: {
        sim::Partition p;
        for (const auto& n : f.from) p.from.push_back(id_of(n));
        for (const auto& n : f.to) p.to.push_back(id_of(n));
        p.start = f.at;
        p.end = sim::Time::saturating_add(f.at, f.duration);
        net_->add_partition(std::move(p));
        break;
      }
    }
  }

  keys_.resize(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const bool svc = i >= 1 && i <= cfg.services.size();
    keys_[i] = std::make_unique<KeyChooser>(svc ? cfg.services[i - 1].keys : KeySpace{});
  }
  workflow_ = std::make_unique<Workflow>(cfg.workflow, *this);
  ledger_ = std::make_unique<Ledger>(workflow_->side_effect_mask(), cfg.workload.deadline,
                                     cfg.warmup);
  if (cfg.transactions) ledger_->reserve(std::min<uint64_t>(*cfg.transactions, 10'000'000));
}

std::optional<sim::NodeId> World::find_service(const std::string& name) const {
  for (size_t i = 0; i < cfg_.services.size(); ++i) {
    if (cfg_.services[i].name == name) return static_cast<sim::NodeId>(i + 1);
  }
  return std::nullopt;
}

sim::NodeId World::service(const std::string& name) const {
  auto id = find_service(name);
  SIM_ASSERT(id.has_value(), "unknown service");
  return *id;
}

}  // namespace models
