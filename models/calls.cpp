#include "models/calls.hpp"

#include "models/retry.hpp"
#include "models/token.hpp"

namespace models {

Caller::Caller(World& w, sim::NodeId self) : Caller(w, self, w.transport()) {}

Caller::Caller(World& w, sim::NodeId self, Transport transport)
    : w_(w),
      balancer_(w, self),
      channel_(w, self, transport),
      rng_(w.config().seed, "retry/" + w.node(self).name(), w.replication()) {}

void Caller::send(sim::Node& self, Call& c, sim::Message m, ServiceId service, sim::Time timeout,
                  uint64_t payload) {
  ++c.attempt;
  c.state = Call::State::kWaiting;
  m.attempt = c.attempt;
  if (channel_.via_broker()) {
    channel_.to_service(self, m, service, sim::kNoNode);
    const sim::Time wait = channel_.attempt_timeout(timeout);
    c.timer = wait == sim::Time::max() ? sim::TimerId{} : self.set_timer(wait, payload);
    return;
  }
  c.node = balancer_.pick(service, c.attempt > 1 ? c.node : sim::kNoNode);
  balancer_.started(c.node);
  m.dst = c.node;
  w_.send(self, m);
  c.timer = self.set_timer(timeout, payload);
}

void Caller::send_to(sim::Node& self, Call& c, sim::Message m, sim::NodeId node,
                     sim::Time timeout, uint64_t payload) {
  SIM_ASSERT(!channel_.via_broker(), "a pinned call over the broker");
  ++c.attempt;
  c.state = Call::State::kWaiting;
  m.attempt = c.attempt;
  c.node = node;
  balancer_.started(node);
  m.dst = node;
  w_.send(self, m);
  c.timer = self.set_timer(timeout, payload);
}

void Caller::send(sim::Node& self, Call& c, uint32_t type, uint64_t txn, uint32_t step,
                  uint32_t timeout_kind) {
  sim::Message m;
  m.type = type;
  m.txn = txn;
  m.step = step;
  send(self, c, m, w_.workflow(txn).steps()[step].service, w_.config().timeouts.call,
       pack(txn, step, timeout_kind));
}

Caller::Reply Caller::reply(sim::Node& self, Call& c, const sim::Message& m, bool results) {
  if (!c.open()) return Reply::kStale;
  const bool rpc = !channel_.via_broker();
  if (results && m.value == static_cast<int64_t>(StepResult::kError)) {
    if (c.state != Call::State::kWaiting || m.attempt != c.attempt) return Reply::kStale;
    self.cancel_timer(c.timer);
    if (rpc) balancer_.ended(c.node);
    return Reply::kFailedAttempt;
  }
  self.cancel_timer(c.timer);
  if (rpc && c.state == Call::State::kWaiting) balancer_.ended(c.node);
  if (!rpc) c.node = Channel::origin(m);
  c.state = Call::State::kDone;
  return Reply::kAnswered;
}

bool Caller::retry_later(sim::Node& self, Call& c, uint64_t txn, uint32_t step, uint32_t limit,
                         uint32_t retry_kind) {
  return retry_later(self, c, txn, limit, pack(txn, step, retry_kind));
}

bool Caller::retry_later(sim::Node& self, Call& c, uint64_t txn, uint32_t limit,
                         uint64_t payload) {
  if (limit != 0 && c.attempt >= limit) {
    c.state = Call::State::kDone;
    return false;
  }
  w_.ledger().retry(txn);
  c.state = Call::State::kBackoff;
  c.timer = self.set_timer(backoff(w_.config().retry, c.attempt, rng_), payload);
  return true;
}

void Caller::abandon(sim::Node& self, Call& c) {
  if (c.state == Call::State::kWaiting && !channel_.via_broker()) balancer_.ended(c.node);
  if (c.open()) self.cancel_timer(c.timer);
  c.state = Call::State::kDone;
}

}  // namespace models
