// sim::Message: what nodes send each other over the network. A plain value; its fields'
// meanings (beyond src and dst) belong to the model that sends it.
#pragma once

#include <cstdint>

#include "sim/time.hpp"

namespace sim {

using NodeId = uint32_t;
constexpr NodeId kNoNode = 0xffff'ffffu;

struct Message {
  NodeId src = kNoNode;
  NodeId dst = kNoNode;
  uint32_t type = 0;     // model-defined message type
  uint32_t step = 0;     // model-defined (e.g. the workflow step)
  uint64_t txn = 0;      // model-defined (e.g. the transaction id)
  uint32_t attempt = 0;  // model-defined (e.g. the retry number)
  uint32_t flags = 0;    // model-defined
  int64_t value = 0;     // model-defined (e.g. a vote, an outcome)
  uint64_t ref = 0;      // model-defined (e.g. a broker delivery id)
  bool duplicate = false;  // set by the network on the extra copy of a duplicated message
  // What a relay (a broker, a proxy) adds around the model's message: model-defined. The
  // network carries them like the rest and never reads them.
  uint8_t relay = 0;         // 0: not relayed; otherwise the relay's own step of handling
  uint32_t relay_node = 0;   // e.g. the final destination, or the original sender
  uint64_t relay_ref = 0;    // e.g. a delivery id
};
// One cache line: the network copies every message twice (in and out of its pool).
static_assert(sizeof(Message) == 64, "sim::Message stays 64 bytes");

}  // namespace sim
