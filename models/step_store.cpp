#include "models/step_store.hpp"

#include "models/token.hpp"

namespace models {

StepStore::StepStore(World& w, ServiceId service)
    : w_(w), service_(service), inbox_(w.service_config(service).inbox) {
  bits_.follow(w.ledger().released());
}

void StepStore::crash(sim::NodeId node) {
  std::erase_if(executing_, [node](const auto& e) { return e.second == node; });
}

StepStore::Bits& StepStore::bits(uint64_t txn) { return bits_.at(txn); }

const StepStore::Bits& StepStore::bits(uint64_t txn) const { return bits_.get(txn); }

std::optional<StepResult> StepStore::outcome(uint64_t txn, uint32_t step) const {
  const Bits& b = bits(txn);
  const uint32_t bit = 1u << step;
  if (!(b.executed & bit)) return std::nullopt;
  return (b.refused & bit) ? StepResult::kRefused : StepResult::kDone;
}

std::optional<StepResult> StepStore::recorded(uint64_t txn, uint32_t step) {
  if (!inbox_) return std::nullopt;
  const auto r = outcome(txn, step);
  if (r) w_.ledger().suppressed_duplicate(txn);
  return r;
}

bool StepStore::start(uint64_t txn, uint32_t step, sim::NodeId node) {
  if (!inbox_) return true;
  if (executing_.emplace(pack(txn, step, kExecuting), node).second) return true;
  w_.ledger().suppressed_duplicate(txn);
  return false;
}

StepResult StepStore::execute(uint64_t txn, const Step& step, uint32_t attempt, sim::Time now) {
  if (inbox_) executing_.erase(pack(txn, step.index, kExecuting));
  Bits& b = bits(txn);
  const uint32_t bit = 1u << step.index;
  if (b.tombstone & bit) return StepResult::kTombstoned;  // compensated or cancelled before
  if (w_.technical_error(txn, step, attempt)) return StepResult::kError;
  b.executed |= bit;
  if (w_.refuses(txn, step)) {
    touch_keys(txn, step);
    b.refused |= bit;
    return StepResult::kRefused;
  }
  apply(txn, step, now);
  return StepResult::kDone;
}

void StepStore::apply(uint64_t txn, const Step& step, sim::Time now) {
  touch_keys(txn, step);
  if (step.side_effect) w_.ledger().apply(txn, step.index, step.idempotent, now);
  bits(txn).applied |= 1u << step.index;
}

void StepStore::compensate(uint64_t txn, const Step& step, sim::Time now) {
  Bits& b = bits(txn);
  const uint32_t bit = 1u << step.index;
  if (b.applied & bit) {
    b.applied &= ~bit;
    if (step.side_effect) w_.ledger().compensate(txn, step.index, now);
  }
  b.tombstone |= bit;
}

bool StepStore::resolve(uint64_t txn, uint32_t step) {
  Bits& b = bits(txn);
  const uint32_t bit = 1u << step;
  if (b.applied & bit) return true;
  b.tombstone |= bit;
  return false;
}

void StepStore::touch_keys(uint64_t txn, const Step& step) {
  const KeyChooser& keys = w_.keys(service_);
  if (!keys.enabled()) return;
  for (uint32_t k = 0; k < keys.per_step(); ++k) {
    if (exposures_.touch(w_, txn, keys.key(w_, txn, step.index, k), step.side_effect)) {
      w_.ledger().exposure(txn);
    }
  }
}

}  // namespace models
