// Two-phase commit, in the three variants of Mohan, Lindsay & Obermarck (1986, "Transaction
// management in the R* distributed database management system") and as Paxos Commit (below).
// The entry service is the coordinator; every workflow step is a participant branch at its
// service (all prepared in parallel: 2PC ignores the workflow's stages).
//
// Protocol, per transaction:
//   client --kRequest--> coordinator (serves its entry operation)
//   presumed commit only: the coordinator forces a collecting record (the participants)
//   coordinator --kPrepare--> each participant, again to those whose vote has not come after
//     timeouts.call and then twice as long each time, until timeouts.prepare aborts the
//     transaction
//     participant: takes the locks on the step's keys (waiting at most timeouts.lock_wait,
//     else it aborts on its own and votes no), does the step's work, and then
//       - business or technical failure: releases its locks, votes no (presumed nothing
//         forces an abort record first);
//       - no side effect (presumed abort and commit): releases its locks, votes read-only
//         and takes no part in phase 2;
//       - otherwise: forces a "prepared" record, votes yes, keeps its locks and is in doubt
//         until it learns the decision. A duplicate PREPARE gets the logged vote again.
//   participant --kVote--> coordinator
//   commit (every vote yes or read-only): the coordinator forces its commit record (none
//     when nothing is to be committed, unforced under presumed commit), answers the client
//     (kOk) and sends kCommit to each yes voter. A participant applies the effect (its
//     `commit` operation, if any, is the time it takes); presumed nothing and abort: forces
//     a committed record and --kAck-->, the coordinator re-sending kCommit (after
//     timeouts.call, backing off) until every ack is in, then writing its end record; presumed commit:
//     writes it unforced, no ack, and the coordinator forgets the transaction at once.
//   abort (a no vote, or votes missing after timeouts.prepare; presumed nothing waits for
//     every vote): presumed abort: nothing forced, kAbort to every participant that may
//     have prepared, no acks; presumed nothing: the abort forced, kAbort to every
//     participant, each forcing its abort record and acknowledging; presumed commit: the
//     abort unforced, kAbort to every participant that may have prepared, forced and
//     acknowledged. The client is told kRejected (a no vote) or kError.
// Failures handled:
//   - a participant in doubt asks the coordinator (kDecisionQuery) every timeouts.prepare;
//     the coordinator answers from its log: commit if it has a commit record, nothing while
//     it is still deciding, otherwise by its presumption (abort; presumed commit: abort if
//     a collecting record is open, commit if there is no record at all);
//   - a coordinator crash loses undecided transactions; on recovery it re-sends kCommit for
//     every commit record without an end record, and (presumed commit) aborts every
//     collecting record without a decision. The cost is the number of open records;
//   - a participant crash loses what it had not prepared (the coordinator times out and
//     aborts); on recovery it takes back the locks of every prepared branch and asks the
//     coordinator. While the coordinator is down, prepared participants stay blocked.
// Paxos Commit (Gray & Lamport 2006, "Consensus on transaction commit", sections 4-5), the
// variant paxos_commit: the same participants, but each vote is the ballot-0 value of the
// participant's own Paxos instance, sent (kPhase2a) to the first F+1 of 2F+1 acceptors
// (own nodes, or roles on participants' nodes); an acceptor forces a transaction's votes
// once it has all of them and sends the coordinator one kPhase2b for all; F+1 of those
// choose the outcome, which the coordinator (writing nothing) sends to the participants
// that prepared, unacknowledged. Recovery ballots (kPhase1a/kPhase1b, then kPhase2a/
// kPhase2b with a ballot above 0) are run by the coordinator when the votes are not chosen
// within timeouts.prepare, and by any participant in doubt after timeouts.prepare (again
// after timeouts.call, backing off), so a coordinator crash blocks nobody while F+1
// acceptors are up.
// Measured: lock hold and wait times, in-doubt time (vote yes to decision known), forced
// log writes, and transactions blocked beyond the failure-free window (timeouts.prepare).
//
// Messages and forced writes per transaction without failures: docs/patterns.md (checked
// exactly by tests/models/commit_protocol_test.cpp).
#pragma once

#include <memory>

#include "models/pattern.hpp"

namespace models {

extern const PatternInfo kTwoPhaseCommitPattern;

}  // namespace models
