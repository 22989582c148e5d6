#include "models/channel.hpp"

#include <algorithm>

#include "models/grow.hpp"

namespace models {

sim::Time redelivery_wait(const BrokerConfig& b, uint32_t attempt) {
  sim::Time wait = b.redelivery;
  for (uint32_t i = 1; i < attempt && wait < b.redelivery_max; ++i) wait = wait * 2;
  return std::min(wait, b.redelivery_max);
}

sim::Time resend_wait(const ScenarioConfig& c, uint32_t sent) {
  const sim::Time first = c.timeouts.call;
  const sim::Time most = std::max(first, c.broker.redelivery_max);
  sim::Time wait = first;
  for (uint32_t i = 1; i < sent && wait < most; ++i) wait = sim::Time::saturating_add(wait, wait);
  return std::min(wait, most);
}

sim::Time delivery_span(const BrokerConfig& b) {
  if (b.max_attempts == 0) return sim::Time::max();
  sim::Time span = sim::Time::zero();
  for (uint32_t a = 1; a <= b.max_attempts; ++a) span = sim::Time::saturating_add(span, redelivery_wait(b, a));
  return span;
}

sim::Time Channel::attempt_timeout(sim::Time rpc_timeout) const {
  if (!broker_) return rpc_timeout;
  const BrokerConfig& b = w_.config().broker;
  // Without a delivery limit, a watchdog: the broker may still lose the command (a crash
  // of a volatile broker).
  const sim::Time span = b.max_attempts == 0 ? b.redelivery_max * 4 : delivery_span(b);
  return sim::Time::saturating_add(rpc_timeout, span);
}

Channel::Channel(World& w, sim::NodeId self, Transport transport)
    : w_(w), self_(self), broker_(transport == Transport::kBroker && w.has_broker()) {}

uint32_t Channel::open_pending(const sim::Message& m, uint32_t destination, uint64_t delivery) {
  const uint32_t slot = take_slot(pending_, free_);
  Pending& p = pending_[slot];
  p.live = true;
  ++p.gen;
  p.sent = 0;
  p.msg = m;
  p.msg.dst = w_.broker();
  p.msg.relay = kEnqueue;
  p.msg.relay_node = destination;
  // Accept refs start at 1 (0 asks for no acceptance): the slot is stored plus one.
  p.msg.relay_ref = (uint64_t{p.gen} << 32) | (slot + 1);
  p.delivery = delivery;
  return slot;
}

void Channel::send_pending(uint32_t slot) {
  if (!registered_) {  // on first use: a scenario without brokered patterns keeps its handlers
    handler_ = w_.sim().add_handler(this);
    registered_ = true;
  }
  Pending& p = pending_[slot];
  w_.send_broker(w_.node(self_), p.msg);
  w_.sim().schedule_after(resend_wait(w_.config(), ++p.sent), handler_, 0, p.msg.relay_ref);
}

void Channel::on_event(sim::Simulation& sim, const sim::Event& e) {
  (void)sim;
  const auto low = static_cast<uint32_t>(e.payload & 0xffff'ffffu);
  if (low == 0 || low > pending_.size()) return;
  Pending& p = pending_[low - 1];
  if (!p.live || p.msg.relay_ref != e.payload) return;
  if (!w_.node(self_).up()) return;  // lost with the node's volatile state anyway
  send_pending(low - 1);  // not accepted yet: the enqueue or its acceptance was lost
}

void Channel::to_service(sim::Node& self, sim::Message m, ServiceId s, sim::NodeId node) {
  if (broker_) {
    send_pending(open_pending(m, kToService | s, 0));
    return;
  }
  m.dst = node;
  w_.send(self, m);
}

void Channel::to_node(sim::Node& self, sim::Message m, sim::NodeId node) {
  if (broker_) {
    send_pending(open_pending(m, node, 0));
    return;
  }
  m.dst = node;
  w_.send(self, m);
}

void Channel::answer(sim::Node& self, const sim::Message& request, sim::Message m) {
  if (request.relay != kDelivered) {
    m.relay = kNotRelayed;
    m.dst = request.src;
    w_.send(self, m);
    return;
  }
  send_pending(open_pending(m, request.relay_node, request.relay_ref));
}

void Channel::acknowledge(sim::Node& self, const sim::Message& m) {
  if (m.relay != kDelivered) return;
  sim::Message a;
  a.dst = w_.broker();
  a.txn = m.txn;
  a.relay = kDeliveryAck;
  a.relay_ref = m.relay_ref;
  w_.send_broker(self, a);
}

bool Channel::accepted(sim::Node& self, const sim::Message& m) {
  if (m.relay_ref >> 63) return false;  // an Outbox's (not ours)
  const auto low = static_cast<uint32_t>(m.relay_ref & 0xffff'ffffu);
  if (low == 0 || low > pending_.size()) return false;
  const uint32_t slot = low - 1;
  Pending& p = pending_[slot];
  if (!p.live || p.msg.relay_ref != m.relay_ref) return false;
  p.live = false;
  free_.push_back(slot);
  if (p.delivery == 0) return false;  // a command: stored, and the broker delivers it now
  // An answer is stored: the command it answers can be let go.
  sim::Message a;
  a.dst = w_.broker();
  a.txn = p.msg.txn;
  a.relay = kDeliveryAck;
  a.relay_ref = p.delivery;
  w_.send_broker(self, a);
  return false;
}

void Channel::crashed() {
  // The slots keep their generations, so a late acceptance matches nothing.
  free_.clear();
  for (uint32_t s = 0; s < pending_.size(); ++s) {
    pending_[s].live = false;
    free_.push_back(s);
  }
}

}  // namespace models
