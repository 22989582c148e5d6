// Orchestration: the entry service (the orchestrator) knows the workflow and calls each
// step's service by synchronous RPC, stage by stage (the steps of a stage in parallel).
//
// Protocol, per transaction:
//   client --kRequest--> orchestrator   serves its entry operation, then for each stage:
//   orchestrator --kCall(step, attempt)--> service   ...  service --kCallReply--> orchestrator
//   orchestrator --kReply(answer)--> client           when the last stage is done, or a
//                                                     step failed and no call is in flight
// Failures handled:
//   - an attempt fails when no reply comes within timeouts.call, or when the reply is a
//     technical error (the step's `errors`, drawn per attempt); it is retried after a
//     backoff (retry block) until `attempts` tries have been made, then the step fails and
//     the client is told kError;
//   - a business refusal (`fails`; the same at every attempt) stops the workflow: no later
//     stage starts, the client is told kRejected;
//   - no compensation: effects applied before a failure stay applied (a violation);
//   - the orchestrator's crash loses every transaction in flight (the client never hears);
//     a participant's crash loses its queued calls (the orchestrator times out).
// Call model: with `calls: blocking` on the orchestrator, the worker that served a request
// stays occupied until the transaction ends, so a slow participant exhausts the pool.
//
// Messages per transaction without failures: 2 (client request and reply) + 2 per step.
#pragma once

#include "models/pattern.hpp"

namespace models {

extern const PatternInfo kOrchestrationPattern;

}  // namespace models
