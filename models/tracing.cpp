#include "models/tracing.hpp"

#include "models/messages.hpp"
#include "models/token.hpp"
#include "models/workflow.hpp"
#include "models/world.hpp"

namespace models {

Tracing::Tracing(World& w, sim::NodeId collector)
    : w_(w), collector_(collector) {}

void Tracing::follow_ledger() {
  folded_by_type_.resize(w_.workflows().size());
  // A released transaction's spans are folded in and forgotten (a span collected later
  // touches nothing the ledger sees; the quiet period outlasts the collector's queue).
  w_.ledger().on_release([this](uint64_t txn, const TxnRecord& r) {
    Count c;
    if (const auto it = spans_.find(txn); it != spans_.end()) {
      c = it->second;
      spans_.erase(it);
    }
    if (!r.measured || !traced(txn)) return;
    add(folded_, c);
    add(folded_by_type_[r.type], c);
  });
}

void Tracing::add(RunMetrics& m, const Count& c) {
  ++m.traced;
  m.spans += c.sent;
  m.spans_collected += c.collected;
  if (c.collected == c.sent) ++m.traces_complete;
}

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
  const RunMetrics& f = type >= 0 ? folded_by_type_[static_cast<size_t>(type)] : folded_;
  m.traced += f.traced;
  m.spans += f.spans;
  m.spans_collected += f.spans_collected;
  m.traces_complete += f.traces_complete;
  const Ledger& l = w_.ledger_view();
  for (uint64_t t = l.released_count(); t < l.size(); ++t) {
    const TxnRecord& r = l.at(t);
    if (!r.measured || (type >= 0 && r.type != type) || !traced(t)) continue;
    const auto it = spans_.find(t);
    add(m, it != spans_.end() ? it->second : Count{});
  }
}

}  // namespace models
