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
// Decisions. The deciding node (a coordinator, an orchestrator) records the transaction's
// outcome with decide(); a participant that acts on a decision records it with
// participant_decided(), saying whether it was told or decided on its own and whether it
// had promised (voted yes, held a reservation). Two counts follow, which an atomic
// protocol keeps at 0: participants that decided on their own after promising, and
// transactions whose decision changed (two different decisions recorded).
//
// Partial state. A transaction is in partial state while some but not all of its side
// effects are applied. Besides the per-access count (exposures: a step touched a key
// written by an unfinished transaction), the ledger keeps the time-weighted number of
// transactions in partial state and the time-weighted indicator "at least one is", over
// the measured window (warm-up to the end of arrivals).
//
// Per-transaction state is a small fixed record (workflows have at most 32 steps). Late
// effects (a retry that lands after the client gave up) are still classified: a record is
// kept while its transaction may change. With release_after(Q, Q'), a record is folded into
// the run's metrics and released once nothing has touched it for Q of simulated time if its
// transaction is done, no participant is in doubt about it and no async step of it is
// outstanding, or for Q' otherwise (World sets Q above every wait the pattern may start, and
// Q' above that plus the repairs the scenario may wait for); records are released in id order,
// so the metrics are the same, to the bit, as when every record is kept. A record touched
// after its release is counted (late_touches(); a run reports it) and not classified
// again. Latency distributions are streaming histograms.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/txn_array.hpp"
#include "sim/assert.hpp"
#include "sim/metrics.hpp"
#include "sim/time.hpp"

namespace models {

enum class Outcome : uint8_t { kCommitted, kAborted, kFailed, kBlocked, kViolated };
constexpr int kOutcomeCount = 5;
const char* outcome_name(Outcome o);

// What the client was told.
enum class Answer : uint8_t { kNone, kOk, kRejected /* a business "no" */, kError };

// A transaction's decided outcome.
enum class Decision : uint8_t { kNone, kCommit, kAbort };

struct TxnRecord {
  sim::Time arrival, answered, completed, first_effect;
  sim::Time touched;          // when anything last changed it (for its release)
  uint32_t applied = 0;       // steps whose effect is in place now
  uint32_t ever_applied = 0;  // steps whose effect was ever in place
  uint32_t messages = 0;      // network and broker messages sent for it
  uint16_t retries = 0;
  uint16_t compensations = 0;
  uint16_t duplicates = 0;    // effects applied a second time
  int16_t in_doubt = 0;       // 2PC participants prepared and not yet told the decision
  Answer answer = Answer::kNone;
  Decision decision = Decision::kNone;
  uint8_t type = 0;           // its request type (the index of its workflow)
  bool refused : 1 = false;   // a business refusal or a NO vote ended it (an abort decided)
  bool decision_changed : 1 = false;  // a second, different decision was recorded
  bool done : 1 = false;      // the pattern finished with it (committed or cleaned up)
  bool measured : 1 = false;  // arrived after the warm-up, before the end of arrivals
  bool degraded : 1 = false;  // an optional step failed and was left out of the answer
  bool blocked_long : 1 = false;  // a participant was in doubt longer than the failure-free window
};
static_assert(sizeof(TxnRecord) <= 64, "a transaction's record stays within a cache line");

struct RunMetrics {
  uint64_t transactions = 0;  // measured ones
  uint64_t unfinished = 0;    // measured ones the pattern never finished (lost or stuck)
  uint64_t degraded = 0;      // committed ones whose answer left out a failed optional step
  std::array<uint64_t, kOutcomeCount> outcomes{};
  sim::LogHistogram acceptance, completion, inconsistency;
  uint64_t answered_in_time = 0;  // availability numerator
  sim::RunningStats messages, retries, compensations, duplicates;
  sim::LogHistogram lock_hold, lock_wait, in_doubt;  // 2PC: per branch
  uint64_t forced_writes = 0;  // forced log writes of measured transactions
  uint64_t ever_blocked = 0;   // measured ones with a participant in doubt beyond the window
  uint64_t exposures = 0;  // touches of keys written by unfinished transactions
  uint64_t technical_errors = 0;       // attempts that failed with a technical error
  uint64_t suppressed_duplicates = 0;  // deliveries or calls an inbox answered without executing
  uint64_t unilateral_decisions = 0;   // participants that decided alone after promising
  uint64_t changed_decisions = 0;      // transactions whose decision changed
  double partial_mean = 0;      // time-weighted number of transactions in partial state
  double partial_fraction = 0;  // fraction of time at least one transaction is
  uint64_t broker_messages = 0;
  uint64_t dead_letters = 0;
  uint64_t duplicate_deliveries = 0;  // broker deliveries a subscriber had received before
  uint64_t client_retries = 0;  // requests the client sent again (workload.retry)
  // Tracing (models/tracing.hpp), of the measured transactions: those traced, those whose
  // every span reached the collector, spans sent and spans collected.
  uint64_t traced = 0, traces_complete = 0, spans = 0, spans_collected = 0;
  double window_s = 0;     // measured span of arrivals, for throughput
  double availability() const {
    return transactions ? static_cast<double>(answered_in_time) / static_cast<double>(transactions)
                        : 0.0;
  }
  double throughput() const {  // committed per simulated second
    return window_s > 0 ? static_cast<double>(outcomes[0]) / window_s : 0.0;
  }
};

// A run's metrics: for all transactions, and per request type (when there are several).
struct Summary {
  RunMetrics total;
  std::vector<RunMetrics> by_type;
};

class Ledger {
 public:
  // side_effect_masks: per request type, the steps with a side effect.
  Ledger(std::vector<uint32_t> side_effect_masks, sim::Time deadline, sim::Time warmup);

  // The clock that dates changes (REQUIRES: set before the first begin()).
  void set_clock(const sim::Time* now) { now_ = now; }
  // Releases records as described above, Q after their last change; Time::max(): never
  // (every record is kept, for a trace or a time series that reads them after the run).
  // `open_q`: the same for a transaction that is not done, has a participant in doubt or an
  // async step out (a request lost on its way that nobody retries, a prepared participant
  // waiting for a crashed coordinator): longer, as a repair may still finish it.
  void release_after(sim::Time q, sim::Time open_q) {
    quiet_ = q;
    open_quiet_ = std::max(q, open_q);
  }
  // Every id below this is released (TxnArray::follow).
  const uint64_t* released() const { return &released_; }
  uint64_t released_count() const { return released_; }
  // Called with each record as it is released (before it is gone), in id order: for what a
  // model keeps per transaction beside the ledger and adds to the metrics at the end.
  using Released = std::function<void(uint64_t txn, const TxnRecord& r)>;
  void on_release(Released f) { on_release_.push_back(std::move(f)); }
  // Calls about a transaction after its record was released (0 when Q is long enough).
  uint64_t late_touches() const { return late_; }
  // A new transaction of request type `type` arrives now. Returns its id (ids are dense,
  // from 0).
  uint64_t begin(sim::Time now, uint32_t type);
  uint32_t type(uint64_t txn) const { return get(txn).type; }
  // Arrivals after this time are not measured.
  void set_measure_end(sim::Time t) { measure_end_ = t; }

  TxnRecord& at(uint64_t txn) { return rec(txn); }
  const TxnRecord& at(uint64_t txn) const { return get(txn); }
  size_t size() const { return size_; }

  // (The calls a pattern makes on every step are inline: a few of them per event.)
  void answer(uint64_t txn, Answer a, sim::Time now) {
    TxnRecord& r = rec(txn);
    if (r.answer != Answer::kNone) return;  // the first answer is the one the client saw
    r.answer = a;
    r.answered = now;
  }
  void apply(uint64_t txn, uint32_t step, bool idempotent, sim::Time now) {
    TxnRecord& r = rec(txn);
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
  void compensate(uint64_t txn, uint32_t step, sim::Time now) {
    TxnRecord& r = rec(txn);
    const uint32_t before = r.applied;
    r.applied &= ~(1u << step);
    track_partial(r, before, now);
  }
  // A business refusal or a NO vote: the system decided to abort (aborted, not failed).
  void refuse(uint64_t txn) { rec(txn).refused = true; }
  // An optional step failed (refused, or out of attempts): the answer goes on without it.
  void degrade(uint64_t txn) { rec(txn).degraded = true; }
  // The decider's decision (see the header comment).
  void decide(uint64_t txn, Decision d) {
    TxnRecord& r = rec(txn);
    if (r.decision == Decision::kNone) {
      r.decision = d;
    } else if (r.decision != d) {
      r.decision_changed = true;
    }
  }
  // A participant acted on decision d: `told` by the decider, or on its own; `promised`:
  // it had voted yes (or held a reservation) before.
  void participant_decided(uint64_t txn, Decision d, bool told, bool promised) {
    if (!told && promised) count(txn, &Acc::unilateral);
    decide(txn, d);
  }
  void complete(uint64_t txn, sim::Time now) {
    TxnRecord& r = rec(txn);
    if (r.done) return;
    r.done = true;
    r.completed = now;
    SIM_ASSERT(open_ > 0, "more completions than transactions");
    --open_;
  }
  // A transaction the pattern had finished starts again (a client's retry restarted it).
  void reopen(uint64_t txn);
  void message(uint64_t txn) { ++rec(txn).messages; }
  void retry(uint64_t txn) { ++rec(txn).retries; }
  // The client sent its request again (an end-to-end retry).
  void client_retry(uint64_t txn) { count(txn, &Acc::client_retries); }
  void compensation(uint64_t txn) { ++rec(txn).compensations; }
  void in_doubt(uint64_t txn, int delta) {
    TxnRecord& r = rec(txn);
    r.in_doubt = static_cast<int16_t>(r.in_doubt + delta);
    in_doubt_total_ = static_cast<uint64_t>(static_cast<int64_t>(in_doubt_total_) + delta);
  }
  bool measured(uint64_t txn) const { return get(txn).measured; }
  // The pattern has finished with txn, released or not.
  bool done(uint64_t txn) const {
    if (txn >= released_) return get(txn).done;
    return !released_open_.count(txn);
  }
  // Every side-effect step of txn has its effect in place.
  bool all_applied(uint64_t txn) const {
    const TxnRecord& r = get(txn);
    const uint32_t mask = side_effects_[r.type];
    return (r.applied & mask) == mask;
  }

  // Resource costs, recorded when they end (only for measured transactions).
  void lock_held(uint64_t txn, sim::Time span) {
    if (rec(txn).measured) acc(txn).lock_hold.add(span);
  }
  void lock_waited(uint64_t txn, sim::Time span) {
    if (rec(txn).measured) acc(txn).lock_wait.add(span);
  }
  // A 2PC participant learnt the decision `span` after voting yes; `beyond` says it waited
  // longer than the failure-free window (it had to ask: timeouts.prepare).
  void blocked_for(uint64_t txn, sim::Time span, bool beyond) {
    TxnRecord& r = rec(txn);
    if (beyond) r.blocked_long = true;
    if (r.measured) acc(txn).in_doubt.add(span);
  }
  // A record was forced to a durable log for txn (a commit protocol's log write).
  void forced_write(uint64_t txn) { count(txn, &Acc::forced_writes); }
  void exposure(uint64_t txn) { count(txn, &Acc::exposures); }
  void technical_error(uint64_t txn) { count(txn, &Acc::technical_errors); }
  void suppressed_duplicate(uint64_t txn) { count(txn, &Acc::suppressed); }
  void broker_message(uint64_t txn) {
    message(txn);
    ++acc(txn).broker_messages;  // all transactions, measured or not
  }
  void dead_letter(uint64_t txn) { ++acc(txn).dead_letters; }
  void duplicate_delivery(uint64_t txn) { ++acc(txn).duplicate_deliveries; }

  // Async steps (fired once a transaction committed) are outstanding from when they are
  // fired until they are done or given up (dead-lettered, lost with a volatile broker).
  void async_fired(uint64_t txn, uint32_t steps) {
    if (steps != 0) async_[txn] |= steps;
  }
  void async_ended(uint64_t txn, uint32_t step) {
    const auto it = async_.find(txn);
    if (it == async_.end()) return;
    it->second &= ~(1u << step);
    if (it->second == 0) async_.erase(it);
  }

  // Returns true iff every transaction is done, no participant is in doubt about one and
  // no async step is outstanding (nothing left to drain: a coordinator may be done while a
  // prepared participant has not yet learnt its decision).
  bool all_done() const { return open_ == 0 && in_doubt_total_ == 0 && async_.empty(); }
  // Now: transactions the patterns have not finished, participants in doubt, dead letters so
  // far (every transaction's), and the client's deadline (availability).
  uint64_t open_now() const { return open_; }
  uint64_t in_doubt_now() const { return in_doubt_total_; }
  uint64_t dead_letters_so_far() const {
    uint64_t n = 0;
    for (const Acc& a : acc_) n += a.dead_letters;
    return n;
  }
  sim::Time deadline() const { return deadline_; }
  Outcome classify(const TxnRecord& r) const;
  // The end of the warm-up: the partial-state averages start over.
  void reset_gauges(sim::Time now);
  // The end of arrivals: the partial-state averages are taken.
  void close_gauges(sim::Time now);
  Summary summarize() const;

 private:
  // The time-weighted number of transactions in partial state, and the indicator "one is".
  struct Gauge {
    uint64_t now = 0;
    sim::TimeWeighted count, any;
    double mean = 0, fraction = 0;  // taken at the end of arrivals
    void update(sim::Time t, bool up);
    void reset(sim::Time t);
    void close(sim::Time t);
  };
  // What is counted per request type, beside the per-transaction records.
  struct Acc {
    sim::LogHistogram lock_hold, lock_wait, in_doubt;
    uint64_t forced_writes = 0;
    uint64_t exposures = 0, broker_messages = 0, dead_letters = 0, duplicate_deliveries = 0;
    uint64_t technical_errors = 0, suppressed = 0, unilateral = 0, client_retries = 0;
    Gauge partial;
  };
  // (One request type, the common case: no look at the record for its type.)
  Acc& acc(uint64_t txn) { return acc_.size() == 1 ? acc_[0] : acc_[get(txn).type]; }
  void count(uint64_t txn, uint64_t Acc::*field) {
    if (rec(txn).measured) ++(acc(txn).*field);
  }
  // The record to change (dated now), or, released, a scratch one (counted late).
  [[gnu::always_inline]] TxnRecord& rec(uint64_t txn) {
    if (txn < released_) [[unlikely]] return late();
    TxnRecord& r = txns_.at(txn);
    r.touched = *now_;
    return r;
  }
  const TxnRecord& get(uint64_t txn) const { return txns_.get(txn); }
  [[gnu::noinline, gnu::cold]] TxnRecord& late();
  // Folds and releases the oldest records that can no longer change.
  void release(sim::Time now);
  // Updates the partial-state gauges after r's applied effects changed from `before`: the
  // test is inline, and only a change of state calls partial_changed().
  void track_partial(const TxnRecord& r, uint32_t before, sim::Time now) {
    const bool was = partial(r, before), is = partial(r, r.applied);
    if (was != is && !gauges_closed_) partial_changed(r, is, now);
  }
  void partial_changed(const TxnRecord& r, bool is, sim::Time now);
  bool partial(const TxnRecord& r, uint32_t applied) const {
    const uint32_t mask = side_effects_[r.type];
    const uint32_t a = applied & mask;
    return a != 0 && a != mask;
  }
  // Adds a measured record to m; adds a type's counters and gauge to m.
  void add(RunMetrics& m, const TxnRecord& r) const;
  // Adds a record, if measured, to the total and (when the run has several) its type's.
  void add(Summary& s, const TxnRecord& r) const;
  static void add(RunMetrics& m, const Acc& a, const Gauge& g);

  TxnArray<TxnRecord> txns_;
  uint64_t size_ = 0;
  uint64_t released_ = 0;  // records below this id are folded into folded_ and gone
  uint64_t late_ = 0;
  TxnRecord scratch_;      // what a late call changes
  sim::Time quiet_ = sim::Time::max();
  sim::Time open_quiet_ = sim::Time::max();
  const sim::Time* now_ = nullptr;
  std::vector<Released> on_release_;
  std::unordered_set<uint64_t> released_open_;  // released without being done (rare: see above)
  Summary folded_;         // the released records' part of summarize() (no counters, no gauges)
  std::vector<uint32_t> side_effects_;  // by request type
  sim::Time deadline_, warmup_;
  sim::Time measure_end_ = sim::Time::max();
  uint64_t open_ = 0;
  uint64_t in_doubt_total_ = 0;  // participants in doubt, over all transactions
  std::vector<Acc> acc_;  // by request type
  std::unordered_map<uint64_t, uint32_t> async_;  // outstanding async steps, by transaction
  Gauge total_partial_;   // over every type
  bool gauges_closed_ = false;
};

}  // namespace models
