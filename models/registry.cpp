#include "models/registry.hpp"

#include <fmt/format.h>

#include "models/messages.hpp"

#include "models/choreography.hpp"
#include "models/orchestration.hpp"
#include "models/saga_choreographed.hpp"
#include "models/saga_orchestrated.hpp"
#include "models/tcc.hpp"
#include "models/two_phase_commit.hpp"

namespace models {

const std::vector<const PatternInfo*>& patterns() {
  // Every pattern, one line each; its PatternInfo is defined in its own .cpp.
  static const std::vector<const PatternInfo*> all{
      &kOrchestrationPattern,
      &kChoreographyPattern,
      &kTwoPhaseCommitPattern,
      &kSagaOrchestratedPattern,
      &kSagaChoreographedPattern,
      &kTccPattern,
  };
  return all;
}

const PatternInfo* find_pattern(std::string_view name) {
  for (const PatternInfo* p : patterns()) {
    if (name == p->name) return p;
  }
  return nullptr;
}

const std::vector<std::string>& pattern_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const PatternInfo* p : patterns()) v.emplace_back(p->name);
    return v;
  }();
  return names;
}

const char* transport_name(Transport t) { return t == Transport::kBroker ? "broker" : "rpc"; }

std::string PatternChoice::label() const {
  if (info == nullptr) return "";
  std::string s = info->name;
  if (transport != info->default_transport) s += std::string("/") + transport_name(transport);
  return s;
}

}  // namespace models

namespace models {

const char* shared_message_name(uint32_t type) {
  switch (type) {
    case kRequest: return "Request";
    case kReply: return "Reply";
    case kCall: return "Call";
    case kCallReply: return "CallReply";
    case kCompensate: return "Compensate";
    case kCompensated: return "Compensated";
    case kResolve: return "Resolve";
    case kResolved: return "Resolved";
    case kNestedCall: return "NestedCall";
    case kNestedReply: return "NestedReply";
    case kFire: return "Fire";
    case kPublish: return "Publish";
    case kPublishAck: return "PublishAck";
    case kDeliver: return "Deliver";
    case kDeliverAck: return "DeliverAck";
    case kDeadLettered: return "DeadLettered";
    case kSpan: return "Span";
    default: return nullptr;
  }
}

std::string message_text(const PatternInfo& p, const sim::Message& m) {
  const char* name = p.message_name != nullptr ? p.message_name(m.type) : nullptr;
  if (name == nullptr) name = shared_message_name(m.type);
  const std::string base = name != nullptr ? name : fmt::format("message {}", m.type);
  switch (m.relay) {
    case kEnqueue: return fmt::format("Enqueue({})", base);
    case kAccepted: return fmt::format("Accepted({})", base);
    case kDelivered: return fmt::format("Delivered({})", base);
    case kDeliveryAck: return fmt::format("DeliveryAck({})", base);
    default: return base;
  }
}

}  // namespace models
