// Message types shared by the patterns (sim::Message::type): the client's, the step calls
// that a StepServer answers, and the broker's. A pattern's own types are defined in its .cpp
// from 100 up (only one pattern runs in a World, so they need only avoid these).
#pragma once

#include <cstdint>

namespace models {

enum MessageType : uint32_t {
  kRequest = 1,  // client -> entry: start transaction `txn`
  kReply = 2,    // entry -> client: value = Answer
  // Synchronous step calls (orchestration, orchestrated saga).
  kCall = 10,          // step, attempt
  kCallReply = 11,     // value = StepResult: 1 done, 0 refused, 2 technical error
  kCompensate = 12,    // step, attempt
  kCompensated = 13,
  kResolve = 14,       // step: "did you apply it?"; if not, it is refused from then on
  kResolved = 15,      // value = 1 applied, 0 not (and now refused)
  // Calls of a call tree (ServiceNode).
  kNestedCall = 16,    // step, attempt, value = call number, flags = place in group, ref
  kNestedReply = 17,   // value = StepResult, ref and flags echoed
  // An async step, fired through the broker once its transaction committed (ServiceNode);
  // acknowledged when done, so a technical error or a crash brings it again.
  kFire = 18,          // step
  // Broker (choreography, choreographed saga).
  kPublish = 30,      // producer -> broker; value = topic
  kPublishAck = 31,   // broker -> producer
  kDeliver = 32,      // broker -> subscriber; value = topic, attempt = delivery attempt
  kDeliverAck = 33,   // subscriber -> broker
  kDeadLettered = 34,  // broker -> subscriber: the delivery (value = topic) was given up
  // Tracing (models/tracing.hpp): a service -> the collector, one per span.
  kSpan = 40,         // step
};

// The name of a shared message type ("Call"), or nullptr for a pattern's own type.
const char* shared_message_name(uint32_t type);

// The relay fields of a message that travels through the broker's queues instead of going
// straight to its destination (sim::Message::relay; Channel, Broker). The message's own
// fields (type, txn, step, attempt, flags, value, ref) are the pattern's, untouched.
enum Relay : uint8_t {
  kNotRelayed = 0,
  kEnqueue = 1,      // sender -> broker: relay_node = destination (kToService | service, or a
                     // node), relay_ref = the sender's id for the acceptance (0: none wanted)
  kAccepted = 2,     // broker -> sender: stored; relay_ref echoed
  kDelivered = 3,    // broker -> destination: relay_node = the original sender,
                     // relay_ref = the delivery id
  kDeliveryAck = 4,  // destination -> broker: relay_ref = the delivery id
};
// relay_node of an enqueue bound for any replica of a service (the broker picks one).
inline constexpr uint32_t kToService = 1u << 31;

}  // namespace models
