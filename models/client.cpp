#include "models/client.hpp"

#include "models/messages.hpp"

namespace models {
namespace {
enum ClientEvent : uint32_t { kOpenArrival = 1, kUserArrival = 2 };
}

Client::Client(World& w)
    : w_(w),
      self_(w.sim().add_handler(this)),
      balancer_(w, w.client()),
      arrivals_(w.config().seed, "arrivals", w.replication()),
      think_(w.config().seed, "think", w.replication()) {
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
    if (deadline != sim::Time::max()) w_.node(w_.client()).set_timer(deadline, txn);
  }
  sim::Message m;
  m.type = kRequest;
  m.dst = balancer_.pick(w_.workflow(txn).entry());
  m.txn = txn;
  m.value = user;
  w_.send(w_.node(w_.client()), m);
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
  w_.ledger().answer(m.txn, static_cast<Answer>(m.value), self.now());
  if (user_txn_.empty()) return;
  // Closed loop: the user who waits for this transaction thinks, then sends the next.
  for (uint32_t u = 0; u < user_txn_.size(); ++u) {
    if (user_txn_[u] == static_cast<int64_t>(m.txn)) {
      user_txn_[u] = -1;
      think_then_arrive(u);
      return;
    }
  }
}

void Client::on_timer(sim::Node& self, uint64_t txn) {
  // Closed loop deadline: the user gives up on txn and moves on.
  (void)self;
  for (uint32_t u = 0; u < user_txn_.size(); ++u) {
    if (user_txn_[u] == static_cast<int64_t>(txn)) {
      user_txn_[u] = -1;
      think_then_arrive(u);
      return;
    }
  }
}

}  // namespace models
