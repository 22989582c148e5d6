// Choreography: no central brain. The entry service publishes an event to the broker and
// answers the client as soon as the broker has acknowledged it; every service subscribes
// to the events that trigger its step and publishes its own.
//
// Topics: "start" (published by the entry), "step i done" and "step i failed" for every
// step i. A step of the first stage subscribes to "start"; a step of a later stage
// subscribes to the "done" events of every step of the stage before and runs once it has
// them all (a join, kept in the service's durable state).
//
// Protocol, per transaction and step (broker messages in brackets):
//   client --kRequest--> entry; entry serves its operation, [kPublish start -> kPublishAck];
//   entry --kReply(ok)--> client
//   broker [kDeliver] --> service: serves the step's action, applies the effect,
//   [kPublish "done" -> kPublishAck], then [kDeliverAck] the event that triggered it.
// A subscriber acknowledges its input only after its own event is safely published, so a
// crash never breaks the chain; it may instead run a step twice (at-least-once), which
// counts as a duplicate effect unless the step is idempotent or its service has an inbox.
// A producer whose publish is not acknowledged within timeouts.call publishes again.
//
// Failures: a business refusal (`fails`) publishes "step i failed" and stops the chain;
// without compensation the earlier effects stay (a violation). A technical error
// (`errors`, drawn per delivery attempt) is not acknowledged: the broker delivers again
// after `redelivery`. A message given up by the broker (broker.max_attempts) also stops
// the chain.
//
// Inbox (services.X.inbox): a delivery for a step already executed is acknowledged without
// running it again (a suppressed duplicate); if its outcome was never published (a crash
// came between), it is published again first. A join therefore fires once.
//
// Saga mode (saga_choreographed) adds, with the saga roles of models/workflow.hpp:
//   - every service with a compensable step subscribes to the "failed" events of the steps
//     of its own stage and later ones, up to the pivot; on one it compensates its step if
//     it applied it and leaves a tombstone either way, so a late original is refused.
//     Compensations run concurrently (no central order) and are redelivered until
//     acknowledged, up to retry.compensation_attempts deliveries (0: without limit; one
//     given up leaves its effect: a violation);
//   - a step after the pivot is retriable: its deliveries are never given up;
//   - a delivery before the pivot that the broker gives up (broker.max_attempts) is
//     announced to its subscriber, which decides from its own durable record: if it ran
//     the step it publishes the outcome again, else it tombstones the step and publishes
//     "step i failed", and compensation follows.
//
// Messages per transaction without failures (stages S1..Sm, n steps):
//   2 (client) + 2 (start publish) + 2n (each step's publish) + 2|S1| + 2 sum_k |Sk||Sk+1|
// (each delivery and its acknowledgement). Completion is observed by the simulator: the
// time the last effect or compensation was done, since no node knows it.
#pragma once

#include <memory>

#include "models/pattern.hpp"

namespace models {

extern const PatternInfo kChoreographyPattern;
// The engine behind both choreographed patterns; saga = saga_choreographed.
std::unique_ptr<Pattern> make_choreographed(bool saga);

}  // namespace models
