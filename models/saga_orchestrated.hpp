// saga_orchestrated: the entry service is a saga orchestrator with a durable saga log; every
// other service runs a StepServer (step_server.hpp).
//
// A saga is T1..Tn: compensatable steps, then at most one pivot (the point of no return),
// then retriable steps (Garcia-Molina and Salem 1987; models/workflow.hpp). It ends as
// "T1..Tn", or as "T1..Tj then Cj..C1": never with some effects in place and others not,
// provided compensations are retried until they succeed (retry.compensation_attempts: 0).
//
// The orchestrator, per transaction, is in one of three phases:
//   forward       stage by stage, every step called (kCall, each attempt with timeouts.call,
//                 retried after a backoff); each call is logged as started before it is
//                 sent and its answer logged on arrival. Before the pivot a step gets
//                 retry.attempts tries; the pivot's answer "done" decides the saga forward
//                 (logged: from then on it only goes forward); a step after the pivot is
//                 retried without limit until it succeeds (its refusal is impossible: the
//                 loader requires fails: 0 of a side-effect step there).
//   resolving     the pivot's tries all went unanswered, so whether it applied is unknown:
//                 the orchestrator asks its service (kResolve, retried until answered),
//                 which refuses the pivot from then on unless it is applied. Applied: the
//                 saga goes forward; not applied: backward.
//   compensating  a refusal, or a step before the pivot whose tries ran out: the decision
//                 "backward" is logged, the client is told at once (kRejected or kError),
//                 calls in flight are abandoned, and every started compensable step that
//                 was not refused is compensated in reverse step order, one at a time
//                 (kCompensate / kCompensated), each retried after a backoff until it
//                 succeeds or retry.compensation_attempts tries were made (a compensation
//                 given up leaves its effect: the transaction ends violated). A
//                 compensation leaves a tombstone, so a late original is refused.
// The client is told kOk when the last stage is done.
//
// Orchestrator crash: volatile flows are lost; on recovery every saga the log shows open is
// finished from the log: forward if the log says forward (steps not done are called again;
// after the pivot they are idempotent), backward if it says backward, and otherwise
// backward, unless the pivot was started and not answered: then it is resolved first.
//
// Messages without failures: 2 + 2n. With a refusal at step k of a sequential workflow:
// 2 + 2k + 2(k - 1).
#pragma once

#include "models/pattern.hpp"

namespace models {

extern const PatternInfo kSagaOrchestratedPattern;

}  // namespace models
