#include "models/client.hpp"

#include "models/messages.hpp"
#include "models/retry.hpp"
#include "models/token.hpp"

namespace models {
namespace {
enum ClientEvent : uint32_t { kOpenArrival = 1, kUserArrival = 2 };
// Timer payloads: Token(txn, 0, kind).
enum ClientTimer : uint32_t { kDeadline = 1, kTryTimeout = 2, kRetry = 3 };
}

Client::Client(World& w)
    : w_(w),
      self_(w.sim().add_handler(this)),
      balancer_(w, w.client()),
      arrivals_(w.config().seed, "arrivals", w.replication()),
      think_(w.config().seed, "think", w.replication()),
      retry_rng_(w.config().seed, "client-retry", w.replication()) {
  w.node(w.client()).set_behavior(this);
  const ScenarioConfig& c = w.config();
  w.ledger().set_measure_end(c.duration ? *c.duration : sim::Time::max());
}

bool Client::may_arrive(sim::Time t) const {
  const ScenarioConfig& c = w_.config();
  if (c.duration && t >= *c.duration) return false;
  if (c.transactions && count_ >= *c.transactions) return false;
  return true;
}

void Client::start() {
  const WorkloadConfig& wl = w_.config().workload;
  if (wl.arrival == WorkloadConfig::Arrival::kPoisson) {
    schedule_open_arrival();
    return;
  }
  user_txn_.assign(wl.clients, -1);
  for (uint32_t u = 0; u < wl.clients; ++u) think_then_arrive(u);
}

// Piecewise-constant-rate Poisson process: draw an exponential gap at the current rate;
// if it crosses the next rate change, restart from the change (memorylessness makes this
// exact).
void Client::schedule_open_arrival() {
  const WorkloadConfig& wl = w_.config().workload;
  sim::Time t = w_.sim().now();
  for (;;) {
    const double rate = phase_ == 0 ? wl.rate : wl.phases[phase_ - 1].rate;
    const sim::Time next = phase_ < wl.phases.size() ? wl.phases[phase_].at : sim::Time::max();
    const sim::Time at =
        rate > 0 ? t + sim::Time::from_seconds(arrivals_.exponential(1.0 / rate)) : sim::Time::max();
    if (at < next) {
      if (!may_arrive(at)) {
        done_ = true;
        return;
      }
      w_.sim().schedule(at, self_, kOpenArrival, 0);
      return;
    }
    if (next == sim::Time::max() || !may_arrive(next)) {
      done_ = true;
      return;
    }
    t = next;
    ++phase_;
  }
}

void Client::think_then_arrive(uint32_t user) {
  const sim::Time at = w_.sim().now() + w_.config().workload.think.sample(think_);
  if (!may_arrive(at)) {
    user_txn_[user] = -1;
    bool any = false;
    for (int64_t t : user_txn_) any = any || t >= 0;
    done_ = !any;
    return;
  }
  w_.sim().schedule(at, self_, kUserArrival, user);
}

void Client::arrive(uint32_t user) {
  if (!may_arrive(w_.sim().now())) {
    done_ = true;
    return;
  }
  ++count_;
  last_arrival_ = w_.sim().now();
  const uint64_t txn = w_.ledger().begin(w_.sim().now(), w_.draw_type(w_.ledger().size()));
  if (!user_txn_.empty()) {
    user_txn_[user] = static_cast<int64_t>(txn);
    const sim::Time deadline = w_.config().workload.deadline;
    if (deadline != sim::Time::max()) w_.node(w_.client()).set_timer(deadline, pack(txn, 0, kDeadline));
  }
  send(txn, user, 1, sim::kNoNode);
}

void Client::send(uint64_t txn, uint32_t user, uint32_t attempt, sim::NodeId previous) {
  sim::Message m;
  m.type = kRequest;
  m.dst = balancer_.pick(w_.workflow(txn).entry(), previous);
  m.txn = txn;
  m.value = user;
  m.attempt = attempt;
  sim::Node& self = w_.node(w_.client());
  w_.send(self, m);
  const ClientRetryConfig& r = w_.config().workload.retry;
  if (r.attempts <= 1) return;
  Try& t = tries_[txn];
  t.user = user;
  t.attempt = attempt;
  t.node = m.dst;
  t.waiting = true;
  t.timer = self.set_timer(r.timeout, pack(txn, 0, kTryTimeout));
}

// Try number t.attempt failed (timed out, or a technical error): the next after a backoff.
void Client::retry_later(uint64_t txn) {
  const ClientRetryConfig& r = w_.config().workload.retry;
  RetryConfig b;
  b.backoff_base = r.backoff_base;
  b.backoff_max = r.backoff_max;
  b.jitter = r.jitter ? RetryConfig::Jitter::kFull : RetryConfig::Jitter::kNone;
  Try& t = tries_.at(txn);
  t.waiting = false;
  w_.ledger().client_retry(txn);
  t.timer = w_.node(w_.client()).set_timer(backoff(b, t.attempt, retry_rng_), pack(txn, 0, kRetry));
}

void Client::answered(uint64_t txn, Answer a, sim::Time now) {
  w_.ledger().answer(txn, a, now);
  if (user_txn_.empty()) return;
  // Closed loop: the user who waits for this transaction thinks, then sends the next.
  for (uint32_t u = 0; u < user_txn_.size(); ++u) {
    if (user_txn_[u] == static_cast<int64_t>(txn)) {
      user_txn_[u] = -1;
      think_then_arrive(u);
      return;
    }
  }
}

void Client::on_event(sim::Simulation& sim, const sim::Event& e) {
  (void)sim;
  if (e.kind == kOpenArrival) {
    arrive(0);
    schedule_open_arrival();
  } else {
    arrive(static_cast<uint32_t>(e.payload));
  }
}

void Client::on_message(sim::Node& self, const sim::Message& m) {
  if (m.type != kReply) return;
  const auto a = static_cast<Answer>(m.value);
  const auto it = tries_.find(m.txn);
  if (it != tries_.end()) {
    Try& t = it->second;
    if (a == Answer::kError && t.attempt < w_.config().workload.retry.attempts) {
      if (!t.waiting) return;  // the error of an earlier try: already retried
      self.cancel_timer(t.timer);
      retry_later(m.txn);
      return;
    }
    self.cancel_timer(t.timer);
    tries_.erase(it);
  }
  answered(m.txn, a, self.now());
}

void Client::on_timer(sim::Node&, uint64_t payload) {
  const Token tk = Token::unpack(payload);
  const uint64_t txn = tk.txn;
  if (tk.kind == kTryTimeout || tk.kind == kRetry) {
    const auto it = tries_.find(txn);
    if (it == tries_.end()) return;
    Try& t = it->second;
    if (tk.kind == kRetry) {
      send(txn, t.user, t.attempt + 1, t.node);
    } else if (t.attempt < w_.config().workload.retry.attempts) {
      retry_later(txn);
    } else {
      tries_.erase(it);  // out of tries: no answer (a late one is still recorded)
    }
    return;
  }
  // Closed loop deadline: the user gives up on txn and moves on.
  for (uint32_t u = 0; u < user_txn_.size(); ++u) {
    if (user_txn_[u] == static_cast<int64_t>(txn)) {
      user_txn_[u] = -1;
      think_then_arrive(u);
      return;
    }
  }
}

}  // namespace models
