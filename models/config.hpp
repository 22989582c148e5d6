// models::ScenarioConfig: a scenario in memory, as every pattern reads it. app/ fills it
// from a YAML file (app/scenario.cpp documents the text form, docs/scenarios.md explains
// each field); tests build it directly. Plain data: no YAML, no validation here (the loader
// validates; the patterns assert what they rely on).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/pattern.hpp"
#include "sim/distribution.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/time.hpp"

namespace models {

struct KeySpace {
  uint64_t count = 0;  // 0: no contention modelled
  double zipf = 0;     // skew; 0 = uniform
  uint32_t per_step = 1;  // keys one step touches
};

// How a caller picks one of a service's replicas for a call (its own client-side balancer).
enum class Balance { kRoundRobin, kRandom, kLeastOutstanding };

struct ServiceConfig {
  std::string name;
  uint32_t replicas = 1;  // nodes of this service, each with its own queue and failures
  Balance balance = Balance::kRoundRobin;
  bool failover = true;   // a retried call goes to another replica
  uint32_t workers = 1;
  std::optional<uint32_t> queue;  // waiting jobs allowed; nullopt = unbounded
  sim::CallModel calls = sim::CallModel::kAsync;
  std::vector<sim::OpConfig> ops;
  std::optional<sim::Distribution> mttf, mttr;  // both or neither
  KeySpace keys;
  // An idempotent receiver: the service remembers, durably, the steps it has executed per
  // transaction (an inbox), and answers a duplicate delivery or a retried call from there.
  bool inbox = false;
};

struct RatePhase {
  sim::Time at;  // from this time on...
  double rate;   // ...arrivals per second
};

// End-to-end retries by the client: a request with no answer within `timeout`, or answered
// with a technical error, is sent again after a backoff, with the same transaction id (the
// entry's idempotency key), up to `attempts` tries in all.
struct ClientRetryConfig {
  uint32_t attempts = 1;
  sim::Time timeout = sim::Time::max();
  sim::Time backoff_base = sim::Time::from_ms(100);
  sim::Time backoff_max = sim::Time::from_s(2);
  bool jitter = true;  // full jitter
};

struct WorkloadConfig {
  enum class Arrival { kPoisson, kClosed };
  Arrival arrival = Arrival::kPoisson;
  double rate = 1.0;               // open loop: arrivals per second
  std::vector<RatePhase> phases;   // open loop: later rate changes, sorted by time
  uint32_t clients = 1;            // closed loop: concurrent clients
  sim::Distribution think = sim::Distribution::constant(sim::Time::zero());  // closed loop
  sim::Time deadline = sim::Time::max();  // the client's patience
  ClientRetryConfig retry;
};

// A call that a step's handler (or a nested call's) makes before it answers: to another
// service's operation, with its own technical errors, timeout and attempts, and calls of
// its own.
struct CallConfig;
using CallGroups = std::vector<std::vector<CallConfig>>;  // in order; each group in parallel
struct CallConfig {
  std::string service;
  std::string action;
  double errors = 0;                 // technical failure per attempt
  std::optional<sim::Time> timeout;  // per attempt; default timeouts.call
  std::optional<uint32_t> attempts;  // default retry.attempts
  CallGroups calls;
  std::string path;  // where it is written, for messages
};

struct StepConfig {
  std::string name;  // optional: a name that --set and --sweep paths may use
  std::string service;
  std::string action;
  bool side_effect = true;
  std::optional<std::string> compensate;
  double fails = 0;        // business refusal, decided once per (transaction, step)
  double errors = 0;       // technical failure, drawn per attempt
  bool idempotent = false;  // applying it twice has no extra effect
  bool pivot = false;      // saga: marked as the point of no return
  std::optional<std::string> confirm, cancel;  // TCC: the confirm and cancel operations
  CallGroups calls;        // what its handler calls before it answers (a call tree)
  bool async = false;      // fired through the broker once the transaction commits; not awaited
  bool optional = false;   // its failure degrades the answer instead of failing it
  uint32_t group = 0;      // steps with the same group index run in parallel (index = stage)
  std::string path;        // where it is written (workflow.steps.2.parallel.0), for messages
};

struct WorkflowConfig {
  std::string name = "default";       // the request type's name
  double weight = 1;                  // its share of the arrivals (weights are normalised)
  std::string entry;                  // the service that receives client requests
  std::optional<std::string> entry_op;  // its own work per request, if any
  std::vector<StepConfig> steps;      // in order; equal `group` = one parallel stage
};

struct BrokerConfig {
  bool present = false;
  uint32_t workers = 4;
  sim::Distribution latency = sim::Distribution::constant(sim::Time::zero());  // handling time
  sim::Time redelivery = sim::Time::from_s(1);       // the first wait for an acknowledgement
  sim::Time redelivery_max = sim::Time::from_s(30);  // waits double up to this
  uint32_t max_attempts = 5;  // deliveries before the dead-letter queue; 0 = without limit
  uint32_t prefetch = 0;      // deliveries unacknowledged at once per subscription or queue; 0 = no limit
  bool durable = true;
  std::optional<sim::Distribution> mttf, mttr;
};

// Distributed tracing as a cost (docs/scenarios.md, tracing): a sampled transaction's every
// job at a service is a span, which costs span_cpu more service time there and is then
// sent as a message to the collector, a node of its own that serves each span in
// `collect` and may be slow (collect), full (queue) or down (mttf, mttr, faults).
struct TracingConfig {
  bool present = false;
  double sample = 1.0;  // the fraction of transactions traced (the same ones under every pattern)
  sim::Time span_cpu = sim::Time::zero();
  uint32_t workers = 1;                    // the collector's
  std::optional<uint32_t> queue;           // spans waiting at the collector; nullopt = unbounded
  sim::Distribution collect = sim::Distribution::constant(sim::Time::zero());
  std::optional<sim::Distribution> mttf, mttr;
};

struct RetryConfig {
  enum class Jitter { kNone, kFull, kEqual };
  uint32_t attempts = 1;  // total tries of one call, the first included
  sim::Time backoff_base = sim::Time::from_ms(50);
  sim::Time backoff_max = sim::Time::from_s(1);
  Jitter jitter = Jitter::kNone;
  uint32_t compensation_attempts = 0;  // 0 = retry compensations without limit
};

struct TimeoutConfig {
  sim::Time call = sim::Time::from_ms(500);
  sim::Time prepare = sim::Time::from_s(1);
  sim::Time lock_wait = sim::Time::from_ms(200);
  sim::Time log_force = sim::Time::zero();  // time to force a durable log record
};

struct TccConfig {
  sim::Time expiry = sim::Time::from_s(30);  // a reservation not confirmed by then cancels itself
};

struct TwoPhaseCommitConfig {
  // The variants of Mohan, Lindsay & Obermarck (1986), models/two_phase_commit.hpp:
  // presumed_nothing (written `basic` too): the coordinator waits for every vote, forces its
  //   decision either way, sends it to every participant, and every participant forces and
  //   acknowledges it; no read-only optimization.
  // presumed_abort: aborts are neither forced nor acknowledged, read-only participants
  //   leave after their vote, and a transaction with nothing to commit writes nothing.
  // presumed_commit: the coordinator forces a collecting record before it prepares;
  //   commits are neither forced at the participants nor acknowledged, aborts are.
  // paxos_commit: Gray & Lamport (2006), "Consensus on transaction commit": each
  //   participant's vote is one Paxos instance decided by 2F+1 acceptors; the coordinator
  //   is the leader and writes nothing; a participant in doubt finishes the transaction
  //   from the acceptors itself, so a coordinator crash blocks nobody.
  enum class Variant { kPresumedAbort, kBasic, kPresumedCommit, kPaxosCommit };
  Variant variant = Variant::kPresumedAbort;
  // Paxos Commit: the acceptor failures tolerated, F (2F+1 acceptors).
  uint32_t tolerated_faults = 1;
  // Paxos Commit: where the acceptors run: nodes of their own (acceptor1, ...) or on the
  // participants' nodes (the entry's first when it hosts a step), as in the paper's
  // co-located counts.
  bool acceptors_on_participants = false;
  std::optional<sim::Distribution> acceptor_mttf, acceptor_mttr;  // random crashes of each acceptor
  uint32_t acceptors() const { return 2 * tolerated_faults + 1; }
  bool own_acceptor_nodes() const { return variant == Variant::kPaxosCommit && !acceptors_on_participants; }
};

// Paxos Commit with acceptors on the participants: the services that host them, in order:
// the first workflow's entry first when it hosts a step, then every (awaited) step's service
// in first appearance. The first 2F+1 get an acceptor each, on their first replica.
inline std::vector<std::string> acceptor_services(const std::vector<WorkflowConfig>& workflows) {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  if (!workflows.empty()) {
    for (const StepConfig& st : workflows.front().steps) {
      if (!st.async && st.service == workflows.front().entry) add(st.service);
    }
  }
  for (const WorkflowConfig& wf : workflows) {
    for (const StepConfig& st : wf.steps) {
      if (!st.async) add(st.service);
    }
  }
  return out;
}

struct FaultConfig {
  enum class Kind { kCrash, kPartition, kOneWay };
  Kind kind = Kind::kCrash;
  sim::Time at, duration;
  std::string node;                             // kCrash
  std::vector<std::vector<std::string>> groups;  // kPartition
  std::vector<std::string> from, to;            // kOneWay
};

struct LinkSpec {
  std::string from, to;
  sim::Distribution latency = sim::Distribution::constant(sim::Time::zero());
  double loss = 0, duplicate = 0;
  bool both_ways = true;
};

struct NetworkSpec {
  sim::Distribution latency = sim::Distribution::constant(sim::Time::zero());
  double loss = 0, duplicate = 0;
  bool full_mesh = true;
  std::vector<LinkSpec> links;
};

struct ScenarioConfig {
  std::string name = "unnamed";
  uint64_t seed = 1;
  std::optional<sim::Time> duration;      // arrivals stop at this time...
  std::optional<uint64_t> transactions;   // ...or after this many arrivals
  sim::Time warmup = sim::Time::zero();   // excluded from statistics
  sim::Time drain = sim::Time::from_s(60);  // at most this long after the last arrival
  WorkloadConfig workload;
  NetworkSpec network;
  std::vector<ServiceConfig> services;
  std::unordered_map<std::string, size_t> service_index;  // by name (the loader fills it)
  // The index in `services` of the service called `service`, or nullopt: through
  // service_index when the loader filled it, else by a search (a config made by hand, as
  // tests make).
  std::optional<size_t> find_service(const std::string& service) const {
    if (service_index.size() == services.size()) {
      const auto it = service_index.find(service);
      return it == service_index.end() ? std::nullopt : std::optional<size_t>(it->second);
    }
    for (size_t i = 0; i < services.size(); ++i) {
      if (services[i].name == service) return i;
    }
    return std::nullopt;
  }
  BrokerConfig broker;
  TracingConfig tracing;
  std::vector<WorkflowConfig> workflows;  // one per request type (`workflow:` gives one)
  std::vector<PatternChoice> patterns;  // the loader gives [orchestration] by default
  RetryConfig retry;
  TimeoutConfig timeouts;
  TwoPhaseCommitConfig two_phase_commit;
  TccConfig tcc;
  std::vector<FaultConfig> faults;
};

}  // namespace models
