// Sagas: a sequence of local transactions T1..Tn, each committed at once, each with a
// compensating transaction Ci. If Tk fails, the completed steps are compensated. No locks
// are held across services and nobody blocks, but intermediate states are visible (counted
// as exposures when another transaction touches a key of an unfinished one), and atomicity
// holds only once compensations succeed.
//
// saga_orchestrated: the entry service is a saga orchestrator with a durable saga log (the
// steps started, rejected and compensated, per transaction).
//   Forward: as orchestration (kCall / kCallReply per step, stage by stage, timeouts and
//   retries); every call is recorded as started in the log before it is sent.
//   On a failure (a business rejection, or a call whose retries ran out): the client is
//   told at once (kRejected or kError); calls still in flight are abandoned; then every
//   started, compensable step that was not rejected is compensated in reverse step order,
//   one at a time (kCompensate / kCompensated), each retried after a timeout with backoff
//   until it succeeds, or until retry.compensation_attempts tries (0 = without limit);
//   a compensation given up leaves its effect, and the transaction ends violated.
//   Compensating a step whose call never arrived leaves a tombstone at the participant, so
//   that a late original is refused.
//   Orchestrator crash: volatile flows are lost; on recovery every saga the log shows as
//   open is compensated (backward recovery).
//   Messages without failures: 2 + 2n, as orchestration. With a business failure at step
//   k (stages of one step): 2 + 2k + 2c, c the compensations.
//
// saga_choreographed: see choreography.hpp (the saga mode of the choreographed engine).
#pragma once

#include <memory>

#include "models/pattern.hpp"

namespace models {

std::unique_ptr<Pattern> make_saga_orchestrated();
std::unique_ptr<Pattern> make_saga_choreographed();

}  // namespace models
