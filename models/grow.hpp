// models::grow_to: makes v[i] exist, growing v geometrically (records by slot; records by
// transaction are TxnArrays, released with the ledger's): resize(i + 1) would call into the
// library (and touch the allocator's bookkeeping) for every new entry. New entries are
// value-initialized, or `fill`, so code that reads v[i] for any i < v.size() sees "nothing
// recorded".
//
// models::take_slot: a slot of a pool with a free list (messages in flight, pending sends,
// executions): a freed one if any, else a new default one. A reused slot keeps what it
// held (a generation counter, say); the caller fills it, and pushes its index on `free`
// when done.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace models {

template <typename V>
void grow_to(V& v, size_t i, const typename V::value_type& fill = typename V::value_type{}) {
  if (i >= v.size()) v.resize(std::max<size_t>(i + 1, 2 * v.size()), fill);
}

template <typename T>
uint32_t take_slot(std::vector<T>& pool, std::vector<uint32_t>& free) {
  if (free.empty()) {
    pool.emplace_back();
    return static_cast<uint32_t>(pool.size() - 1);
  }
  const uint32_t slot = free.back();
  free.pop_back();
  return slot;
}

}  // namespace models
