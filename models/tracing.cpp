#include "models/tracing.hpp"

#include "models/messages.hpp"
#include "models/token.hpp"
#include "models/workflow.hpp"
#include "models/world.hpp"

namespace models {

Tracing::Tracing(World& w, sim::NodeId collector) : w_(w), collector_(collector) {}

bool Tracing::traced(uint64_t txn) const {
  const double p = w_.config().tracing.sample;
  return p >= 1 || (p > 0 && hashed_uniform(w_.config().seed, w_.replication(), txn, 0, kTraceSample) < p);
}

bool Tracing::span_of(const sim::Node& self, const sim::Job& job, uint64_t& txn, uint32_t& step) const {
  if (job.subject == sim::Job::kNoSubject || !w_.is_service(self.id())) return false;
  const Token t = Token::unpack(job.subject);
  if (!traced(t.txn)) return false;
  txn = t.txn;
  step = t.step;
  return true;
}

sim::Time Tracing::extra(const sim::Node& self, const sim::Job& job) {
  uint64_t txn = 0;
  uint32_t step = 0;
  return span_of(self, job, txn, step) ? w_.config().tracing.span_cpu : sim::Time::zero();
}

void Tracing::done(sim::Node& self, const sim::Job& job) {
  uint64_t txn = 0;
  uint32_t step = 0;
  if (!span_of(self, job, txn, step)) return;
  ++spans_[txn].sent;
  sim::Message m;
  m.dst = collector_;
  m.type = kSpan;
  m.txn = txn;
  m.step = step;
  w_.send(self, m);
}

void Tracing::on_message(sim::Node& self, const sim::Message& m) {
  if (m.type != kSpan) return;
  // Full or down: the span is lost (submit counts the rejection).
  self.submit(0, m.txn, subject(m.txn, m.step));
}

void Tracing::on_job_done(sim::Node&, const sim::Job& job, uint32_t) {
  const auto it = spans_.find(job.token);
  if (it != spans_.end()) ++it->second.collected;
}

void Tracing::add_to(RunMetrics& m, int type) const {
  const Ledger& l = w_.ledger_view();
  for (uint64_t t = 0; t < l.size(); ++t) {
    const TxnRecord& r = l.at(t);
    if (!r.measured || (type >= 0 && r.type != type) || !traced(t)) continue;
    ++m.traced;
    const auto it = spans_.find(t);
    const Count c = it != spans_.end() ? it->second : Count{};
    m.spans += c.sent;
    m.spans_collected += c.collected;
    if (c.collected == c.sent) ++m.traces_complete;
  }
}

}  // namespace models
