// Message types shared by the patterns (sim::Message::type). Each pattern's own types are
// listed in its header; the numbers only need to be distinct.
#pragma once

#include <cstdint>

namespace models {

enum MessageType : uint32_t {
  kRequest = 1,  // client -> entry: start transaction `txn`
  kReply = 2,    // entry -> client: value = Answer
  // Synchronous step calls (orchestration, orchestrated saga).
  kCall = 10,          // step, attempt
  kCallReply = 11,     // value = 1 ok, 0 business failure
  kCompensate = 12,    // step, attempt
  kCompensated = 13,
  // Two-phase commit.
  kPrepare = 20,
  kVote = 21,        // value = 1 yes, 0 no
  kCommit = 22,
  kAbort = 23,
  kAck = 24,
  kDecisionQuery = 25,  // a participant in doubt asks the coordinator
  // Broker (choreography, choreographed saga).
  kPublish = 30,      // producer -> broker; value = topic
  kPublishAck = 31,   // broker -> producer
  kDeliver = 32,      // broker -> subscriber; value = topic, attempt = delivery attempt
  kDeliverAck = 33,   // subscriber -> broker
};

}  // namespace models
