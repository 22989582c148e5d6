#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/metrics.hpp"
#include "sim/rng.hpp"

using namespace sim;

namespace {
double nearest_rank(std::vector<int64_t> v, double q) {
  std::sort(v.begin(), v.end());
  auto k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  k = std::max<size_t>(k, 1);
  return static_cast<double>(v[k - 1]);
}
}  // namespace

TEST_CASE("LogHistogram: buckets tile the integers and are at most 1/128 wide",
          "[sim][metrics]") {
  for (size_t i = 0; i + 1 < 7000; ++i) {
    REQUIRE(LogHistogram::bucket_high(i) == LogHistogram::bucket_low(i + 1));
    const int64_t lo = LogHistogram::bucket_low(i);
    REQUIRE(LogHistogram::bucket_of(lo) == i);
    REQUIRE(LogHistogram::bucket_of(LogHistogram::bucket_high(i) - 1) == i);
    if (lo >= LogHistogram::kExactBelow) {
      REQUIRE(static_cast<double>(LogHistogram::bucket_high(i) - lo) <=
              static_cast<double>(lo) / 128.0);
    }
  }
  CHECK(LogHistogram::bucket_of(std::numeric_limits<int64_t>::max()) < 7296);
}

TEST_CASE("LogHistogram: percentiles are within 1% of the exact sample percentiles",
          "[sim][metrics]") {
  Rng rng(9, "histogram");
  LogHistogram h;
  std::vector<int64_t> all;
  for (int i = 0; i < 200000; ++i) {
    // A wide, heavy-tailed spread: from nanoseconds to minutes.
    const auto v = static_cast<int64_t>(std::exp(rng.uniform() * 25.0));
    h.add_ns(v);
    all.push_back(v);
  }
  for (double q : {0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double exact = nearest_rank(all, q);
    INFO("q=" << q);
    CHECK(std::abs(h.percentile_ns(q) - exact) <= 0.01 * exact);
  }
  double sum = 0;
  for (int64_t v : all) sum += static_cast<double>(v);
  CHECK(h.mean_ns() == Approx(sum / static_cast<double>(all.size())).epsilon(1e-9));
  CHECK(h.min_ns() == *std::min_element(all.begin(), all.end()));
  CHECK(h.max_ns() == *std::max_element(all.begin(), all.end()));
}

TEST_CASE("LogHistogram: merging equals recording everything in one", "[sim][metrics]") {
  Rng rng(10, "merge");
  LogHistogram a, b, all;
  for (int i = 0; i < 50000; ++i) {
    const auto v = static_cast<int64_t>(rng.exponential(1e6));
    (i % 3 ? a : b).add_ns(v);
    all.add_ns(v);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  for (double q : {0.5, 0.9, 0.99, 0.999}) CHECK(a.percentile_ns(q) == all.percentile_ns(q));
  CHECK(a.mean_ns() == Approx(all.mean_ns()).epsilon(1e-12));
  CHECK(a.stddev_ns() == Approx(all.stddev_ns()).epsilon(1e-9));
}

TEST_CASE("TimeWeighted: averages a piecewise-constant value over time", "[sim][metrics]") {
  TimeWeighted g;
  g.set(Time::from_s(0), 2);
  g.set(Time::from_s(1), 4);  // 2 for 1 s
  g.set(Time::from_s(4), 0);  // 4 for 3 s
  CHECK(g.mean(Time::from_s(4)) == Approx((2.0 * 1 + 4.0 * 3) / 4));
  CHECK(g.mean(Time::from_s(8)) == Approx(14.0 / 8));
  g.reset(Time::from_s(8));
  g.set(Time::from_s(9), 1);
  CHECK(g.mean(Time::from_s(10)) == Approx(0.5));
}
