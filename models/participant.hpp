// models::StepServer: a service that executes workflow steps on synchronous request
// (orchestration and the orchestrated saga).
//
// Messages in:  kCall(txn, step, attempt)        execute the step's action
//               kCompensate(txn, step, attempt)  execute the step's compensation
// Messages out: kCallReply(value = 1 done, 0 business failure), kCompensated
//
// Executing an action takes the action's service time on a worker. A step fails for
// business reasons with its `fails` probability (a hashed draw per transaction and step,
// so a retried call fails again, and every pattern sees the same failures). A step with a
// side effect applies it to the service's durable state; applying it again (a retried
// call whose first reply was lost) counts as a duplicate effect unless the step is
// idempotent. A compensation undoes the effect (if it was applied) and leaves a tombstone,
// so that a late or duplicated original call arriving afterwards is refused instead of
// applying an effect nobody will undo.
//
// Crash: queued and running executions are lost (no reply; the caller times out); the
// durable per-transaction effect state survives.
#pragma once

#include <vector>

#include "models/world.hpp"

namespace models {

class StepServer : public sim::Behavior {
 public:
  StepServer(World& w, sim::NodeId self);
  void on_message(sim::Node& self, const sim::Message& m) override;
  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) override;
  void on_crash(sim::Node& self) override;

 private:
  uint32_t stash(const sim::Message& m);

  World& w_;
  std::vector<sim::Message> pending_;  // volatile: requests queued or in service
  std::vector<uint32_t> free_;
  std::vector<uint32_t> applied_;    // durable: per txn, bit per step applied here
  std::vector<uint32_t> tombstone_;  // durable: per txn, bit per step compensated
};

}  // namespace models
