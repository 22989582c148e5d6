// tcc: try-confirm-cancel (Pardon and Pautasso 2014, "Atomic distributed transactions: a
// RESTful design"; the Tentative Operation of Hohpe's conversation patterns). The entry
// service is the coordinator; every other service keeps reservations.
//
// Protocol, per transaction:
//   try      stage by stage, the coordinator calls each step (kTry, each attempt with
//            timeouts.call and retries after a backoff, as orchestration). The step's
//            service runs its action (the try), which reserves the effect without applying
//            it: the reservation is durable and expires at now + tcc.expiry, when it
//            releases itself. The reply carries the expiry. A step without side effect
//            reserves nothing. A try refused for a business reason (`fails`) or whose tries
//            ran out fails the transaction.
//   confirm  every try reserved: if every reservation still has at least timeouts.call to
//            live, the coordinator forces its decision (timeouts.log_force), tells the
//            client ok, and sends kConfirm to every step that reserved, again every
//            timeouts.call until each has answered. A step applies its effect (its
//            `confirm` operation, if any, is the time it takes) and answers confirmed; a
//            reservation that already expired answers expired. The transaction ends when
//            every confirm is answered.
//   cancel   a failure, or reservations too close to expiry: the decision is abort, the
//            client is told (kRejected or kError) and every step tried that may hold a
//            reservation (not answered without one: refused, or without side effect) gets
//            kCancel, sent once (a lost cancel is made good by the expiry); a step releases its
//            reservation (its `cancel` operation, if any, takes time) and remembers the
//            cancel, so a late try is refused.
// A confirm that finds its reservation expired is TCC's heuristic outcome: the other steps
// may be confirmed, and the transaction ends violated. It needs a confirm delayed beyond
// the expiry (a coordinator down, or a participant unreachable, longer than tcc.expiry
// minus the margin), so TCC is atomic only when every outage is shorter than that.
//
// Crash: the coordinator's volatile state is lost; its confirm decisions are durable and
// it confirms them again on recovery; a transaction it had not decided is lost, and its
// reservations expire. A participant's reservations and decisions are durable; its expiry
// timers are re-armed on recovery (a reservation whose time passed expires at once).
// Decisions: an expiry is a participant's own decision after it promised (counted).
//
// Messages without failures (n steps, r without side effect): 2 + 2n + 2(n - r).
// With a refusal at step k of a sequential workflow without read-only steps: 2 + 2k + (k - 1).
#pragma once

#include "models/pattern.hpp"

namespace models {

extern const PatternInfo kTccPattern;

}  // namespace models
