// sim::Observer: sees what happens in a simulation, without taking part (traces, timelines,
// explanations are written from here, so no pattern needs edits for them).
//
// Attach one with Simulation::set_observer before the run. The network and the nodes then
// report every message sent, delivered, duplicated or dropped, every job queued, started,
// finished or lost, every timer that fires, every crash and recovery; models report their
// forced log writes and model-level marks (a dead letter, a decision) through the same
// interface. Without an observer each of these places costs one pointer test.
//
// Identity: a message in flight is named by its network slot (unique while it is in flight,
// reused afterwards); a job by its node and worker while it runs. Neither the txn of a
// message nor a job's subject means anything to the kernel: models put the transaction
// there (models::Token packs the subject).
#pragma once

#include <cstdint>

#include "sim/message.hpp"

namespace sim {

struct Job;

enum class Drop : uint8_t {
  kLost,         // a link lost it (or an injected loss)
  kPartitioned,  // a partition cut its path
  kUnroutable,   // no path between its ends
  kNodeDown,     // its destination was down when it arrived
};
const char* drop_name(Drop d);

// Every method does nothing by default: an observer overrides what it watches.
class Observer {
 public:
  virtual ~Observer() = default;

  // The network. `slot` names the copy in flight.
  virtual void on_send(NodeId /*src*/, const Message& /*m*/, uint32_t /*slot*/) {}
  virtual void on_duplicate(const Message& /*m*/, uint32_t /*slot*/, uint32_t /*copy_slot*/) {}
  // m is handed to its destination now (its sink may still drop it: on_drop kNodeDown).
  virtual void on_deliver(const Message& /*m*/, uint32_t /*slot*/) {}
  // m is dropped. `slot` is kNoSlot when it never entered the network (lost at its send).
  static constexpr uint32_t kNoSlot = 0xffff'ffffu;
  virtual void on_drop(const Message& /*m*/, uint32_t /*slot*/, Drop /*why*/) {}

  // A node's jobs. A job waits in the queue (queued), runs on a worker (start, end), or is
  // lost: rejected at submit (queue full, node down) or dropped by a crash.
  virtual void on_job_queued(NodeId /*node*/, const Job& /*job*/) {}
  virtual void on_job_start(NodeId /*node*/, const Job& /*job*/, uint32_t /*worker*/) {}
  virtual void on_job_end(NodeId /*node*/, const Job& /*job*/, uint32_t /*worker*/) {}
  virtual void on_job_lost(NodeId /*node*/, const Job& /*job*/, bool /*rejected*/) {}
  virtual void on_timer(NodeId /*node*/, uint64_t /*payload*/) {}
  virtual void on_crash(NodeId /*node*/) {}
  virtual void on_recover(NodeId /*node*/) {}

  // Models: a record forced to `node`'s durable log for a subject (a transaction), and a
  // model-level mark ("dead letter", "decided commit").
  virtual void on_log_force(NodeId /*node*/, uint64_t /*txn*/, const char* /*record*/) {}
  virtual void on_mark(NodeId /*node*/, uint64_t /*txn*/, uint32_t /*step*/, const char* /*what*/) {}
};

}  // namespace sim
