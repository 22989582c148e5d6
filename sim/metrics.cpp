#include "sim/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace sim {

void RunningStats::merge(const RunningStats& o) {
  if (o.n_ == 0) return;
  if (n_ == 0) {
    *this = o;
    return;
  }
  const double na = static_cast<double>(n_), nb = static_cast<double>(o.n_);
  const double d = o.mean_ - mean_;
  const double n = na + nb;
  mean_ += d * nb / n;
  m2_ += o.m2_ + d * d * na * nb / n;
  n_ += o.n_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

double RunningStats::stddev() const { return std::sqrt(variance()); }

int64_t LogHistogram::bucket_low(size_t index) {
  if (index < static_cast<size_t>(kExactBelow)) return static_cast<int64_t>(index);
  const size_t rel = index - static_cast<size_t>(kExactBelow);
  const int e = static_cast<int>(rel >> kSubBits) + kSubBits + 1;
  const uint64_t m = (rel & ((size_t{1} << kSubBits) - 1)) + (uint64_t{1} << kSubBits);
  return static_cast<int64_t>(m << (e - kSubBits));
}

int64_t LogHistogram::bucket_high(size_t index) {
  if (index < static_cast<size_t>(kExactBelow)) return static_cast<int64_t>(index) + 1;
  const size_t rel = index - static_cast<size_t>(kExactBelow);
  const int e = static_cast<int>(rel >> kSubBits) + kSubBits + 1;
  return bucket_low(index) + (int64_t{1} << (e - kSubBits));
}

void LogHistogram::grow(size_t bucket) { buckets_.resize(bucket + 1, 0); }

void LogHistogram::merge(const LogHistogram& o) {
  if (o.buckets_.size() > buckets_.size()) buckets_.resize(o.buckets_.size(), 0);
  for (size_t i = 0; i < o.buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
  stats_.merge(o.stats_);
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

void LogHistogram::clear() { *this = LogHistogram(); }

double LogHistogram::percentile_ns(double q) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(n)));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      if (i < static_cast<size_t>(kExactBelow)) return static_cast<double>(i);
      const double mid = 0.5 * static_cast<double>(bucket_low(i) + bucket_high(i) - 1);
      return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

}  // namespace sim
