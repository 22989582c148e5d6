#include "models/outbox.hpp"

#include <algorithm>

#include "models/grow.hpp"
#include "models/messages.hpp"

namespace models {

Outbox::Outbox(World& w, sim::NodeId self) : w_(w), self_(self) {}

void Outbox::fire(sim::Node& self, uint64_t txn, uint32_t step) {
  (void)self;
  // Registered on first use, so that a scenario without async steps has the simulator's
  // handlers (and its fingerprint) it always had.
  if (!registered_) {
    handler_ = w_.sim().add_handler(this);
    registered_ = true;
  }
  const uint32_t slot = take_slot(pending_, free_);
  Pending& p = pending_[slot];
  p.live = true;
  ++p.gen;
  p.txn = txn;
  p.step = step;
  p.sent = 0;
  send(slot);
}

void Outbox::send(uint32_t slot) {
  Pending& p = pending_[slot];
  sim::Node& node = w_.node(self_);
  if (node.up()) {  // the relay runs while its node does (and backs off as it sends)
    ++p.sent;
    sim::Message m;
    m.type = kFire;
    m.txn = p.txn;
    m.step = p.step;
    m.dst = w_.broker();
    m.relay = kEnqueue;
    m.relay_node = kToService | w_.workflow(p.txn).steps()[p.step].service;
    m.relay_ref = kOutboxBit | (uint64_t{p.gen} << 32) | slot;
    w_.send_broker(node, m);
  }
  w_.sim().schedule_after(resend_wait(w_.config(), std::max<uint32_t>(p.sent, 1)), handler_, 0,
                          (uint64_t{p.gen} << 32) | slot);
}

void Outbox::settle(uint64_t ref) {
  const auto slot = static_cast<uint32_t>(ref & 0xffff'ffffu);
  const auto gen = static_cast<uint32_t>((ref & ~kOutboxBit) >> 32);
  if (slot < pending_.size() && pending_[slot].live && pending_[slot].gen == gen) {
    pending_[slot].live = false;
    free_.push_back(slot);
  }
}

void Outbox::on_event(sim::Simulation& sim, const sim::Event& e) {
  (void)sim;
  const auto slot = static_cast<uint32_t>(e.payload & 0xffff'ffffu);
  const auto gen = static_cast<uint32_t>(e.payload >> 32);
  if (slot < pending_.size() && pending_[slot].live && pending_[slot].gen == gen) send(slot);
}

}  // namespace models
