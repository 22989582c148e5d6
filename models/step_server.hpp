// models::StepServer: a service that executes workflow steps when its coordinator calls it
// (orchestration, saga_orchestrated).
//
// Messages in:  kCall(txn, step, attempt)        execute the step's action
//               kCompensate(txn, step, attempt)  undo it if it was applied; refuse it from
//                                                then on (a tombstone)
//               kResolve(txn, step)              "did you apply it?" (a saga's pivot whose
//                                                calls all went unanswered)
// Messages out: kCallReply(value = StepResult), kCompensated, kResolved(value 1 applied, 0 not)
//
// Executing an action takes the action's service time on a worker; the outcome is decided
// by the service's StepStore (step_store.hpp): refused after a tombstone, a technical error
// for this attempt (`errors`), a business refusal (`fails`, the same at every attempt), or
// done, with the effect applied. A compensation takes the compensating operation's time.
// A resolve is answered at once from the durable record: if the step is not applied it is
// tombstoned, so a call still queued or in flight will refuse; the answer is then final.
// With an inbox, a call for a step already executed is answered from the record at once.
//
// Crash: queued and running executions are lost (no reply; the caller times out); the
// durable record survives.
#pragma once

#include <vector>

#include "models/step_store.hpp"
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
  void reply(sim::Node& self, const sim::Message& m, uint32_t type, int64_t value);

  World& w_;
  StepStore store_;                    // durable (but for what is executing)
  std::vector<sim::Message> pending_;  // volatile: requests queued or in service
  std::vector<uint32_t> free_;
};

}  // namespace models
