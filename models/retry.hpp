// models::Backoff: the wait before retry number n of a call (n = 1 for the first retry):
// base * 2^(n-1), capped at max, then jittered:
//   none   exactly that
//   full   uniform in [0, that)            (AWS "full jitter")
//   equal  half of it plus uniform in [0, half)
#pragma once

#include <algorithm>

#include "models/config.hpp"
#include "sim/rng.hpp"

namespace models {

inline sim::Time backoff(const RetryConfig& r, uint32_t retry_number, sim::Rng& rng) {
  const int shift = static_cast<int>(std::min<uint32_t>(retry_number - 1, 40));
  const int64_t base = r.backoff_base.ns();
  const int64_t cap = r.backoff_max.ns();
  const int64_t raw = (base > (cap >> shift)) ? cap : std::min(cap, base << shift);
  const double d = static_cast<double>(raw);
  switch (r.jitter) {
    case RetryConfig::Jitter::kNone:
      return sim::Time::from_ns(raw);
    case RetryConfig::Jitter::kFull:
      return sim::Time::from_ns(static_cast<int64_t>(d * rng.uniform()));
    case RetryConfig::Jitter::kEqual:
      return sim::Time::from_ns(static_cast<int64_t>(d / 2 + d / 2 * rng.uniform()));
  }
  return sim::Time::from_ns(raw);
}

}  // namespace models
