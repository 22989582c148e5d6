// sim::Time: simulated time as a signed 64-bit count of nanoseconds.
//
// Integer time makes runs bit-for-bit reproducible: no rounding differs between machines or
// compilers, and equal timestamps are really equal. 2^63 ns is about 292 years of simulated
// time, far beyond any run. There is no implicit conversion from numbers: build a Time with a
// named constructor (Time::from_ms(250)) or a literal (250_ms).
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>

namespace sim {

class Time {
 public:
  constexpr Time() = default;

  static constexpr Time from_ns(int64_t ns) { return Time(ns); }
  static constexpr Time from_us(int64_t us) { return Time(us * 1000); }
  static constexpr Time from_ms(int64_t ms) { return Time(ms * 1000'000); }
  static constexpr Time from_s(int64_t s) { return Time(s * 1000'000'000); }
  static constexpr Time from_min(int64_t m) { return Time(m * 60'000'000'000); }
  static constexpr Time from_h(int64_t h) { return Time(h * 3600'000'000'000); }
  // Rounds to the nearest nanosecond; saturates at max() for huge or infinite inputs.
  static Time from_seconds(double s) {
    const double ns = std::nearbyint(s * 1e9);
    if (!(ns < 9.2e18)) return max();
    if (ns < -9.2e18) return Time(std::numeric_limits<int64_t>::min());
    return Time(static_cast<int64_t>(ns));
  }
  static constexpr Time zero() { return Time(0); }
  static constexpr Time max() { return Time(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }
  constexpr double ms() const { return static_cast<double>(ns_) * 1e-6; }

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Time o) const { return Time(ns_ + o.ns_); }
  constexpr Time operator-(Time o) const { return Time(ns_ - o.ns_); }
  constexpr Time& operator+=(Time o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr Time& operator-=(Time o) {
    ns_ -= o.ns_;
    return *this;
  }
  constexpr Time operator*(int64_t k) const { return Time(ns_ * k); }
  constexpr Time operator/(int64_t k) const { return Time(ns_ / k); }

  // Returns a + b, or max() when the sum would overflow (a timer "never" plus a delay stays
  // "never" instead of wrapping into the past).
  static constexpr Time saturating_add(Time a, Time b) {
    int64_t r = 0;
    if (__builtin_add_overflow(a.ns_, b.ns_, &r)) return max();
    return Time(r);
  }

  // The shortest exact human form: "0s", "250ms", "1.5s", "2min", "1h", "1.25us".
  std::string to_string() const;

 private:
  constexpr explicit Time(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

namespace time_literals {
constexpr Time operator""_ns(unsigned long long v) { return Time::from_ns(static_cast<int64_t>(v)); }
constexpr Time operator""_us(unsigned long long v) { return Time::from_us(static_cast<int64_t>(v)); }
constexpr Time operator""_ms(unsigned long long v) { return Time::from_ms(static_cast<int64_t>(v)); }
constexpr Time operator""_s(unsigned long long v) { return Time::from_s(static_cast<int64_t>(v)); }
constexpr Time operator""_min(unsigned long long v) {
  return Time::from_min(static_cast<int64_t>(v));
}
constexpr Time operator""_h(unsigned long long v) { return Time::from_h(static_cast<int64_t>(v)); }
}  // namespace time_literals

}  // namespace sim

// Prints a Time in its exact human form (see Time::to_string), so logs, tables and traces
// all show time one way.
template <>
struct fmt::formatter<sim::Time> : fmt::formatter<std::string> {
  template <typename FormatContext>
  auto format(sim::Time t, FormatContext& ctx) const {
    return fmt::formatter<std::string>::format(t.to_string(), ctx);
  }
};
