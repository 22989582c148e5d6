// models::FlowTable<T>: per-transaction state of a pattern for the transactions in flight,
// found by transaction id in O(1). Slots are reused, so in steady state nothing is
// allocated (a slot keeps its vectors' capacity); memory is one 4-byte index per
// transaction plus one T per transaction in flight. A flow may be closed with a small tag
// (0 to 14) that stays in its index: what a finished flow must remember (a participant's
// decided state, say) costs no more than the index itself. A crash's clear() and a
// recovery's for_each() cost O(flows in flight), not O(transactions so far): each slot
// knows the transaction it holds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "models/txn_array.hpp"
#include "sim/assert.hpp"

namespace models {

template <typename T>
class FlowTable {
 public:
  static constexpr uint32_t kNone = 0xffff'ffffu;
  static constexpr uint32_t kTagged = 0xffff'fff0u;  // kTagged + tag: closed with a tag
  static constexpr uint8_t kMaxTag = 14;

  // Returns the state of txn, creating it (reset by T::reset()) if absent.
  T& open(uint64_t txn) {
    int tag = -1;
    return open(txn, &tag);
  }
  // The same, and *tag is the tag the flow was closed with when it is opened afresh now
  // (-1: it was open, never opened, or closed without a tag). One look at the index.
  T& open(uint64_t txn, int* tag) {
    uint32_t& s = slot_of_.at(txn);
    *tag = -1;
    if (s >= kTagged) {
      if (s != kNone) *tag = static_cast<int>(s - kTagged);
      take(txn, s);
    }
    return slots_[s];
  }
  // Returns the state of txn, or nullptr if it has none.
  T* find(uint64_t txn) {
    const uint32_t s = slot_of_.get(txn);
    if (s >= kTagged) return nullptr;
    return &slots_[s];
  }
  void close(uint64_t txn) { release(slot_of_.at(txn), kNone); }
  // Closes the flow, leaving `tag` behind (open(txn, &tag) reads it and starts afresh).
  void close(uint64_t txn, uint8_t tag) {
    SIM_ASSERT(tag <= kMaxTag, "a flow's tag is at most 14");
    release(slot_of_.at(txn), kTagged + tag);
  }
  // Forgets every open flow (a crash); tags stay.
  void clear() {
    for (uint32_t s = 0; s < txn_of_.size(); ++s) {
      if (txn_of_[s] == kFree) continue;
      slot_of_.at(txn_of_[s]) = kNone;
      txn_of_[s] = kFree;
      free_.push_back(s);
    }
    live_ = 0;
  }
  size_t live() const { return live_; }
  // The indexes (and tags) of transactions the ledger released are dropped (TxnArray): a
  // released transaction's flow is closed, and its tag is read no more.
  void follow(const uint64_t* released) { slot_of_.follow(released); }
  // Calls f(txn, state) for every open flow, in transaction order.
  template <typename F>
  void for_each(F&& f) {
    std::vector<std::pair<uint64_t, uint32_t>> open;
    open.reserve(live_);
    for (uint32_t s = 0; s < txn_of_.size(); ++s) {
      if (txn_of_[s] != kFree) open.emplace_back(txn_of_[s], s);
    }
    std::sort(open.begin(), open.end());
    for (const auto& [txn, s] : open) f(txn, slots_[s]);
  }

 private:
  // Gives txn a slot (a free one, or a new one) and records it in s, its index entry.
  void take(uint64_t txn, uint32_t& s) {
    if (free_.empty()) {
      slots_.emplace_back();
      txn_of_.push_back(kFree);
      s = static_cast<uint32_t>(slots_.size() - 1);
    } else {
      s = free_.back();
      free_.pop_back();
    }
    txn_of_[s] = txn;
    slots_[s].reset(txn);
    ++live_;
  }
  // Frees the open flow whose index entry is s, leaving `left` (kNone, or a tag) there.
  void release(uint32_t& s, uint32_t left) {
    SIM_ASSERT(s < kTagged, "close() of a flow not open");
    free_.push_back(s);
    txn_of_[s] = kFree;
    s = left;
    --live_;
  }

  TxnArray<uint32_t> slot_of_{kNone};
  static constexpr uint64_t kFree = ~uint64_t{0};
  std::vector<T> slots_;
  std::vector<uint64_t> txn_of_;  // by slot: the transaction it holds, or kFree
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

}  // namespace models
