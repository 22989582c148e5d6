#include "models/participant.hpp"

#include "models/grow.hpp"
#include "models/messages.hpp"

namespace models {

StepServer::StepServer(World& w, sim::NodeId self) : w_(w) { (void)self; }

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

void StepServer::on_message(sim::Node& self, const sim::Message& m) {
  const Step& step = w_.workflow().steps()[m.step];
  if (m.type == kCall) {
    self.submit(step.action_op, stash(m));
  } else if (m.type == kCompensate) {
    SIM_ASSERT(step.compensate_op.has_value(), "compensation of a step without one");
    self.submit(*step.compensate_op, stash(m));
  }
}

void StepServer::on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) {
  (void)worker;
  const sim::Message m = pending_[job.token];
  free_.push_back(static_cast<uint32_t>(job.token));
  const Step& step = w_.workflow().steps()[m.step];
  grow_to(applied_, m.txn);
  grow_to(tombstone_, m.txn);
  const uint32_t bit = 1u << m.step;
  sim::Message reply = m;
  reply.dst = m.src;
  if (m.type == kCall) {
    reply.type = kCallReply;
    if (tombstone_[m.txn] & bit) {
      reply.value = 0;  // already compensated: refuse the late original
    } else if (w_.uniform(m.txn, m.step, kBusinessFailure) < step.fails) {
      reply.value = 0;
    } else {
      if (step.side_effect) w_.ledger().apply(m.txn, m.step, step.idempotent, self.now());
      applied_[m.txn] |= bit;
      reply.value = 1;
    }
  } else {
    reply.type = kCompensated;
    w_.ledger().compensation(m.txn);
    if (applied_[m.txn] & bit) {
      applied_[m.txn] &= ~bit;
      w_.ledger().compensate(m.txn, m.step, self.now());
    }
    tombstone_[m.txn] |= bit;  // any later original of this step is refused
  }
  w_.send(self, reply);
}

void StepServer::on_crash(sim::Node& self) {
  (void)self;
  pending_.clear();
  free_.clear();
}

}  // namespace models
