// models::StepStore: what a service keeps, durably, about the workflow steps it hosts, and
// the outcome of executing one, decided the same way under every pattern that commits
// locally (orchestration, the sagas, choreography, TCC's confirm).
//
// The store belongs to a service and is shared by its replicas (their common datastore);
// what is executing now is each replica's own. Per transaction the store keeps four bit
// sets over the steps (bit i = step i):
//   applied    the step's effect is in place here now
//   tombstone  the step was compensated or cancelled: a late or duplicated original is
//              refused instead of applying an effect nobody will undo
//   executed   inbox: the step ran to a definite result (done or refused)
//   refused    inbox: that result was a refusal
// and, volatile (lost in a crash), which steps are executing now (inbox only).
//
// An execution's outcome, in this order: refused if tombstoned; a technical error if the
// attempt's draw says so (nothing is applied, nothing recorded: a retry may succeed); a
// business refusal if the (transaction, step) draw says so; otherwise done: the effect is
// applied (a second application counts as a duplicate effect unless the step is
// idempotent). Every execution touches the service's keys for the transaction: touching a
// key whose last writer has not finished is an exposure (partial state seen).
//
// An inbox (services.X.inbox) deduplicates: a call or delivery for a step already executed
// is answered from the record, with no second effect and no service time, and counted as a
// suppressed duplicate; one for a step executing now is dropped (its result will come).
//
// Memory: 16 bytes per transaction that touched the service, kept for the run.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "models/keys.hpp"
#include "models/txn_array.hpp"
#include "models/token.hpp"
#include "models/world.hpp"

namespace models {

// The outcome of one execution of a step. The first three are also the values of a
// kCallReply; a tombstoned execution is answered as a refusal.
enum class StepResult : int64_t { kRefused = 0, kDone = 1, kError = 2, kTombstoned = 3 };

class StepStore {
 public:
  StepStore(World& w, ServiceId service);

  bool inbox() const { return inbox_; }
  bool applied(uint64_t txn, uint32_t step) const { return bits(txn).applied & (1u << step); }
  bool tombstoned(uint64_t txn, uint32_t step) const {
    return bits(txn).tombstone & (1u << step);
  }

  // Inbox: the recorded result of a step that already ran, if it did (nullopt without an
  // inbox). Counts a suppressed duplicate when it returns a result.
  std::optional<StepResult> recorded(uint64_t txn, uint32_t step);
  // The durable outcome of a step that ran to a definite result (done or refused), with or
  // without an inbox; nullopt if it never did.
  std::optional<StepResult> outcome(uint64_t txn, uint32_t step) const;
  // Inbox: marks the step as executing on replica `node`; returns false (and counts a
  // suppressed duplicate) if it already is, anywhere. Always true without an inbox.
  bool start(uint64_t txn, uint32_t step, sim::NodeId node);
  // The execution started on `node` ended without a result (a call of its tree failed).
  void abandon(uint64_t txn, uint32_t step) { executing_.erase(pack(txn, step, kExecuting)); }

  // The step's service time has passed: decides and records the outcome (see above);
  // kTombstoned if it was compensated or cancelled before.
  StepResult execute(uint64_t txn, const Step& step, uint32_t attempt, sim::Time now);
  // Refuses the step from now on (it will never run here), without undoing anything.
  void tombstone(uint64_t txn, uint32_t step) { bits(txn).tombstone |= 1u << step; }
  // Applies the step's effect now, without the checks of execute() (TCC's confirm, whose
  // try already decided); touches the keys like an execution.
  void apply(uint64_t txn, const Step& step, sim::Time now);
  // Undoes the step's effect if it is applied, and tombstones it either way.
  void compensate(uint64_t txn, const Step& step, sim::Time now);
  // Tombstones the step unless it is applied; returns true iff it is applied.
  bool resolve(uint64_t txn, uint32_t step);

  // Replica `node` crashed: what it was executing is lost.
  void crash(sim::NodeId node);

 private:
  struct Bits {
    uint32_t applied = 0, tombstone = 0, executed = 0, refused = 0;
  };
  Bits& bits(uint64_t txn);
  const Bits& bits(uint64_t txn) const;
  void touch_keys(uint64_t txn, const Step& step);

  static constexpr uint32_t kExecuting = 1;  // the Token kind of executing_'s keys

  World& w_;
  ServiceId service_;
  bool inbox_;
  TxnArray<Bits> bits_;  // durable, by transaction (released with the ledger's records)
  // Volatile (inbox): Token(txn, step) -> the replica executing it.
  std::unordered_map<uint64_t, sim::NodeId> executing_;
  ExposureTracker exposures_;
};

}  // namespace models
