// Choreography over RPC: the synchronous chain. No node knows the workflow; each service
// knows only what comes after its own step, and calls it.
//
// Protocol, per transaction (stages S1..Sm):
//   client --kRequest--> entry; entry serves its operation, then calls every step of S1
//   service of a step in Sk --kChainCall(step, value = 1)--> each step of Sk+1, once its
//     own step is done, and waits for their answers
//   each callee --kChainAnswer(value = its result)--> its caller, once its own step and
//     everything it called are answered: done, refused, or a technical error
//   entry --kReply--> client, once every step of S1 has answered
// A step after a parallel stage is a join: every step of the stage before calls it, with
// value 1 if it did its step and 0 if it refused (a step calls its successors with 0 only
// where they are joins: a successor with one predecessor is not called at all). The join
// runs once it has heard from all of them and every one of them did its step; otherwise it
// does not run and answers refused. The join's inputs are the service's durable record,
// and all its callers reach the same replica (picked by hashing the transaction, as a
// partitioned consumer would be), so a join fires once.
//
// An answer combines the callee's own result and its successors' answers: refused if any
// of them refused, else a technical error if any failed its attempts, else done. The
// entry answers the client kOk, kRejected or kError accordingly; a refusal stops the chain
// where it happens, and nothing is undone (a violation, as in choreography over the
// broker).
//
// Failures handled: every call has timeouts.call and the retry block, as in orchestration;
// a call whose attempts all fail answers the caller with a technical error. A callee still
// busy with its step or its own calls when the caller tries again answers all of the
// caller's attempts together, once. A crash loses the replica's open links (callers time
// out and call again); the durable record keeps the step's outcome and the joins' inputs.
// With `calls: blocking` a service holds the worker that ran its step until it answers:
// the whole chain below it holds one worker per link, the classic cost of a synchronous
// chain.
//
// Messages per transaction without failures: 2 (client) + 2|S1| + 2 sum_k |Sk||Sk+1|, the
// same as the deliveries of choreography over the broker, without the broker's.
// Acceptance and completion are the same instant: the entry answers when the chain has.
#pragma once

#include <memory>

#include "models/pattern.hpp"

namespace models {

std::unique_ptr<Pattern> make_choreography_rpc();
// The names of the chain's message types (PatternInfo::message_name).
const char* chain_message_name(uint32_t type);

}  // namespace models
