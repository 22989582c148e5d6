// Orchestration: the entry service (the orchestrator) knows the workflow and calls each
// step's service by synchronous RPC, stage by stage (the steps of a stage in parallel).
//
// Protocol, per transaction:
//   client --kRequest--> orchestrator   serves its entry operation, then for each stage:
//   orchestrator --kCall(step, attempt)--> service   ...  service --kCallReply--> orchestrator
//   orchestrator --kReply(answer)--> client           when the last stage is done, or a
//                                                     step failed and no call is in flight
// Failures handled:
//   - per-call timeout (timeouts.call); the call is retried after a backoff (retry block)
//     until `attempts` tries have been made, then the transaction fails (kError);
//   - a business failure (kCallReply value 0) stops the workflow: no later stage starts, the
//     client is told kRejected;
//   - no compensation: effects applied before a failure stay applied (a violation);
//   - the orchestrator's crash loses every transaction in flight (the client never hears);
//     a participant's crash loses its queued calls (the orchestrator times out).
// Call model: with `calls: blocking` on the orchestrator, the worker that served a request
// stays occupied until the transaction ends, so a slow participant exhausts the pool.
//
// Messages per transaction without failures: 2 (client request and reply) + 2 per step.
#pragma once

#include <memory>

#include "models/pattern.hpp"

namespace models {

extern const PatternInfo kOrchestrationPattern;
// The engine behind orchestration and saga_orchestrated (saga = compensate on failure).
std::unique_ptr<Pattern> make_orchestrated(bool saga);

}  // namespace models
