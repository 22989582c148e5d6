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

uint64_t Ledger::begin(sim::Time now) {
  TxnRecord r;
  r.arrival = now;
  r.measured = now >= warmup_ && now < measure_end_;
  txns_.push_back(r);
  ++open_;
  return txns_.size() - 1;
}

void Ledger::answer(uint64_t txn, Answer a, sim::Time now) {
  TxnRecord& r = txns_[txn];
  if (r.answer != Answer::kNone) return;  // the first answer is the one the client saw
  r.answer = a;
  r.answered = now;
}

void Ledger::apply(uint64_t txn, uint32_t step, bool idempotent, sim::Time now) {
  TxnRecord& r = txns_[txn];
  const uint32_t bit = 1u << step;
  if (r.applied & bit) {
    if (!idempotent) ++r.duplicates;
    return;
  }
  if (r.ever_applied == 0) r.first_effect = now;
  const uint32_t before = r.applied;
  r.applied |= bit;
  r.ever_applied |= bit;
  track_partial(r, before, now);
}

void Ledger::compensate(uint64_t txn, uint32_t step, sim::Time now) {
  TxnRecord& r = txns_[txn];
  const uint32_t before = r.applied;
  r.applied &= ~(1u << step);
  track_partial(r, before, now);
}

void Ledger::track_partial(const TxnRecord& r, uint32_t before, sim::Time now) {
  const bool was = partial(before), is = partial(r.applied);
  if (was == is) return;
  partial_now_ = is ? partial_now_ + 1 : partial_now_ - 1;
  if (gauges_closed_) return;
  partial_count_.set(now, static_cast<double>(partial_now_));
  any_partial_.set(now, partial_now_ > 0 ? 1.0 : 0.0);
}

void Ledger::reset_gauges(sim::Time now) {
  partial_count_.reset(now);
  any_partial_.reset(now);
}

void Ledger::close_gauges(sim::Time now) {
  partial_mean_ = partial_count_.mean(now);
  partial_fraction_ = any_partial_.mean(now);
  gauges_closed_ = true;
}

void Ledger::decide(uint64_t txn, Decision d) {
  TxnRecord& r = txns_[txn];
  if (r.decision == Decision::kNone) {
    r.decision = d;
  } else if (r.decision != d) {
    r.decision_changed = true;
  }
}

void Ledger::participant_decided(uint64_t txn, Decision d, bool told, bool promised) {
  TxnRecord& r = txns_[txn];
  if (!told && promised && r.measured) ++unilateral_;
  decide(txn, d);
}

void Ledger::complete(uint64_t txn, sim::Time now) {
  TxnRecord& r = txns_[txn];
  if (r.done) return;
  r.done = true;
  r.completed = now;
  SIM_ASSERT(open_ > 0, "more completions than transactions");
  --open_;
}

void Ledger::lock_held(uint64_t txn, sim::Time span) {
  if (txns_[txn].measured) lock_hold_.add(static_cast<double>(span.ns()));
}
void Ledger::lock_waited(uint64_t txn, sim::Time span) {
  if (txns_[txn].measured) lock_wait_.add(static_cast<double>(span.ns()));
}
void Ledger::blocked_for(uint64_t txn, sim::Time span) {
  if (txns_[txn].measured) blocking_.add(static_cast<double>(span.ns()));
}

Outcome Ledger::classify(const TxnRecord& r) const {
  if (r.in_doubt > 0) return Outcome::kBlocked;
  const uint32_t applied = r.applied & side_effects_;
  if (side_effects_ != 0 && applied == side_effects_) return Outcome::kCommitted;
  if (side_effects_ == 0 && r.done && r.answer == Answer::kOk) return Outcome::kCommitted;
  if (applied != 0) return Outcome::kViolated;
  if ((r.ever_applied & side_effects_) != 0 || r.refused) return Outcome::kAborted;
  return Outcome::kFailed;
}

RunMetrics Ledger::summarize() const {
  RunMetrics m;
  for (const TxnRecord& r : txns_) {
    if (!r.measured) continue;
    ++m.transactions;
    const Outcome o = classify(r);
    ++m.outcomes[static_cast<size_t>(o)];
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
  m.lock_hold_ns = lock_hold_;
  m.lock_wait_ns = lock_wait_;
  m.blocking_ns = blocking_;
  m.exposures = exposures_;
  m.broker_messages = broker_messages_;
  m.dead_letters = dead_letters_;
  m.duplicate_deliveries = duplicate_deliveries_;
  m.technical_errors = technical_errors_;
  m.suppressed_duplicates = suppressed_;
  m.unilateral_decisions = unilateral_;
  m.partial_mean = partial_mean_;
  m.partial_fraction = partial_fraction_;
  return m;
}

}  // namespace models
