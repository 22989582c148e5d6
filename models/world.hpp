// models::World: one simulated deployment, built from a ScenarioConfig for one run (one
// pattern, one replication): the simulation, the network, a node per service plus the
// client (and the broker, if the scenario has one), the failure injector, the compiled
// workflow and the ledger. Patterns install their behaviors on its nodes.
//
// Node ids: 0 is the client, 1..S the services in scenario order, S+1 the broker.
// Every random stream is derived from (scenario seed, stream name, replication), so two
// Worlds built from the same scenario and replication see the same arrivals, failure times
// and business failures whatever pattern runs in them.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "models/config.hpp"
#include "models/grow.hpp"
#include "models/keys.hpp"
#include "models/ledger.hpp"
#include "models/workflow.hpp"
#include "sim/failure.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/simulation.hpp"

namespace models {

// The requests an entry service has accepted, by transaction id: durable, so that a
// request the network delivers twice starts its transaction once (an idempotency key).
class RequestLog {
 public:
  // Returns true iff txn is new (and records it).
  bool first(uint64_t txn) {
    grow_to(seen_, txn, false);
    if (seen_[txn]) return false;
    seen_[txn] = true;
    return true;
  }

 private:
  std::vector<bool> seen_;
};

// The operation every entry service gets when the workflow names no entry_op: zero time,
// so that a request still occupies a worker (what the blocking call model needs).
inline constexpr const char* kImplicitRequestOp = "_request";

class World {
 public:
  World(const ScenarioConfig& cfg, uint64_t replication);
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  const ScenarioConfig& config() const { return cfg_; }
  uint64_t replication() const { return replication_; }
  sim::Simulation& sim() { return sim_; }
  sim::Network& net() { return *net_; }
  sim::Node& node(sim::NodeId id) { return *nodes_[id]; }
  const sim::Node& node(sim::NodeId id) const { return *nodes_[id]; }
  size_t node_count() const { return nodes_.size(); }
  sim::NodeId client() const { return 0; }
  bool has_broker() const { return broker_ != sim::kNoNode; }
  sim::NodeId broker() const { return broker_; }
  // The node of a service by name. REQUIRES: the service exists.
  sim::NodeId service(const std::string& name) const;
  std::optional<sim::NodeId> find_service(const std::string& name) const;
  const ServiceConfig& service_config(sim::NodeId id) const { return cfg_.services[id - 1]; }
  bool is_service(sim::NodeId id) const { return id >= 1 && id <= cfg_.services.size(); }

  const Workflow& workflow() const { return *workflow_; }
  Ledger& ledger() { return *ledger_; }
  const Ledger& ledger_view() const { return *ledger_; }
  // The key space of a service (contention), built once per world.
  const KeyChooser& keys(sim::NodeId service) const { return *keys_[service]; }
  sim::FailureInjector& failures() { return *failures_; }

  // Sends m from `from`, counting it against its transaction.
  void send(sim::Node& from, const sim::Message& m) {
    ledger_->message(m.txn);
    from.send(m);
  }
  // Sends a message to or from the broker: counted as a network and a broker message.
  void send_broker(sim::Node& from, const sim::Message& m) {
    ledger_->broker_message(m.txn);
    from.send(m);
  }
  double uniform(uint64_t txn, uint32_t step, uint32_t purpose) const {
    return hashed_uniform(cfg_.seed, replication_, txn, step, purpose);
  }
  // Returns true iff step refuses transaction txn for a business reason (the same answer at
  // every attempt and under every pattern).
  bool refuses(uint64_t txn, const Step& step) const {
    return step.fails > 0 && uniform(txn, step.index, kBusinessFailure) < step.fails;
  }
  // Returns true iff attempt number `attempt` (from 1) of step fails with a technical error
  // (the same draw under every pattern for the same attempt). Counted in the ledger.
  bool technical_error(uint64_t txn, const Step& step, uint32_t attempt) {
    if (step.errors <= 0 ||
        uniform(txn, step.index, kTechnicalError + (attempt << 8)) >= step.errors) {
      return false;
    }
    ledger_->technical_error(txn);
    return true;
  }

 private:
  const ScenarioConfig& cfg_;
  uint64_t replication_;
  sim::Simulation sim_;
  std::unique_ptr<sim::Network> net_;
  std::vector<std::unique_ptr<sim::Node>> nodes_;
  std::unique_ptr<sim::FailureInjector> failures_;
  std::unique_ptr<Workflow> workflow_;
  std::unique_ptr<Ledger> ledger_;
  std::vector<std::unique_ptr<KeyChooser>> keys_;  // by node id (client and broker: none)
  sim::NodeId broker_ = sim::kNoNode;
};

}  // namespace models
