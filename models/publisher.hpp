// models::Publisher: publishes events to the broker for one node, each again until the broker
// acknowledges it (an at-least-once producer: the broker does not deduplicate, so a lost
// acknowledgement makes a second copy). The waits back off: timeouts.call, then twice as
// long each time, up to broker.redelivery_max (or timeouts.call, if longer), so a timeout
// shorter than the round trip makes a few copies, not a storm. Volatile: a crash
// forgets what was not acknowledged. A publish may name a delivery to acknowledge once it
// is published (a subscriber acknowledges its input only after its own output is safe).
//
// Timers: Token(slot, 0, kPublishTimer, generation) (a kind below ServiceNode's).
#pragma once

#include <cstdint>
#include <vector>

#include "models/world.hpp"

namespace models {

class Publisher {
 public:
  static constexpr uint32_t kPublishTimer = 40;  // its timers' Token kind

  struct Pending {
    bool live = false;
    uint32_t gen = 0;
    uint64_t txn = 0;
    uint32_t topic = 0;
    uint32_t sent = 0;  // copies sent so far
    uint64_t then = 0;  // the delivery to acknowledge once published (0: none)
    sim::TimerId timer;
  };
  explicit Publisher(World& w) : w_(w) {}

  void publish(sim::Node& self, uint64_t txn, uint32_t topic, uint64_t then);
  // The publish this acknowledgement is for, or nullptr (stale or duplicate ack).
  Pending* acked(sim::Node& self, const sim::Message& ack);
  // Returns true iff the timer payload is a publish timer (it is handled: published again).
  bool timer(sim::Node& self, uint64_t payload);
  void clear() {
    pending_.clear();
    free_.clear();
  }

 private:
  void send(sim::Node& self, uint32_t slot);

  World& w_;
  std::vector<Pending> pending_;
  std::vector<uint32_t> free_;
};

}  // namespace models
