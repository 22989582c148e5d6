// Streaming metrics: memory does not grow with the length of a run.
//
//  - LogHistogram: latencies (integer ns). Log-bucketed like HdrHistogram: values below 256
//    are exact, above that every power of two is split into 128 equal buckets, so a bucket
//    is at most 1/128 of its lower edge wide. A percentile is reported as the middle of the
//    bucket holding the nearest-rank sample, clamped to the exact min and max, so its
//    relative error is at most 1/256 (0.4%), well within the 1% we promise. The mean and
//    the variance are exact (Welford). Histograms merge by adding buckets: merging the
//    histograms of several runs gives the same percentiles as one histogram of all samples.
//    Memory: at most 7296 buckets (58 KiB), grown only as far as the largest value seen.
//  - RunningStats: count, mean, variance, min, max of doubles (Welford, mergeable: Chan).
//  - TimeWeighted: the time average of a piecewise-constant quantity (queue length,
//    busy workers, locks held) over an interval, e.g. utilisation = busy / workers.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/time.hpp"

namespace sim {

class RunningStats {
 public:
  // Welford's update (inline: every finished transaction adds to several).
  void add(double x) {
    ++n_;
    const double d = x - mean_;
    mean_ += d / static_cast<double>(n_);
    m2_ += d * (x - mean_);
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  void merge(const RunningStats& o);
  uint64_t count() const { return n_; }
  double mean() const { return n_ ? mean_ : 0.0; }
  // Sample variance (n - 1 in the denominator); 0 for fewer than two values.
  double variance() const { return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : 0.0; }
  double stddev() const;
  double min() const { return n_ ? min_ : 0.0; }
  double max() const { return n_ ? max_ : 0.0; }
  double sum() const { return mean_ * static_cast<double>(n_); }

 private:
  uint64_t n_ = 0;
  double mean_ = 0, m2_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

class LogHistogram {
 public:
  static constexpr int kSubBits = 7;  // 128 buckets per power of two
  static constexpr int64_t kExactBelow = int64_t{1} << (kSubBits + 1);

  // Records one value. Negative values are recorded as 0.
  void add(Time v) { add_ns(v.ns()); }
  void add_ns(int64_t ns) {
    if (ns < 0) ns = 0;
    const size_t b = bucket_of(ns);
    if (b >= buckets_.size()) [[unlikely]] grow(b);
    ++buckets_[b];
    stats_.add(static_cast<double>(ns));
    min_ = std::min(min_, ns);
    max_ = std::max(max_, ns);
  }
  void merge(const LogHistogram& o);
  void clear();

  uint64_t count() const { return stats_.count(); }
  double mean_ns() const { return stats_.mean(); }
  double stddev_ns() const { return stats_.stddev(); }
  int64_t min_ns() const { return count() ? min_ : 0; }
  int64_t max_ns() const { return count() ? max_ : 0; }
  // Nearest-rank percentile, q in [0, 1] (0.99 = p99). 0 when empty.
  double percentile_ns(double q) const;

  // Bucket arithmetic, public for tests: the index of a value, and a bucket's [lo, hi).
  static size_t bucket_of(int64_t ns) {
    if (ns < kExactBelow) return static_cast<size_t>(ns < 0 ? 0 : ns);
    const auto v = static_cast<uint64_t>(ns);
    const int e = 63 - std::countl_zero(v);  // v in [2^e, 2^(e+1)), e >= kSubBits + 1
    const uint64_t m = v >> (e - kSubBits);  // in [128, 256)
    return static_cast<size_t>(kExactBelow) +
           static_cast<size_t>(e - kSubBits - 1) * (size_t{1} << kSubBits) +
           static_cast<size_t>(m - (uint64_t{1} << kSubBits));
  }
  static int64_t bucket_low(size_t index);
  static int64_t bucket_high(size_t index);

 private:
  void grow(size_t bucket);
  std::vector<uint64_t> buckets_;
  RunningStats stats_;
  int64_t min_ = std::numeric_limits<int64_t>::max();
  int64_t max_ = 0;
};

class TimeWeighted {
 public:
  explicit TimeWeighted(Time start = Time::zero()) : start_(start), last_(start) {}
  void set(Time now, double value) {
    integral_ += value_ * static_cast<double>((now - last_).ns());
    last_ = now;
    value_ = value;
  }
  void add(Time now, double delta) { set(now, value_ + delta); }
  double value() const { return value_; }
  // Forgets the past (end of warm-up): the average starts over from `now`.
  void reset(Time now) {
    integral_ = 0;
    start_ = now;
    last_ = now;
  }
  // The integral of the value (value x ns) over [start, now], and where it starts.
  double integral(Time now) const {
    return integral_ + value_ * static_cast<double>((now - last_).ns());
  }
  Time start() const { return start_; }
  // The time average over [start, now]. REQUIRES: now >= the last change.
  double mean(Time now) const {
    const double span = static_cast<double>((now - start_).ns());
    if (span <= 0) return value_;
    return (integral_ + value_ * static_cast<double>((now - last_).ns())) / span;
  }

 private:
  Time start_, last_;
  double value_ = 0;
  double integral_ = 0;  // sum of value * ns
};

}  // namespace sim
