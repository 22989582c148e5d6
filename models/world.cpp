#include "models/world.hpp"

#include <cmath>

#include "models/tracing.hpp"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "models/grow.hpp"
#include "sim/assert.hpp"

namespace models {
namespace {

sim::NodeConfig node_config(const ServiceConfig& s, const std::string& name, bool implicit_op) {
  sim::NodeConfig n;
  n.name = name;
  n.workers = s.workers;
  n.queue_capacity = s.queue;
  n.call_model = s.calls;
  n.ops = s.ops;
  if (implicit_op) n.ops.push_back({kImplicitRequestOp, sim::Distribution::constant({})});
  return n;
}

// A replica's node name: the service's, or "name#k" for replica k (from 1) of several.
std::string replica_name(const ServiceConfig& s, uint32_t r) {
  return s.replicas == 1 ? s.name : s.name + "#" + std::to_string(r + 1);
}

}  // namespace

// Messages between roles on one node: delivered at once (as the next event), in order.
class World::LocalMail final : public sim::Handler {
 public:
  explicit LocalMail(World& w) : w_(w), self_(w.sim().add_handler(this)) {}
  void post(const sim::Message& m) {
    const uint32_t slot = take_slot(pool_, free_);
    pool_[slot] = m;
    w_.sim().schedule_after(sim::Time::zero(), self_, 0, slot);
  }
  void on_event(sim::Simulation&, const sim::Event& e) override {
    const auto slot = static_cast<uint32_t>(e.payload);
    const sim::Message m = pool_[slot];
    free_.push_back(slot);
    w_.node(m.dst).deliver(m);  // (dropped if the node crashed since)
  }

 private:
  World& w_;
  sim::HandlerId self_;
  std::vector<sim::Message> pool_;
  std::vector<uint32_t> free_;
};

World::~World() = default;

void World::send_local(sim::Node& from, const sim::Message& m) {
  if (!local_mail_) local_mail_ = std::make_unique<LocalMail>(*this);
  sim::Message copy = m;
  copy.src = from.id();
  local_mail_->post(copy);
}

World::World(const ScenarioConfig& cfg, uint64_t replication, PatternChoice pattern)
    : cfg_(cfg), replication_(replication), pattern_(pattern) {
  const size_t services = cfg.services.size();
  std::vector<std::string> names{"client"};
  node_service_.push_back(kNoService);
  for (ServiceId s = 0; s < services; ++s) {
    first_node_.push_back(static_cast<sim::NodeId>(names.size()));
    for (uint32_t r = 0; r < cfg.services[s].replicas; ++r) {
      names.push_back(replica_name(cfg.services[s], r));
      node_service_.push_back(s);
    }
  }
  if (cfg.broker.present) {
    names.push_back("broker");
    node_service_.push_back(kNoService);
  }
  if (cfg.tracing.present) {
    names.push_back("collector");
    node_service_.push_back(kNoService);
  }
  const TwoPhaseCommitConfig& tpc = cfg.two_phase_commit;
  if (tpc.own_acceptor_nodes()) {
    for (uint32_t k = 0; k < tpc.acceptors(); ++k) {
      names.push_back(fmt::format("acceptor{}", k + 1));
      node_service_.push_back(kNoService);
    }
  }
  // The nodes a name in links and faults stands for: a service's replicas, one replica
  // ("payment#2"), the client or the broker. (The names of single nodes are indexed only when
  // one is asked for: most scenarios name services only, and 100,000 of them took 0.03 s.)
  std::unordered_map<std::string, sim::NodeId> replica_by_name;
  auto nodes_of = [&](const std::string& n) {
    std::vector<sim::NodeId> out;
    if (auto s = find_service(n)) {
      for (uint32_t r = 0; r < replicas(*s); ++r) out.push_back(first_node_[*s] + r);
      return out;
    }
    if (replica_by_name.empty()) {
      for (size_t i = 0; i < names.size(); ++i) replica_by_name.emplace(names[i], static_cast<sim::NodeId>(i));
    }
    const auto it = replica_by_name.find(n);
    SIM_ASSERT(it != replica_by_name.end(), "a name the loader should have checked is unknown");
    out.push_back(it->second);
    return out;
  };

  sim::NetworkConfig nc;
  nc.latency = cfg.network.latency;
  nc.loss = cfg.network.loss;
  nc.duplicate = cfg.network.duplicate;
  nc.full_mesh = cfg.network.full_mesh;
  for (const LinkSpec& l : cfg.network.links) {
    for (sim::NodeId a : nodes_of(l.from)) {
      for (sim::NodeId b : nodes_of(l.to)) {
        nc.links.push_back({a, b, l.latency, l.loss, l.duplicate, l.both_ways});
      }
    }
  }
  net_ = std::make_unique<sim::Network>(sim_, names, nc, cfg.seed, replication);

  is_entry_.assign(services, false);
  std::vector<bool> implicit_op(services, false);
  for (const WorkflowConfig& wf : cfg.workflows) {
    const ServiceId e = service(wf.entry);
    is_entry_[e] = true;
    if (!wf.entry_op) implicit_op[e] = true;
  }
  sim::NodeConfig client;
  client.name = "client";
  nodes_.push_back(std::make_unique<sim::Node>(sim_, *net_, 0, client, cfg.seed, replication));
  for (ServiceId s = 0; s < services; ++s) {
    for (uint32_t r = 0; r < cfg.services[s].replicas; ++r) {
      const auto id = static_cast<sim::NodeId>(nodes_.size());
      nodes_.push_back(std::make_unique<sim::Node>(
          sim_, *net_, id, node_config(cfg.services[s], names[id], implicit_op[s]), cfg.seed,
          replication));
    }
  }
  if (cfg.broker.present) {
    broker_ = static_cast<sim::NodeId>(nodes_.size());
    sim::NodeConfig b;
    b.name = "broker";
    b.workers = cfg.broker.workers;
    b.ops = {{"handle", cfg.broker.latency}};
    nodes_.push_back(std::make_unique<sim::Node>(sim_, *net_, broker_, b, cfg.seed, replication));
  }
  if (cfg.tracing.present) {
    collector_ = static_cast<sim::NodeId>(nodes_.size());
    sim::NodeConfig c;
    c.name = "collector";
    c.workers = cfg.tracing.workers;
    c.queue_capacity = cfg.tracing.queue;
    c.ops = {{"collect", cfg.tracing.collect}};
    nodes_.push_back(std::make_unique<sim::Node>(sim_, *net_, collector_, c, cfg.seed, replication));
    tracing_ = std::make_unique<Tracing>(*this, collector_);
    nodes_[collector_]->set_behavior(tracing_.get());
    for (sim::NodeId n = 1; n < collector_; ++n) {
      if (is_service(n)) nodes_[n]->set_overhead(tracing_.get());
    }
  }

  if (tpc.own_acceptor_nodes()) {
    for (uint32_t k = 0; k < tpc.acceptors(); ++k) {
      const auto id = static_cast<sim::NodeId>(nodes_.size());
      acceptors_.push_back(id);
      sim::NodeConfig a;
      a.name = names[id];
      nodes_.push_back(std::make_unique<sim::Node>(sim_, *net_, id, a, cfg.seed, replication));
    }
  } else if (tpc.variant == TwoPhaseCommitConfig::Variant::kPaxosCommit) {
    const std::vector<std::string> hosts = acceptor_services(cfg.workflows);
    SIM_ASSERT(hosts.size() >= tpc.acceptors(), "the loader checks that every acceptor has a participant");
    for (uint32_t k = 0; k < tpc.acceptors(); ++k) acceptors_.push_back(first_node_[service(hosts[k])]);
  }

  std::vector<sim::Node*> raw;
  for (auto& n : nodes_) raw.push_back(n.get());
  failures_ = std::make_unique<sim::FailureInjector>(sim_, raw, cfg.seed, replication);
  for (ServiceId s = 0; s < services; ++s) {
    const ServiceConfig& sc = cfg.services[s];
    if (!sc.mttf || !sc.mttr) continue;
    for (uint32_t r = 0; r < sc.replicas; ++r) failures_->add_random(first_node_[s] + r, *sc.mttf, *sc.mttr);
  }
  if (cfg.broker.present && cfg.broker.mttf && cfg.broker.mttr) {
    failures_->add_random(broker_, *cfg.broker.mttf, *cfg.broker.mttr);
  }
  if (cfg.tracing.present && cfg.tracing.mttf && cfg.tracing.mttr) {
    failures_->add_random(collector_, *cfg.tracing.mttf, *cfg.tracing.mttr);
  }
  if (tpc.acceptor_mttf && tpc.acceptor_mttr) {
    for (sim::NodeId a : acceptors_) {
      if (!is_service(a)) failures_->add_random(a, *tpc.acceptor_mttf, *tpc.acceptor_mttr);
    }
  }
  for (const FaultConfig& f : cfg.faults) {
    switch (f.kind) {
      case FaultConfig::Kind::kCrash:
        for (sim::NodeId n : nodes_of(f.node)) failures_->add_crash(n, f.at, f.duration);
        break;
      case FaultConfig::Kind::kPartition: {
        sim::Partition p;
        for (const auto& g : f.groups) {
          p.groups.emplace_back();
          for (const auto& n : g) {
            for (sim::NodeId id : nodes_of(n)) p.groups.back().push_back(id);
          }
        }
        p.start = f.at;
        p.end = sim::Time::saturating_add(f.at, f.duration);
        net_->add_partition(std::move(p));
        break;
      }
      case FaultConfig::Kind::kOneWay: {
        sim::Partition p;
        for (const auto& n : f.from) {
          for (sim::NodeId id : nodes_of(n)) p.from.push_back(id);
        }
        for (const auto& n : f.to) {
          for (sim::NodeId id : nodes_of(n)) p.to.push_back(id);
        }
        p.start = f.at;
        p.end = sim::Time::saturating_add(f.at, f.duration);
        net_->add_partition(std::move(p));
        break;
      }
    }
  }

  for (ServiceId s = 0; s < services; ++s) keys_.push_back(std::make_unique<KeyChooser>(cfg.services[s].keys));
  request_logs_.resize(services);
  std::vector<uint32_t> masks;
  double total = 0;
  for (const WorkflowConfig& wf : cfg.workflows) total += wf.weight;
  for (size_t t = 0; t < cfg.workflows.size(); ++t) {
    workflows_.push_back(std::make_unique<Workflow>(cfg.workflows[t], static_cast<uint32_t>(t), *this));
    masks.push_back(workflows_.back()->side_effect_mask());
    type_cdf_.push_back((type_cdf_.empty() ? 0.0 : type_cdf_.back()) + cfg.workflows[t].weight / total);
  }
  type_cdf_.back() = 1.0;
  ledger_ = std::make_unique<Ledger>(std::move(masks), cfg.workload.deadline, cfg.warmup);
  ledger_->set_clock(sim_.clock());
  if (tracing_) tracing_->follow_ledger();
  for (RequestLog& log : request_logs_) log.follow(ledger_->released());
}

sim::Time World::quiet_period() const {
  // Every wait this pattern may start for a transaction, added up (those the scenario leaves
  // infinite, a client without a deadline, left out), twice over, and a second or a
  // thousand mean network delays for the messages between: a chain of timers and messages
  // about a finished transaction that outlasts this is not one these patterns make. A record
  // touched after its release is counted, never silently dropped (Ledger::late_touches()).
  const ScenarioConfig& c = cfg_;
  // (Time::from_seconds saturates: a product beyond the clock's range is "never".)
  auto times = [](sim::Time t, double n) { return sim::Time::from_seconds(t.seconds() * n); };
  sim::Time sum = sim::Time::zero();
  auto add = [&](sim::Time t) { sum = sim::Time::saturating_add(sum, t); };
  add(c.timeouts.call);
  add(c.timeouts.log_force);
  add(times(c.retry.backoff_max, std::max<uint32_t>(1, c.retry.attempts)));
  const std::string name = pattern_.info != nullptr ? pattern_.info->name : "";
  if (name == "two_phase_commit") {
    add(c.timeouts.prepare);
    add(c.timeouts.lock_wait);
  }
  if (name == "tcc") add(c.tcc.expiry);
  if (c.broker.present) {  // redeliveries (of commands, events or async steps)
    add(times(c.broker.redelivery_max, c.broker.max_attempts == 0 ? 16 : c.broker.max_attempts + 4));
  }
  const ClientRetryConfig& r = c.workload.retry;
  if (r.timeout != sim::Time::max()) add(times(sim::Time::saturating_add(r.timeout, r.backoff_max), r.attempts));
  if (c.workload.deadline != sim::Time::max()) add(c.workload.deadline);
  const sim::Time hops = sim::Time::from_seconds(c.network.latency.mean_ns() * 1e-9 * 1000);
  return sim::Time::saturating_add(sim::Time::saturating_add(sum, sum), std::max(sim::Time::from_s(1), hops));
}

uint32_t World::draw_type(uint64_t txn) const {
  if (type_cdf_.size() == 1) return 0;
  const double u = uniform(txn, 0, kRequestType);
  return static_cast<uint32_t>(std::upper_bound(type_cdf_.begin(), type_cdf_.end() - 1, u) -
                               type_cdf_.begin());
}

std::optional<ServiceId> World::find_service(const std::string& name) const {
  // (The loader's index of the services: the world keeps no copy of its own.)
  const auto i = cfg_.find_service(name);
  if (!i) return std::nullopt;
  return static_cast<ServiceId>(*i);
}

ServiceId World::service(const std::string& name) const {
  auto id = find_service(name);
  SIM_ASSERT(id.has_value(), "unknown service");
  return *id;
}

sim::Time World::open_quiet_period() const {
  const ScenarioConfig& c = cfg_;
  double repair_ns = 0;
  auto repair = [&](const std::optional<sim::Distribution>& mttr) {
    if (mttr) repair_ns = std::max(repair_ns, mttr->mean_ns());
  };
  for (const ServiceConfig& s : c.services) repair(s.mttr);
  repair(c.broker.mttr);
  repair(c.tracing.mttr);
  sim::Time faults = sim::Time::zero();
  for (const FaultConfig& f : c.faults) faults = std::max(faults, f.duration);
  const sim::Time repairs = sim::Time::from_seconds(repair_ns * 1e-9 * 20);
  const sim::Time q = quiet_period();
  return sim::Time::saturating_add(sim::Time::saturating_add(sim::Time::saturating_add(q, q), repairs), faults);
}

}  // namespace models
