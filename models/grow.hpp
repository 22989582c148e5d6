// models::grow_to: makes v[i] exist, growing v geometrically. Per-transaction records gain
// one entry per transaction; resize(i + 1) would call into the library (and touch the
// allocator's bookkeeping) for every one of them. New entries are value-initialized, or
// `fill`, so code that reads v[i] for any i < v.size() sees "nothing recorded".
#pragma once

#include <algorithm>
#include <cstddef>

namespace models {

template <typename V>
void grow_to(V& v, size_t i, const typename V::value_type& fill = typename V::value_type{}) {
  if (i >= v.size()) v.resize(std::max<size_t>(i + 1, 2 * v.size()), fill);
}

}  // namespace models
