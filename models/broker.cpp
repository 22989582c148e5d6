#include "models/broker.hpp"

#include <algorithm>

#include "models/channel.hpp"
#include "models/grow.hpp"
#include "models/messages.hpp"
#include "models/token.hpp"

namespace models {

Broker::Broker(World& w, std::vector<Subscription> subscriptions, DeadLetter on_dead_letter)
    : w_(w),
      balancer_(w, w.broker()),
      subs_(std::move(subscriptions)),
      on_dead_letter_(std::move(on_dead_letter)) {
  for (uint32_t i = 0; i < subs_.size(); ++i) {
    const uint32_t topic = subs_[i].topic;
    if (topic >= by_topic_.size()) by_topic_.resize(topic + 1);
    by_topic_[topic].push_back(i);
  }
  lanes_.resize(subs_.size());
  // Messages stored and not yet acknowledged (or given up): the broker's backlog.
  w.add_gauge("broker", "backlog", [this] {
    double n = 0;
    for (const Stored& st : stored_) n += st.live ? 1 : 0;
    return n;
  });
}

void Broker::on_message(sim::Node& self, const sim::Message& m) {
  if (m.relay == kDeliveryAck) {
    const auto slot = static_cast<uint32_t>(m.relay_ref & 0xffff'ffffu);
    const auto gen = static_cast<uint32_t>(m.relay_ref >> 32);
    if (slot >= stored_.size() || !stored_[slot].live || stored_[slot].gen != gen) return;
    self.cancel_timer(stored_[slot].timer);
    drop(self, slot);
    return;
  }
  if (m.type == kPublish || m.relay == kEnqueue) {
    const uint32_t slot = take_slot(publishes_, free_publishes_);
    publishes_[slot] = m;
    self.submit(0, slot, subject(m.txn, m.step));  // the broker's single operation: handling one message
    return;
  }
  if (m.type == kDeliverAck) {
    const auto slot = static_cast<uint32_t>(m.ref & 0xffff'ffffu);
    const auto gen = static_cast<uint32_t>(m.ref >> 32);
    if (slot >= stored_.size() || !stored_[slot].live || stored_[slot].gen != gen) return;
    self.cancel_timer(stored_[slot].timer);
    drop(self, slot);
  }
}

void Broker::stored(sim::Node& self, const sim::Message& enqueued) {
  const uint32_t slot = take_slot(stored_, free_stored_);
  Stored& st = stored_[slot];
  st.live = true;
  st.notice = false;
  ++st.gen;
  st.txn = enqueued.txn;
  st.sub = kQueued;
  st.msg = enqueued;
  st.origin = enqueued.src;
  st.attempt = 0;
  st.node = sim::kNoNode;
  st.lane = lane_of_queue(enqueued.relay_node);
  admit(self, slot);
  sim::Message ack;
  ack.dst = enqueued.src;
  ack.txn = enqueued.txn;
  ack.relay = kAccepted;
  ack.relay_ref = enqueued.relay_ref;
  w_.send_broker(self, ack);
}

void Broker::deliver_queued(sim::Node& self, uint32_t slot) {
  Stored& st = stored_[slot];
  const uint32_t limit = w_.config().broker.max_attempts;
  if (limit != 0 && st.attempt >= limit) {
    w_.ledger().dead_letter(st.txn);
    w_.mark(self, st.txn, st.msg.step, "dead letter");
    given_up(slot);
    drop(self, slot);
    return;
  }
  ++st.attempt;
  const uint32_t to = st.msg.relay_node;
  st.node = (to & kToService) ? balancer_.pick(to & ~kToService, st.node) : to;
  sim::Message m = st.msg;
  m.dst = st.node;
  m.relay = kDelivered;
  m.relay_node = st.origin;
  m.relay_ref = (uint64_t{st.gen} << 32) | slot;
  w_.send_broker(self, m);
  st.timer = self.set_timer(redelivery_wait(st.attempt), m.relay_ref);
}

void Broker::on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) {
  (void)worker;
  const sim::Message pub = publishes_[job.token];
  free_publishes_.push_back(static_cast<uint32_t>(job.token));
  if (pub.relay == kEnqueue) {
    stored(self, pub);
    return;
  }
  const auto topic = static_cast<uint32_t>(pub.value);
  if (topic < by_topic_.size()) {
    for (const uint32_t sub : by_topic_[topic]) {
      const uint32_t slot = take_slot(stored_, free_stored_);
      Stored& st = stored_[slot];
      st.live = true;
      st.notice = false;
      ++st.gen;
      st.txn = pub.txn;
      st.sub = sub;
      st.attempt = 0;
      st.node = sim::kNoNode;
      st.lane = sub;
      admit(self, slot);
    }
  }
  sim::Message ack;
  ack.type = kPublishAck;
  ack.dst = pub.src;
  ack.txn = pub.txn;
  ack.value = pub.value;
  ack.attempt = pub.attempt;
  ack.ref = pub.ref;
  w_.send_broker(self, ack);
}

void Broker::deliver(sim::Node& self, uint32_t slot) {
  Stored& st = stored_[slot];
  const Subscription& sub = subs_[st.sub];
  if (!st.notice && sub.max_attempts != 0 && st.attempt >= sub.max_attempts) {
    w_.ledger().dead_letter(st.txn);
    w_.mark(self, st.txn, sub.step, "dead letter");
    if (!sub.notify) {
      const uint64_t txn = st.txn;
      given_up(slot);
      drop(self, slot);  // (which may deliver the next message into this slot's place)
      if (on_dead_letter_) on_dead_letter_(txn, sub);
      return;
    }
    st.notice = true;  // from now on the notice is delivered, until acknowledged
    st.attempt = 0;
  }
  ++st.attempt;
  st.node = balancer_.pick(sub.service, st.node);
  sim::Message m;
  m.type = st.notice ? kDeadLettered : kDeliver;
  m.dst = st.node;
  m.txn = st.txn;
  m.step = sub.step;
  m.value = sub.topic;
  m.attempt = st.attempt;
  m.ref = (uint64_t{st.gen} << 32) | slot;
  w_.send_broker(self, m);
  st.timer = self.set_timer(redelivery_wait(st.attempt), m.ref);
}

sim::Time Broker::redelivery_wait(uint32_t attempt) const {
  return models::redelivery_wait(w_.config().broker, attempt);
}

void Broker::on_timer(sim::Node& self, uint64_t ref) {
  const auto slot = static_cast<uint32_t>(ref & 0xffff'ffffu);
  if (!stored_[slot].live || stored_[slot].gen != static_cast<uint32_t>(ref >> 32)) return;
  deliver_any(self, slot);
}

void Broker::given_up(uint32_t slot) {
  const Stored& st = stored_[slot];
  const uint32_t step = st.sub == kQueued ? st.msg.step : subs_[st.sub].step;
  const bool async = st.sub == kQueued ? st.msg.type == kFire
                                       : w_.workflow(st.txn).steps()[step].async;
  if (async) w_.ledger().async_ended(st.txn, step);  // it will never run
}

uint32_t Broker::lane_of_queue(uint32_t destination) {
  const auto [it, added] = queue_lanes_.try_emplace(destination, static_cast<uint32_t>(lanes_.size()));
  if (added) lanes_.emplace_back();
  return it->second;
}

void Broker::admit(sim::Node& self, uint32_t slot) {
  Stored& st = stored_[slot];
  Lane& lane = lanes_[st.lane];
  const uint32_t limit = w_.config().broker.prefetch;
  if (limit != 0 && lane.in_flight >= limit) {
    st.waiting = true;
    lane.waiting.push_back(slot);
    return;
  }
  st.waiting = false;
  ++lane.in_flight;
  deliver_any(self, slot);
}

void Broker::deliver_any(sim::Node& self, uint32_t slot) {
  if (stored_[slot].sub == kQueued) {
    deliver_queued(self, slot);
  } else {
    deliver(self, slot);
  }
}

void Broker::fill(sim::Node& self, Lane& lane) {
  const uint32_t limit = w_.config().broker.prefetch;
  while (!lane.waiting.empty() && (limit == 0 || lane.in_flight < limit)) {
    const uint32_t next = lane.waiting.front();
    lane.waiting.pop_front();
    admit(self, next);
  }
}

void Broker::drop(sim::Node& self, uint32_t slot) {
  Stored& st = stored_[slot];
  st.live = false;
  free_stored_.push_back(slot);
  if (st.waiting) return;  // (never delivered: nothing acknowledges or gives it up)
  Lane& lane = lanes_[st.lane];
  --lane.in_flight;
  // The next one in line, if the broker is up to deliver it (after a crash, recovery does).
  if (self.up()) fill(self, lane);
}

void Broker::on_crash(sim::Node& self) {
  (void)self;
  publishes_.clear();
  free_publishes_.clear();
  if (!w_.config().broker.durable) {
    for (uint32_t s = 0; s < stored_.size(); ++s) {
      if (!stored_[s].live) continue;
      given_up(s);
      stored_[s].live = false;
      free_stored_.push_back(s);
    }
    for (Lane& lane : lanes_) lane = Lane{};
  }
}

void Broker::on_recover(sim::Node& self) {
  // Durable messages are delivered again (their redelivery timers died with the crash);
  // those held back by the prefetch limit still wait their turn.
  for (uint32_t s = 0; s < stored_.size(); ++s) {
    if (stored_[s].live && !stored_[s].waiting) deliver_any(self, s);
  }
  // A lane that ended deliveries while the broker was down has room again.
  for (Lane& lane : lanes_) fill(self, lane);
}

void install_broker(World& w, std::vector<std::unique_ptr<sim::Behavior>>& keep,
                    std::vector<Subscription> subscriptions, Broker::DeadLetter on_dead_letter) {
  if (!w.has_broker()) return;
  keep.push_back(std::make_unique<Broker>(w, std::move(subscriptions), std::move(on_dead_letter)));
  w.node(w.broker()).set_behavior(keep.back().get());
}

}  // namespace models
