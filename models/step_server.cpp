#include "models/step_server.hpp"

#include "models/grow.hpp"
#include "models/messages.hpp"
#include "models/token.hpp"

namespace models {
namespace {
enum Kind : uint32_t { kCompensation = 1 };
}  // namespace

StepServer::StepServer(World& w, sim::NodeId self, std::shared_ptr<StepStore> store)
    : ServiceNode(w, self), store_(std::move(store)) {}

std::vector<std::shared_ptr<StepStore>> step_stores(World& w) {
  std::vector<std::shared_ptr<StepStore>> stores;
  for (ServiceId s = 0; s < w.service_count(); ++s) stores.push_back(std::make_shared<StepStore>(w, s));
  return stores;
}

uint32_t StepServer::stash(const sim::Message& m) {
  const uint32_t slot = take_slot(pending_, free_);
  pending_[slot] = m;
  return slot;
}

void StepServer::reply(sim::Node& self, const sim::Message& m, uint32_t type, int64_t value) {
  sim::Message r;
  r.type = type;
  r.txn = m.txn;
  r.step = m.step;
  r.attempt = m.attempt;
  r.value = value;
  channel_.answer(self, m, r);
}

void StepServer::handle(sim::Node& self, const sim::Message& m) {
  const Step& step = w_.workflow(m.txn).steps()[m.step];
  switch (m.type) {
    case kCall:
      if (store_->tombstoned(m.txn, m.step)) {
        reply(self, m, kCallReply, static_cast<int64_t>(StepResult::kRefused));
      } else if (const auto r = store_->recorded(m.txn, m.step)) {
        reply(self, m, kCallReply, static_cast<int64_t>(*r));  // the inbox answers
      } else if (store_->start(m.txn, m.step, self.id())) {
        const uint32_t slot = stash(m);
        if (!run(self, m.txn, m.step, m.attempt, cookie(slot))) {  // a full queue: lost, like a drop
          store_->abandon(m.txn, m.step);
          free_.push_back(slot);
        }
      }
      break;
    case kCompensate:
      SIM_ASSERT(step.compensate_op.has_value(), "compensation of a step without one");
      self.submit(*step.compensate_op, pack(stash(m), 0, kCompensation), subject(m.txn, m.step));
      break;
    case kResolve:
      reply(self, m, kResolved, store_->resolve(m.txn, m.step) ? 1 : 0);
      break;
    default:
      break;
  }
}

void StepServer::run_done(sim::Node& self, uint64_t cookie, StepResult r) {
  const auto slot = static_cast<uint32_t>(cookie_value(cookie));
  const sim::Message m = pending_[slot];
  free_.push_back(slot);
  if (r == StepResult::kError) {  // a call of the step's tree failed: nothing applied
    store_->abandon(m.txn, m.step);
  } else {
    r = store_->execute(m.txn, w_.workflow(m.txn).steps()[m.step], m.attempt, self.now());
    if (r == StepResult::kTombstoned) r = StepResult::kRefused;  // a late original
  }
  reply(self, m, kCallReply, static_cast<int64_t>(r));
}

void StepServer::job_done(sim::Node& self, const sim::Job& job, uint32_t worker) {
  (void)worker;
  const auto slot = static_cast<uint32_t>(Token::unpack(job.token).txn);
  const sim::Message m = pending_[slot];
  free_.push_back(slot);
  w_.ledger().compensation(m.txn);
  store_->compensate(m.txn, w_.workflow(m.txn).steps()[m.step], self.now());
  reply(self, m, kCompensated, 0);
}

void StepServer::crashed(sim::Node& self) {
  pending_.clear();
  free_.clear();
  store_->crash(self.id());
}

}  // namespace models
