// Two-phase commit (presumed abort). The entry service is the coordinator; every workflow
// step is a participant branch at its service (all prepared in parallel: 2PC ignores the
// workflow's stages).
//
// Protocol, per transaction:
//   client --kRequest--> coordinator (serves its entry operation)
//   coordinator --kPrepare--> each participant
//     participant: takes the locks on the step's keys (waiting at most timeouts.lock_wait,
//     else it aborts on its own and votes no), does the step's work, and then
//       - business failure: releases its locks, votes no;
//       - no side effect: releases its locks, votes read-only (it takes no part in phase 2);
//       - otherwise: forces a "prepared" record to its log, votes yes, keeps its locks and is
//         in doubt until it learns the decision.
//   participant --kVote--> coordinator
//   all yes: the coordinator forces a "commit" record (the participants it must tell), then
//     --kCommit--> each yes voter; it answers the client (kOk). A participant applies the
//     effect (its `commit` operation, if it has one, is the time this takes), forces a
//     "committed" record, releases its locks, --kAck--> coordinator; once every ack is in,
//     the coordinator writes an end record: the transaction is complete.
//   a no vote, or votes missing after timeouts.prepare: abort. Presumed abort: nothing is
//     forced, --kAbort--> every participant that did not vote no or read-only (its `abort`
//     operation, if any, is the time it takes), no acks; the client is told kRejected (a no
//     vote) or kError (a timeout).
// Failures handled:
//   - a participant in doubt asks the coordinator (kDecisionQuery) every timeouts.prepare;
//     the coordinator answers from its log: commit if it has a commit record, nothing while
//     it is still deciding, abort otherwise (presumed abort);
//   - the coordinator re-sends kCommit every timeouts.prepare until all acks are in;
//   - a coordinator crash loses undecided transactions (their participants learn "abort"
//     when they ask); on recovery it re-sends kCommit for every commit record without an
//     end record;
//   - a participant crash loses what it had not prepared (the coordinator times out and
//     aborts); on recovery it takes back the locks of every prepared branch and asks the
//     coordinator. While the coordinator is down, prepared participants stay blocked.
// Variant (two_phase_commit.variant in the scenario): `presumed_abort` (the default, as
// above) or `basic` (presumed nothing): the coordinator waits for every vote, forces its
// decision either way, sends it to every participant, and every participant acknowledges
// commit and abort alike (no read-only optimization); the transaction ends with the last
// ack. Messages per transaction: 2 + 4n, whatever the outcome.
// Measured: lock hold time (lock taken to released), lock wait time, blocking time (vote
// yes to decision known).
//
// Messages per transaction without failures (n participants, r of them read-only):
//   2 (client) + 2n (prepare, vote) + 2(n - r) (commit, ack).
// With one no vote and no read-only participant: 2 + 2n + (n - 1) (aborts, not acked).
#pragma once

#include <memory>

#include "models/pattern.hpp"

namespace models {

extern const PatternInfo kTwoPhaseCommitPattern;

}  // namespace models
