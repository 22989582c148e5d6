// models::World: one simulated deployment, built from a ScenarioConfig for one run (one
// pattern, one replication): the simulation, the network, the nodes, the failure injector,
// the compiled workflows and the ledger. Patterns install their behaviors on its nodes.
//
// Services and nodes: a service (ServiceId, its index in the scenario) runs on `replicas`
// nodes, each with its own workers, queue and failures. Node ids: 0 is the client, then
// every service's replicas in scenario order, then the broker, the collector and Paxos
// Commit's own acceptor nodes (acceptor1, ...). A replica is named after its
// service ("payment"), or "payment#2" for the second of several; random streams are named
// after nodes, so a scenario without replicas draws exactly what it always did.
//
// Request types: a scenario has one workflow per request type; a transaction's type is a
// hashed draw from its id with the workflows' weights, so the same arrival is the same type
// under every pattern.
//
// Every random stream is derived from (scenario seed, stream name, replication), so two
// Worlds built from the same scenario and replication see the same arrivals, failure times
// and business failures whatever pattern runs in them.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/config.hpp"
#include "models/txn_array.hpp"
#include "models/keys.hpp"
#include "models/ledger.hpp"
#include "models/pattern.hpp"
#include "models/workflow.hpp"
#include "sim/failure.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/observer.hpp"
#include "sim/simulation.hpp"

namespace models {

// The requests an entry service has accepted, by transaction id: durable (shared by the
// service's replicas), so that a request delivered or sent twice starts its transaction
// once (the transaction id is an idempotency key), and the answer given is given again.
class RequestLog {
 public:
  struct Entry {
    enum class State : uint8_t { kNew, kOpen, kAnswered };
    State state = State::kNew;
    Answer answer = Answer::kNone;  // kAnswered: what the client was told
    sim::NodeId node = sim::kNoNode;  // kOpen: the replica that has it...
    uint32_t epoch = 0;               // ...and its crash count when it took it
  };
  Entry& at(uint64_t txn) { return entries_.at(txn); }
  // Entries of transactions the ledger released are dropped (TxnArray).
  void follow(const uint64_t* released) { entries_.follow(released); }

 private:
  TxnArray<Entry> entries_;
};

// The operation every entry service gets when a workflow names no entry_op: zero time,
// so that a request still occupies a worker (what the blocking call model needs).
inline constexpr const char* kImplicitRequestOp = "_request";

class Tracing;

class World {
 public:
  // `pattern`: the pattern that will run here, and its transport (Channel reads it).
  World(const ScenarioConfig& cfg, uint64_t replication, PatternChoice pattern = {});
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  const ScenarioConfig& config() const { return cfg_; }
  // How long after its last change a finished transaction's record is kept (Ledger): above
  // every wait the scenario configures.
  sim::Time quiet_period() const;
  // The same for a transaction not finished (or in doubt): the quiet period, and then room
  // for every repair of the scenario (20 mean repair times of its slowest node, and its
  // longest scheduled fault), which may still finish it.
  sim::Time open_quiet_period() const;
  const PatternChoice& pattern() const { return pattern_; }
  Transport transport() const { return pattern_.transport; }
  uint64_t replication() const { return replication_; }
  sim::Simulation& sim() { return sim_; }
  const sim::Simulation& sim() const { return sim_; }
  sim::Network& net() { return *net_; }
  sim::Node& node(sim::NodeId id) { return *nodes_[id]; }
  const sim::Node& node(sim::NodeId id) const { return *nodes_[id]; }
  size_t node_count() const { return nodes_.size(); }
  sim::NodeId client() const { return 0; }
  bool has_broker() const { return broker_ != sim::kNoNode; }
  // Gauges a pattern offers observers (a time series samples them): a name ("locks_held"),
  // the node (or service) it belongs to, and how to read it now.
  struct Gauge {
    std::string node, name;
    std::function<double()> read;
  };
  void add_gauge(std::string node, std::string name, std::function<double()> read) {
    gauges_.push_back({std::move(node), std::move(name), std::move(read)});
  }
  const std::vector<Gauge>& gauges() const { return gauges_; }
  // The tracing model (the scenario's tracing block), or nullptr.
  const Tracing* tracing() const { return tracing_.get(); }
  sim::NodeId broker() const { return broker_; }
  // Paxos Commit's acceptors, in order (empty under every other protocol). The ballot-0
  // votes go to the first F+1 of them.
  const std::vector<sim::NodeId>& acceptors() const { return acceptors_; }

  // Services and their replicas.
  size_t service_count() const { return cfg_.services.size(); }
  // The service of a name. REQUIRES: it exists.
  ServiceId service(const std::string& name) const;
  std::optional<ServiceId> find_service(const std::string& name) const;
  const ServiceConfig& service_config(ServiceId s) const { return cfg_.services[s]; }
  // The service a node is a replica of, or kNoService (the client, the broker).
  ServiceId service_of(sim::NodeId n) const { return node_service_[n]; }
  bool is_service(sim::NodeId n) const { return n < node_service_.size() && node_service_[n] != kNoService; }
  // The replicas of s: nodes first_replica(s) .. first_replica(s) + replicas(s) - 1.
  sim::NodeId first_replica(ServiceId s) const { return first_node_[s]; }
  uint32_t replicas(ServiceId s) const { return cfg_.services[s].replicas; }
  // Which replica a node is (0 for the first).
  uint32_t replica_index(sim::NodeId n) const { return n - first_node_[node_service_[n]]; }
  // The id of a service's operation by name (all its replicas have the same operations).
  std::optional<uint32_t> op_id(ServiceId s, std::string_view op) const {
    return nodes_[first_node_[s]]->op_id(op);
  }

  // The request types.
  const std::vector<std::unique_ptr<Workflow>>& workflows() const { return workflows_; }
  // The workflow of a transaction (its request type). With one request type, the
  // transaction's record is not read (this is on every message's path).
  const Workflow& workflow(uint64_t txn) const {
    return workflows_.size() == 1 ? *workflows_[0] : *workflows_[ledger_->type(txn)];
  }
  // The request type of a transaction (the same shortcut).
  uint32_t type_of(uint64_t txn) const {
    return workflows_.size() == 1 ? 0 : ledger_->type(txn);
  }
  // Returns true iff service s is the entry of some request type.
  bool is_entry(ServiceId s) const { return is_entry_[s]; }
  // The request type of a new transaction (drawn from its id and the weights).
  uint32_t draw_type(uint64_t txn) const;

  Ledger& ledger() { return *ledger_; }
  const Ledger& ledger_view() const { return *ledger_; }
  // The key space of a service (contention), built once per world.
  const KeyChooser& keys(ServiceId s) const { return *keys_[s]; }
  sim::FailureInjector& failures() { return *failures_; }
  // The request log of an entry service (shared by its replicas).
  RequestLog& requests(ServiceId s) { return request_logs_[s]; }

  // Sends m from `from`, counting it against its transaction. A message to the sender's own
  // node (two roles co-located on one node: a 2PC coordinator and a participant) is handed
  // over within the node: no network, not counted.
  void send(sim::Node& from, const sim::Message& m) {
    if (m.dst == from.id()) [[unlikely]] {
      send_local(from, m);
      return;
    }
    ledger_->message(m.txn);
    from.send(m);
  }
  void send_local(sim::Node& from, const sim::Message& m);
  // A commit protocol forces `record` for txn at `self`: counted, and shown to the observer.
  void forced_write(const sim::Node& self, uint64_t txn, const char* record) {
    ledger_->forced_write(txn);
    if (sim::Observer* obs = sim_.observer()) [[unlikely]] obs->on_log_force(self.id(), txn, record);
  }
  // A model-level event worth showing an observer ("dead letter"): costs nothing without one.
  void mark(const sim::Node& at, uint64_t txn, uint32_t step, const char* what) {
    if (sim::Observer* obs = sim_.observer()) [[unlikely]] obs->on_mark(at.id(), txn, step, what);
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
    return error_draw(txn, step.index, step.errors, kTechnicalError, attempt);
  }
  // The same for attempt `attempt` of call `part` within attempt `root` of step `step`
  // (the draws repeat only after 16,384 attempts of one step).
  bool call_error(uint64_t txn, uint32_t step, uint32_t part, double errors, uint32_t root,
                  uint32_t attempt) {
    return error_draw(txn, step | (part << 6), errors, kCallError,
                      (attempt & 1023u) | ((root & 16383u) << 10));
  }

 private:
  bool error_draw(uint64_t txn, uint32_t where, double p, uint32_t purpose, uint32_t attempt) {
    if (p <= 0 || uniform(txn, where, purpose + (attempt << 8)) >= p) return false;
    ledger_->technical_error(txn);
    return true;
  }

  const ScenarioConfig& cfg_;
  uint64_t replication_;
  PatternChoice pattern_;
  sim::Simulation sim_;
  std::unique_ptr<sim::Network> net_;
  std::vector<std::unique_ptr<sim::Node>> nodes_;
  std::vector<ServiceId> node_service_;    // by node id
  std::vector<sim::NodeId> first_node_;    // by service id
  std::vector<bool> is_entry_;             // by service id
  std::unique_ptr<sim::FailureInjector> failures_;
  class LocalMail;
  std::unique_ptr<LocalMail> local_mail_;  // made on first use
  std::vector<std::unique_ptr<Workflow>> workflows_;
  std::vector<double> type_cdf_;           // cumulative normalised weights
  std::unique_ptr<Ledger> ledger_;
  std::vector<std::unique_ptr<KeyChooser>> keys_;  // by service id
  std::vector<RequestLog> request_logs_;           // by service id (entries only used)
  sim::NodeId broker_ = sim::kNoNode;
  sim::NodeId collector_ = sim::kNoNode;
  std::vector<sim::NodeId> acceptors_;
  std::vector<Gauge> gauges_;
  std::unique_ptr<Tracing> tracing_;
};

}  // namespace models
