#include "models/step_server.hpp"

#include "models/messages.hpp"

namespace models {

StepServer::StepServer(World& w, sim::NodeId self) : w_(w), store_(w, self) {}

uint32_t StepServer::stash(const sim::Message& m) {
  if (free_.empty()) {
    pending_.push_back(m);
    return static_cast<uint32_t>(pending_.size() - 1);
  }
  const uint32_t slot = free_.back();
  free_.pop_back();
  pending_[slot] = m;
  return slot;
}

void StepServer::reply(sim::Node& self, const sim::Message& m, uint32_t type, int64_t value) {
  sim::Message r = m;
  r.dst = m.src;
  r.type = type;
  r.value = value;
  w_.send(self, r);
}

void StepServer::on_message(sim::Node& self, const sim::Message& m) {
  const Step& step = w_.workflow().steps()[m.step];
  switch (m.type) {
    case kCall:
      if (store_.tombstoned(m.txn, m.step)) {
        reply(self, m, kCallReply, static_cast<int64_t>(StepResult::kRefused));
      } else if (const auto r = store_.recorded(m.txn, m.step)) {
        reply(self, m, kCallReply, static_cast<int64_t>(*r));  // the inbox answers
      } else if (store_.start(m.txn, m.step)) {
        self.submit(step.action_op, stash(m));
      }
      break;
    case kCompensate:
      SIM_ASSERT(step.compensate_op.has_value(), "compensation of a step without one");
      self.submit(*step.compensate_op, stash(m));
      break;
    case kResolve:
      reply(self, m, kResolved, store_.resolve(m.txn, m.step) ? 1 : 0);
      break;
    default:
      break;
  }
}

void StepServer::on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) {
  (void)worker;
  const sim::Message m = pending_[job.token];
  free_.push_back(static_cast<uint32_t>(job.token));
  const Step& step = w_.workflow().steps()[m.step];
  if (m.type == kCall) {
    StepResult r = store_.execute(m.txn, step, m.attempt, self.now());
    if (r == StepResult::kTombstoned) r = StepResult::kRefused;  // a late original
    reply(self, m, kCallReply, static_cast<int64_t>(r));
    return;
  }
  w_.ledger().compensation(m.txn);
  store_.compensate(m.txn, step, self.now());
  reply(self, m, kCompensated, 0);
}

void StepServer::on_crash(sim::Node& self) {
  (void)self;
  pending_.clear();
  free_.clear();
  store_.crash();
}

}  // namespace models
