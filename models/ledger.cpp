#include "models/ledger.hpp"

#include <bit>

#include "sim/assert.hpp"

namespace models {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kCommitted:
      return "committed";
    case Outcome::kAborted:
      return "aborted";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kBlocked:
      return "blocked";
    case Outcome::kViolated:
      return "violated";
  }
  return "?";
}

Ledger::Ledger(std::vector<uint32_t> side_effect_masks, sim::Time deadline, sim::Time warmup)
    : side_effects_(std::move(side_effect_masks)),
      deadline_(deadline),
      warmup_(warmup),
      acc_(side_effects_.size()) {
  txns_.follow(&released_);
  if (acc_.size() > 1) folded_.by_type.resize(acc_.size());
}

TxnRecord& Ledger::late() {
  ++late_;
  scratch_ = TxnRecord{};
  return scratch_;
}

void Ledger::add(Summary& s, const TxnRecord& r) const {
  if (!r.measured) return;
  add(s.total, r);
  if (!s.by_type.empty()) add(s.by_type[r.type], r);
}

void Ledger::release(sim::Time now) {
  while (released_ < size_) {
    const TxnRecord& r = txns_.get(released_);
    const bool settled = r.done && r.in_doubt == 0 && (async_.empty() || !async_.count(released_));
    if (now - r.touched <= (settled ? quiet_ : open_quiet_)) return;
    add(folded_, r);
    if (!r.done) released_open_.insert(released_);
    for (const Released& f : on_release_) f(released_, r);
    ++released_;
  }
}

uint64_t Ledger::begin(sim::Time now, uint32_t type) {
  SIM_ASSERT(type < side_effects_.size(), "a transaction of an unknown request type");
  if (quiet_ != sim::Time::max()) release(now);
  const uint64_t id = size_++;
  TxnRecord& r = txns_.at(id);
  r = TxnRecord{};
  r.arrival = now;
  r.touched = now;
  r.type = static_cast<uint8_t>(type);
  r.measured = now >= warmup_ && now < measure_end_;
  ++open_;
  return id;
}

void Ledger::Gauge::update(sim::Time t, bool up) {
  now = up ? now + 1 : now - 1;
  count.set(t, static_cast<double>(now));
  any.set(t, now > 0 ? 1.0 : 0.0);
}
void Ledger::Gauge::reset(sim::Time t) {
  count.reset(t);
  any.reset(t);
}
void Ledger::Gauge::close(sim::Time t) {
  mean = count.mean(t);
  fraction = any.mean(t);
}

void Ledger::partial_changed(const TxnRecord& r, bool is, sim::Time now) {
  if (acc_.size() > 1) acc_[r.type].partial.update(now, is);  // (one type: the total is it)
  total_partial_.update(now, is);
}

void Ledger::reset_gauges(sim::Time now) {
  for (Acc& a : acc_) a.partial.reset(now);
  total_partial_.reset(now);
}

void Ledger::close_gauges(sim::Time now) {
  for (Acc& a : acc_) a.partial.close(now);
  total_partial_.close(now);
  gauges_closed_ = true;
}

void Ledger::reopen(uint64_t txn) {
  TxnRecord& r = rec(txn);
  if (!r.done) return;
  r.done = false;
  ++open_;
}

Outcome Ledger::classify(const TxnRecord& r) const {
  if (r.in_doubt > 0) return Outcome::kBlocked;
  const uint32_t mask = side_effects_[r.type];
  const uint32_t applied = r.applied & mask;
  if (mask != 0 && applied == mask) return Outcome::kCommitted;
  if (mask == 0 && r.done && r.answer == Answer::kOk) return Outcome::kCommitted;
  if (applied != 0) return Outcome::kViolated;
  if ((r.ever_applied & mask) != 0 || r.refused) return Outcome::kAborted;
  return Outcome::kFailed;
}

void Ledger::add(RunMetrics& m, const TxnRecord& r) const {
  ++m.transactions;
  const Outcome o = classify(r);
  ++m.outcomes[static_cast<size_t>(o)];
  if (o == Outcome::kCommitted && r.degraded) ++m.degraded;
  if (r.blocked_long || o == Outcome::kBlocked) ++m.ever_blocked;
  if (r.answer != Answer::kNone) {
    const sim::Time latency = r.answered - r.arrival;
    m.acceptance.add(latency);
    if ((r.answer == Answer::kOk || r.answer == Answer::kRejected) && latency <= deadline_) {
      ++m.answered_in_time;
    }
  }
  if (!r.done) ++m.unfinished;
  if (r.done) {
    m.completion.add(r.completed - r.arrival);
    if (r.ever_applied != 0 && (o == Outcome::kCommitted || o == Outcome::kAborted)) {
      m.inconsistency.add(r.completed - r.first_effect);
    }
  }
  m.messages.add(r.messages);
  m.retries.add(r.retries);
  m.compensations.add(r.compensations);
  m.duplicates.add(r.duplicates);
  if (r.decision_changed) ++m.changed_decisions;
}

void Ledger::add(RunMetrics& m, const Acc& a, const Gauge& g) {
  m.lock_hold.merge(a.lock_hold);
  m.lock_wait.merge(a.lock_wait);
  m.in_doubt.merge(a.in_doubt);
  m.forced_writes += a.forced_writes;
  m.exposures += a.exposures;
  m.broker_messages += a.broker_messages;
  m.dead_letters += a.dead_letters;
  m.duplicate_deliveries += a.duplicate_deliveries;
  m.technical_errors += a.technical_errors;
  m.suppressed_duplicates += a.suppressed;
  m.unilateral_decisions += a.unilateral;
  m.client_retries += a.client_retries;
  m.partial_mean = g.mean;
  m.partial_fraction = g.fraction;
}

Summary Ledger::summarize() const {
  // The released records first, then the rest, in id order either way: the same sums, in
  // the same order, as over every record.
  Summary s = folded_;
  for (uint64_t id = released_; id < size_; ++id) add(s, txns_.get(id));
  // The total's partial-state gauge is its own: "at least one in partial state" is no sum.
  for (size_t t = 0; t < acc_.size(); ++t) {
    add(s.total, acc_[t], total_partial_);
    if (!s.by_type.empty()) add(s.by_type[t], acc_[t], acc_[t].partial);
  }
  return s;
}

}  // namespace models
