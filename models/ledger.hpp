// models::Ledger: what happened to every transaction, and the per-run metrics derived from
// it. The outcome and metric definitions of DESIGN.md live here, once, for every pattern:
// patterns report facts (an effect was applied, the client got an answer, a participant is
// in doubt) and the ledger classifies.
//
// Outcomes, decided after the run has drained:
//   committed  every side-effect step is applied (and not compensated)
//   aborted    no effect remains, and the system decided to abort (a business failure, a
//              NO vote, a lock-wait timeout) or compensated what it had applied
//   failed     no effect remains and none was ever applied, but the transaction did not
//              complete (a technical error: a crash, a timeout, a rejection)
//   blocked    a 2PC participant is still prepared (in doubt) when the run ends
//   violated   some side effects remain applied and others not: an atomicity violation
//
// Per-transaction state is a small fixed record (workflows have at most 32 steps), kept
// for the whole run so that late effects (a retry that lands after the client gave up) are
// still classified. Latency distributions are streaming histograms.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/metrics.hpp"
#include "sim/time.hpp"

namespace models {

enum class Outcome : uint8_t { kCommitted, kAborted, kFailed, kBlocked, kViolated };
constexpr int kOutcomeCount = 5;
const char* outcome_name(Outcome o);

// What the client was told.
enum class Answer : uint8_t { kNone, kOk, kRejected /* a business "no" */, kError };

struct TxnRecord {
  sim::Time arrival, answered, completed, first_effect;
  uint32_t applied = 0;       // steps whose effect is in place now
  uint32_t ever_applied = 0;  // steps whose effect was ever in place
  uint32_t messages = 0;      // network and broker messages sent for it
  uint16_t retries = 0;
  uint16_t compensations = 0;
  uint16_t duplicates = 0;    // effects applied a second time
  int16_t in_doubt = 0;       // 2PC participants prepared and not yet told the decision
  Answer answer = Answer::kNone;
  bool decided_abort = false;
  bool done = false;          // the pattern finished with it (committed or cleaned up)
  bool measured = false;      // arrived after the warm-up, before the end of arrivals
};

struct RunMetrics {
  uint64_t transactions = 0;  // measured ones
  uint64_t unfinished = 0;    // measured ones the pattern never finished (lost or stuck)
  std::array<uint64_t, kOutcomeCount> outcomes{};
  sim::LogHistogram acceptance, completion, inconsistency;
  uint64_t answered_in_time = 0;  // availability numerator
  sim::RunningStats messages, retries, compensations, duplicates;
  sim::RunningStats lock_hold_ns, lock_wait_ns, blocking_ns;
  uint64_t exposures = 0;  // reads of partial saga state
  uint64_t broker_messages = 0;
  uint64_t dead_letters = 0;
  uint64_t duplicate_deliveries = 0;  // broker deliveries a subscriber had received before
  double window_s = 0;     // measured span of arrivals, for throughput
  double availability() const {
    return transactions ? static_cast<double>(answered_in_time) / static_cast<double>(transactions)
                        : 0.0;
  }
  double throughput() const {  // committed per simulated second
    return window_s > 0 ? static_cast<double>(outcomes[0]) / window_s : 0.0;
  }
};

class Ledger {
 public:
  Ledger(uint32_t side_effect_mask, sim::Time deadline, sim::Time warmup)
      : side_effects_(side_effect_mask), deadline_(deadline), warmup_(warmup) {}

  // Room for n transactions up front (when the scenario says how many): the records are
  // then written in place, not copied at every doubling.
  void reserve(uint64_t n) { txns_.reserve(n); }
  // A new transaction arrives now. Returns its id (ids are dense, from 0).
  uint64_t begin(sim::Time now);
  // Arrivals after this time are not measured.
  void set_measure_end(sim::Time t) { measure_end_ = t; }

  TxnRecord& at(uint64_t txn) { return txns_[txn]; }
  const TxnRecord& at(uint64_t txn) const { return txns_[txn]; }
  size_t size() const { return txns_.size(); }

  void answer(uint64_t txn, Answer a, sim::Time now);
  void apply(uint64_t txn, uint32_t step, bool idempotent, sim::Time now);
  void compensate(uint64_t txn, uint32_t step);
  void decide_abort(uint64_t txn) { txns_[txn].decided_abort = true; }
  void complete(uint64_t txn, sim::Time now);
  void message(uint64_t txn) { ++txns_[txn].messages; }
  void retry(uint64_t txn) { ++txns_[txn].retries; }
  void compensation(uint64_t txn) { ++txns_[txn].compensations; }
  void in_doubt(uint64_t txn, int delta) {
    txns_[txn].in_doubt = static_cast<int16_t>(txns_[txn].in_doubt + delta);
  }
  bool measured(uint64_t txn) const { return txns_[txn].measured; }

  // Resource costs, recorded when they end (only for measured transactions).
  void lock_held(uint64_t txn, sim::Time span);
  void lock_waited(uint64_t txn, sim::Time span);
  void blocked_for(uint64_t txn, sim::Time span);
  void exposure() { ++exposures_; }
  void broker_message(uint64_t txn) {
    message(txn);
    ++broker_messages_;
  }
  void dead_letter() { ++dead_letters_; }
  void duplicate_delivery() { ++duplicate_deliveries_; }

  // Returns true iff every transaction is done (nothing left to drain).
  bool all_done() const { return open_ == 0; }
  Outcome classify(const TxnRecord& r) const;
  RunMetrics summarize() const;

 private:
  std::vector<TxnRecord> txns_;
  uint32_t side_effects_;
  sim::Time deadline_, warmup_;
  sim::Time measure_end_ = sim::Time::max();
  uint64_t open_ = 0;
  sim::RunningStats lock_hold_, lock_wait_, blocking_;
  uint64_t exposures_ = 0, broker_messages_ = 0, dead_letters_ = 0, duplicate_deliveries_ = 0;
};

}  // namespace models
