// models::StepServer: a replica of a service that executes workflow steps when its
// coordinator calls it (orchestration, saga_orchestrated).
//
// Messages in:  kCall(txn, step, attempt)        execute the step's action (and its calls)
//               kCompensate(txn, step, attempt)  undo it if it was applied; refuse it from
//                                                then on (a tombstone)
//               kResolve(txn, step)              "did you apply it?" (a saga's pivot whose
//                                                calls all went unanswered)
// Messages out: kCallReply(value = StepResult), kCompensated, kResolved(value 1 applied, 0 not)
//
// Executing an action takes the action's service time on a worker, then the step's call
// tree (ServiceNode); the outcome is decided by the service's StepStore (step_store.hpp):
// refused after a tombstone, a technical error for this attempt (`errors`, or a call of the
// tree that failed all its attempts), a business refusal (`fails`, the same at every
// attempt), or done, with the effect applied. A compensation takes the compensating
// operation's time. A resolve is answered at once from the durable record: if the step is
// not applied it is tombstoned, so a call still queued or in flight will refuse; the answer
// is then final. With an inbox, a call for a step already executed is answered from the
// record at once. The store is the service's, shared by its replicas, so a retry that
// fails over to another replica finds what the first one did.
//
// Crash: the replica's queued and running executions are lost (no reply; the caller times
// out); the durable record survives.
#pragma once

#include <memory>
#include <vector>

#include "models/service_node.hpp"
#include "models/step_store.hpp"
#include "models/world.hpp"

namespace models {

class StepServer : public ServiceNode {
 public:
  StepServer(World& w, sim::NodeId self, std::shared_ptr<StepStore> store);

 protected:
  void handle(sim::Node& self, const sim::Message& m) override;
  void job_done(sim::Node& self, const sim::Job& job, uint32_t worker) override;
  void run_done(sim::Node& self, uint64_t cookie, StepResult r) override;
  void crashed(sim::Node& self) override;

 private:
  uint32_t stash(const sim::Message& m);
  void reply(sim::Node& self, const sim::Message& m, uint32_t type, int64_t value);

  std::shared_ptr<StepStore> store_;   // the service's, durable
  std::vector<sim::Message> pending_;  // volatile: requests queued or in service
  std::vector<uint32_t> free_;
};

// One StepStore per service, for the StepServers of its replicas.
std::vector<std::shared_ptr<StepStore>> step_stores(World& w);

}  // namespace models
