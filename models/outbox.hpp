// models::Outbox: the async steps an entry replica has fired, until the broker has stored
// them (a transactional outbox and its relay): each is sent to its service's queue through
// the broker and sent again until the broker accepts it (kAccepted), after timeouts.call
// and then twice as long after each copy (resend_wait).
// The outbox is durable: a crash of the replica pauses the relay, which resumes on recovery
// (a message sent twice is stored twice; the step runs twice unless its service has an
// inbox). Its resends are simulator events, not the node's timers, so they outlive a crash.
#pragma once

#include <cstdint>
#include <vector>

#include "models/channel.hpp"
#include "models/messages.hpp"
#include "models/world.hpp"

namespace models {

class Outbox final : public sim::Handler {
 public:
  Outbox(World& w, sim::NodeId self);
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Sends kFire for step `step` of txn to its service's queue.
  void fire(sim::Node& self, uint64_t txn, uint32_t step);
  // Handles m if it is the broker's acceptance of a fired message; returns true iff it was.
  bool accepted(const sim::Message& m) {
    if (m.relay != kAccepted || !(m.relay_ref & kOutboxBit)) return false;  // (every message)
    settle(m.relay_ref);
    return true;
  }

  void on_event(sim::Simulation& sim, const sim::Event& e) override;

 private:
  struct Pending {
    bool live = false;
    uint32_t gen = 0;
    uint64_t txn = 0;
    uint32_t step = 0;
    uint32_t sent = 0;  // copies sent so far
  };
  void send(uint32_t slot);
  void settle(uint64_t ref);
  // The ref an acceptance echoes: (gen, slot + 1); 0 asks for none, and the Channel's own
  // answers use refs whose top bit is clear.
  static constexpr uint64_t kOutboxBit = uint64_t{1} << 63;

  World& w_;
  sim::NodeId self_;
  sim::HandlerId handler_ = 0;
  bool registered_ = false;
  std::vector<Pending> pending_;  // durable
  std::vector<uint32_t> free_;
};

}  // namespace models
