#include "models/publisher.hpp"

#include <algorithm>

#include "models/channel.hpp"
#include "models/grow.hpp"
#include "models/messages.hpp"
#include "models/token.hpp"

namespace models {

void Publisher::publish(sim::Node& self, uint64_t txn, uint32_t topic, uint64_t then) {
  const uint32_t slot = take_slot(pending_, free_);
  Pending& p = pending_[slot];
  p.live = true;
  ++p.gen;
  p.txn = txn;
  p.topic = topic;
  p.then = then;
  p.sent = 0;
  send(self, slot);
}

Publisher::Pending* Publisher::acked(sim::Node& self, const sim::Message& ack) {
  const auto slot = static_cast<uint32_t>(ack.ref & 0xffff'ffffu);
  if (slot >= pending_.size()) return nullptr;
  Pending& p = pending_[slot];
  if (!p.live || p.gen != static_cast<uint32_t>(ack.ref >> 32)) return nullptr;
  self.cancel_timer(p.timer);
  p.live = false;
  free_.push_back(slot);
  return &p;
}

bool Publisher::timer(sim::Node& self, uint64_t payload) {
  const Token t = Token::unpack(payload);
  if (t.kind != kPublishTimer) return false;
  const auto slot = static_cast<uint32_t>(t.txn);
  if (slot < pending_.size() && pending_[slot].live && (pending_[slot].gen & Token::kMaxPart) == t.part) {
    w_.ledger().retry(pending_[slot].txn);
    send(self, slot);
  }
  return true;
}

void Publisher::send(sim::Node& self, uint32_t slot) {
  Pending& p = pending_[slot];
  sim::Message m;
  m.type = kPublish;
  m.dst = w_.broker();
  m.txn = p.txn;
  m.value = p.topic;
  m.ref = (uint64_t{p.gen} << 32) | slot;
  w_.send_broker(self, m);
  p.timer = self.set_timer(resend_wait(w_.config(), ++p.sent), pack(slot, 0, kPublishTimer, p.gen & Token::kMaxPart));
}

}  // namespace models
