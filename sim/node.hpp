// sim::Node: a service, the broker or the client: a pool of workers in front of a FIFO
// queue, with per-operation service times, an up/down state and a durable log.
//
// What a node does with a message is decided by its Behavior (the coordination pattern's
// logic for that node); the node supplies the queueing, timing and failure mechanics:
//
//  - submit(op, token) asks for `op` to be served. A free worker starts at once; otherwise
//    the job waits in the FIFO queue; if the queue is at capacity the job is rejected
//    (submit returns false, counted). When the service time (a draw from the op's
//    distribution, on the op's own random stream) has passed, Behavior::on_job_done runs.
//  - Call model: with `blocking`, a behavior that makes a synchronous call from a job keeps
//    its worker (hold() during on_job_done) until the reply, so a slow dependency can
//    exhaust the pool; with `async`, the worker is freed as soon as the job is served.
//  - Timers (set_timer) run Behavior::on_timer and are cancellable.
//  - crash() loses all volatile state: queued and in-service jobs are dropped (counted),
//    held workers freed, pending timers and completions discarded (by an epoch number
//    carried in their events), arriving messages dropped while down; Behavior::on_crash
//    tells the behavior to forget its own volatile state. The durable log survives;
//    recover() brings the node up and calls Behavior::on_recover, which reads the log.
//    Crashes nest: a node crashed twice is up again after two recover() calls.
//
// Metrics: time-weighted queue length, busy workers and up state; counts of jobs
// submitted, rejected, served and lost in crashes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/circular_buffer.hpp>

#include "sim/distribution.hpp"
#include "sim/message.hpp"
#include "sim/metrics.hpp"
#include "sim/network.hpp"
#include "sim/rng.hpp"
#include "sim/simulation.hpp"

namespace sim {

enum class CallModel { kBlocking, kAsync };

struct OpConfig {
  std::string name;
  Distribution service = Distribution::constant(Time::zero());
};

struct NodeConfig {
  std::string name;
  uint32_t workers = 1;
  std::optional<uint32_t> queue_capacity;  // waiting jobs allowed; nullopt = unbounded
  CallModel call_model = CallModel::kAsync;
  std::vector<OpConfig> ops;  // an op's index here is its id
};

// One record of a node's durable log; fields are the behavior's to interpret.
struct LogRecord {
  uint64_t txn = 0;
  uint32_t type = 0;
  uint32_t step = 0;
  int64_t value = 0;
  Time at;
};

struct Job {
  static constexpr uint64_t kNoSubject = ~uint64_t{0};
  uint32_t op = 0;
  uint64_t token = 0;  // the behavior's own reference (e.g. a transaction and step)
  uint64_t subject = kNoSubject;  // what the job is about, for observers (model-defined)
};

struct NodeCounters {
  uint64_t submitted = 0;
  uint64_t rejected = 0;          // queue full or node down
  uint64_t served = 0;
  uint64_t lost_in_crash = 0;     // queued or in service when the node crashed
  uint64_t messages_dropped = 0;  // arrived while down
  uint64_t crashes = 0;
};

class Node;
// Work a node does around every job besides the job itself, the same under every behavior
// (recording a trace span): more service time, and something done when the job ends.
class JobOverhead {
 public:
  virtual ~JobOverhead() = default;
  // Added to the service time of `job` as it starts.
  virtual Time extra(const Node& self, const Job& job) = 0;
  // `job` has been served (before the behavior hears of it).
  virtual void done(Node& self, const Job& job) = 0;
};

// The pattern-specific logic of one node (OMNeT++'s handleMessage, in spirit).
class Behavior {
 public:
  virtual ~Behavior() = default;
  virtual void on_message(Node& self, const Message& m) = 0;
  // A job finished its service on `worker`. Call self.hold(worker) to keep the worker busy
  // (blocking call model) until self.release(worker).
  virtual void on_job_done(Node& self, const Job& job, uint32_t worker) {
    (void)self, (void)job, (void)worker;
  }
  virtual void on_timer(Node& self, uint64_t payload) { (void)self, (void)payload; }
  virtual void on_crash(Node& self) { (void)self; }
  virtual void on_recover(Node& self) { (void)self; }
};

class Node final : public Handler {
 public:
  Node(Simulation& sim, Network& net, NodeId id, NodeConfig config, uint64_t seed,
       uint64_t replication = 0);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void set_behavior(Behavior* b) { behavior_ = b; }
  void set_overhead(JobOverhead* o) { overhead_ = o; }

  NodeId id() const { return id_; }
  const std::string& name() const { return config_.name; }
  const NodeConfig& config() const { return config_; }
  Simulation& sim() { return sim_; }
  Network& network() { return net_; }
  Time now() const { return sim_.now(); }
  bool up() const { return down_count_ == 0; }

  // The id of an operation by name, or nullopt.
  std::optional<uint32_t> op_id(std::string_view name) const;
  // Returns true iff `op` takes no time and the node frees its workers while waiting
  // (async): such an operation needs neither a worker nor an event, and a behavior may do
  // its work at once instead of submitting it.
  bool instant(uint32_t op) const {
    return config_.call_model == CallModel::kAsync && config_.ops[op].service.is_zero();
  }

  // Queues `op` for service. Returns false (and counts a rejection) if the node is down or
  // its queue is full.
  // `subject` is shown to an observer (sim/observer.hpp): models put the transaction there.
  bool submit(uint32_t op, uint64_t token, uint64_t subject = Job::kNoSubject);
  // Starts `op` on a worker that the behavior holds (e.g. the orchestrator continuing a
  // request after a synchronous reply). REQUIRES: worker is held.
  void serve_on(uint32_t worker, uint32_t op, uint64_t token,
                uint64_t subject = Job::kNoSubject);
  // Keeps `worker` busy after its job's on_job_done returns. REQUIRES: called from
  // on_job_done for that worker.
  void hold(uint32_t worker);
  // Frees a held worker; the next queued job starts on it.
  void release(uint32_t worker);
  bool held(uint32_t worker) const { return workers_[worker].state == WorkerState::kHeld; }

  void send(const Message& m) { net_.send(id_, m); }
  TimerId set_timer(Time delay, uint64_t payload);
  bool cancel_timer(TimerId id) { return sim_.cancel(id); }

  // The durable log: survives crashes.
  void log(LogRecord r) {
    r.at = sim_.now();
    log_.push_back(r);
  }
  const std::vector<LogRecord>& durable_log() const { return log_; }

  void crash();
  void recover();

  // Metrics.
  const NodeCounters& counters() const { return counters_; }
  size_t queue_length() const { return queue_.size(); }
  uint32_t busy_workers() const { return busy_; }
  double mean_queue_length() const { return queue_len_.mean(sim_.now()); }
  double utilisation() const {
    return busy_gauge_.mean(sim_.now()) / static_cast<double>(config_.workers);
  }
  double availability() const { return up_gauge_.mean(sim_.now()); }
  // The gauges themselves (time series take their integrals between two times).
  const TimeWeighted& queue_gauge() const { return queue_len_; }
  const TimeWeighted& busy_gauge() const { return busy_gauge_; }
  const TimeWeighted& up_gauge() const { return up_gauge_; }
  void reset_metrics();  // end of warm-up

  void on_event(Simulation& sim, const Event& e) override;
  // A message for this node arrives (called by the network): dropped if the node is down,
  // else handed to the behavior. Inline: the network calls it for every message.
  void deliver(const Message& m) {
    if (!up()) [[unlikely]] {
      dropped_while_down(m);
      return;
    }
    SIM_ASSERT(behavior_ != nullptr, "message for a node without behavior");
    behavior_->on_message(*this, m);
  }

 private:
  enum class WorkerState : uint8_t { kFree, kServing, kHeld };
  struct Worker {
    WorkerState state = WorkerState::kFree;
    Job job;
  };
  enum EventKind : uint32_t { kJobDone = 1, kTimer = 2 };
  static constexpr uint32_t kEpochShift = 8;
  static constexpr uint32_t kEpochMask = 0x7f'ffffu;  // 23 bits, below Simulation::kTimerBit

  uint32_t kind(EventKind k) const { return k | ((epoch_ & kEpochMask) << kEpochShift); }
  bool current(uint32_t event_kind) const {
    return ((event_kind >> kEpochShift) & kEpochMask) == (epoch_ & kEpochMask);
  }
  // The job path (every job takes start, finish and start_next once): inlined into its
  // callers in node.cpp, since the calls cost as much as the bodies.
  [[gnu::always_inline]] void start(uint32_t worker, const Job& job);
  [[gnu::always_inline]] void finish(uint32_t worker);
  [[gnu::always_inline]] void start_next(uint32_t worker);
  [[gnu::always_inline]] void set_busy(int delta);
  void dropped_while_down(const Message& m);

  Simulation& sim_;
  Network& net_;
  NodeId id_;
  HandlerId self_;
  NodeConfig config_;
  std::vector<Sampler> service_;  // per operation: its service time on a stream of its own
  Behavior* behavior_ = nullptr;
  JobOverhead* overhead_ = nullptr;
  std::vector<Worker> workers_;
  std::vector<uint32_t> free_workers_;
  // The waiting jobs, FIFO: a ring that doubles when full (std::deque costs about twice the
  // instructions per push and pop, and every queued job takes one of each).
  boost::circular_buffer<Job> queue_;
  uint32_t busy_ = 0;
  uint32_t down_count_ = 0;
  uint32_t epoch_ = 0;
  int32_t holding_in_callback_ = -1;  // worker whose on_job_done is running
  bool hold_requested_ = false;
  std::vector<LogRecord> log_;
  NodeCounters counters_;
  TimeWeighted queue_len_, busy_gauge_, up_gauge_;
};

}  // namespace sim
