// models::TraceRecorder: follows chosen transactions through a run and hands what happened to
// them, event by event, to a TraceSink (a Perfetto file, a plain-text story).
//
// It watches the run through the kernel's observer (sim/observer.hpp), so no pattern knows
// it is traced. What it reports, for the transactions it follows:
//  - a message (start = sent, end = delivered or dropped), with its name, step and attempt;
//  - a job (start and end of its service on a worker), and its wait in the queue;
//  - a job lost (rejected at a full or down node, or dropped by a crash);
//  - a forced log write and a model-level mark ("dead letter");
// and, for every node whatever it serves: crashes, recoveries and partitions.
//
// Which transactions: by id, by a sample rate (a hashed draw from the transaction id, the
// scenario seed and the replication: the same transactions under every pattern), or all.
// Memory: what it keeps is bounded by the work in flight (messages in flight, jobs queued or
// running); every event goes to the sink as soon as it is complete.
#pragma once

#include <cstdint>
#include <string>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "models/run.hpp"
#include "models/token.hpp"
#include "sim/observer.hpp"
#include "sim/time.hpp"

namespace models {

class World;

struct TraceEvent {
  enum class Kind : uint8_t {
    kMessage,    // [start, end]: sent at start, delivered (or dropped) at end
    kJob,        // [start, end]: served on `worker` of `node`
    kQueued,     // [start, end]: waited in `node`'s queue
    kJobLost,    // at start: rejected (`what` says why) or dropped by a crash
    kCrash,      // at start: `node` crashed
    kRecover,    // at start: `node` recovered
    kForce,      // at start: `node` forced the record `what` to its log
    kMark,       // at start: a model-level event, `what`
    kPartition,  // [start, end]: the partition `what` (node: the first it cuts off)
  };
  Kind kind = Kind::kMark;
  sim::Time start, end;
  sim::NodeId node = 0;             // where; a message: its sender
  sim::NodeId peer = sim::kNoNode;  // a message: its destination
  uint32_t worker = 0;
  bool has_txn = false;
  uint64_t txn = 0;
  uint32_t step = kNoStep;
  uint32_t attempt = 0;
  uint64_t id = 0;         // a message: unique within the run, per copy
  bool delivered = true;   // a message: false when dropped (`drop` says why)
  bool duplicate = false;  // a message: the network's extra copy
  sim::Drop drop = sim::Drop::kLost;
  std::string what;  // the message's, op's, record's or mark's name
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  // A run starts (one per pattern): its world, for names.
  virtual void begin_run(const World& w) = 0;
  virtual void event(const World& w, const TraceEvent& e) = 0;
  // The run has drained; the world's ledger holds every outcome.
  virtual void end_run(const World& w) = 0;
};

// Which transactions to follow.
struct TxnFilter {
  std::vector<uint64_t> ids;  // these, whatever the sample
  double sample = 0;          // and this fraction of all (1: every one)
  bool selects_any() const { return !ids.empty() || sample > 0; }
};

class TraceRecorder final : public RunProbe, public sim::Observer {
 public:
  TraceRecorder(TraceSink& sink, TxnFilter filter);

  // Returns true iff transaction txn of replication `replication` is followed.
  bool follows(uint64_t seed, uint64_t replication, uint64_t txn) const;

  // RunProbe
  void attach(World& w) override;
  void finish(World& w) override;

  // sim::Observer
  void on_send(sim::NodeId src, const sim::Message& m, uint32_t slot) override;
  void on_duplicate(const sim::Message& m, uint32_t slot, uint32_t copy_slot) override;
  void on_deliver(const sim::Message& m, uint32_t slot) override;
  void on_drop(const sim::Message& m, uint32_t slot, sim::Drop why) override;
  void on_job_queued(sim::NodeId node, const sim::Job& job) override;
  void on_job_start(sim::NodeId node, const sim::Job& job, uint32_t worker) override;
  void on_job_end(sim::NodeId node, const sim::Job& job, uint32_t worker) override;
  void on_job_lost(sim::NodeId node, const sim::Job& job, bool rejected) override;
  void on_crash(sim::NodeId node) override;
  void on_recover(sim::NodeId node) override;
  void on_log_force(sim::NodeId node, uint64_t txn, const char* record) override;
  void on_mark(sim::NodeId node, uint64_t txn, uint32_t step, const char* what) override;

 private:
  struct InFlight {
    bool live = false;
    uint64_t id = 0;
    sim::Time sent;
    bool duplicate = false;
  };
  bool follows(uint64_t txn) const;
  // The event of a message from its send to now.
  TraceEvent message(const sim::Message& m, const InFlight& f) const;
  // An event at one time: about no transaction (a crash), or about txn (and step).
  void instant(TraceEvent::Kind kind, sim::NodeId node, std::string what,
               std::optional<uint64_t> txn = std::nullopt, uint32_t step = kNoStep);
  // A job's subject, decoded into e; false if it is about no transaction followed.
  bool about(const sim::Job& job, TraceEvent& e) const;
  sim::Time now() const;

  TraceSink& sink_;
  TxnFilter filter_;
  World* w_ = nullptr;  // during a run
  uint64_t next_id_ = 1;
  std::vector<InFlight> in_flight_;                       // by network slot
  std::map<std::pair<sim::NodeId, uint32_t>, sim::Time> running_;  // (node, worker) -> start
  std::map<std::pair<sim::NodeId, uint64_t>, sim::Time> queued_;   // (node, job token) -> since
};

}  // namespace models
