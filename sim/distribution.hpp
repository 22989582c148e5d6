// sim::Distribution: a random duration (service time, network delay, time to failure),
// written in scenario files as text:
//
//   5ms                              const(5ms)
//   uniform(1ms, 5ms)                uniform(min: 1ms, max: 5ms)
//   exp(5ms)                         exponential(mean: 5ms)
//   normal(mean: 5ms, sd: 1ms)       truncated at 0 (negative draws are redrawn)
//   lognormal(median: 2ms, p99: 40ms)   lognormal(median: 2ms, sigma: 0.5)
//   lognormal(mean: 5ms, sd: 2ms)       lognormal(mu: -6.2, sigma: 0.5)  (mu = ln(median/1s))
//   gamma(shape: 2, mean: 5ms)       gamma(shape: 2, scale: 2.5ms)
//   erlang(k: 3, mean: 6ms)          weibull(shape: 1.5, scale: 5ms)
//   pareto(shape: 2.5, scale: 1ms)   pareto(shape: 2.5, mean: 2ms)   (scale = the minimum)
//   empirical([1ms, 2ms, 2ms, 9ms])  each listed sample equally likely
//   empirical(0: 1ms, 0.5: 2ms, 0.99: 10ms, 1: 20ms)   quantiles, linear in between
//   0.2ms + exp(0.3ms)               any of the above shifted by a constant duration
//
// Sampling uses only sim::Rng's uniform/exponential/normal draws and our own algorithms
// (Marsaglia-Tsang for gamma, inversion elsewhere), so a seed gives the same samples with
// any standard library. Samples are rounded to whole nanoseconds and are never negative.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/rng.hpp"
#include "sim/status.hpp"
#include "sim/time.hpp"

namespace sim {

class Distribution {
 public:
  enum class Kind { kConst, kUniform, kExponential, kNormal, kLognormal, kGamma, kWeibull,
                    kPareto, kEmpiricalSamples, kEmpiricalQuantiles };

  // Constructors take durations in nanoseconds as doubles (REQUIRES: valid parameters;
  // parse() checks user input and explains what is wrong).
  static Distribution constant(Time v);
  static Distribution uniform(Time lo, Time hi);
  static Distribution exponential(Time mean);
  static Distribution normal(Time mean, Time sd);
  static Distribution lognormal(double mu_ln_ns, double sigma);
  static Distribution gamma(double shape, Time scale);
  static Distribution weibull(double shape, Time scale);
  static Distribution pareto(double shape, Time scale);
  static Distribution empirical_samples(std::vector<double> samples_ns);
  // Pairs (probability, value in ns), sorted by probability, first 0 and last 1.
  static Distribution empirical_quantiles(std::vector<std::pair<double, double>> points);

  // Parses the scenario syntax above. Errors carry the offset of the offending character.
  static Result<Distribution> parse(std::string_view text);

  // A sample as a Time. A draw longer than kMaxSample (a heavy tail, a mean of centuries)
  // is cut to it and counted (clamped_samples()), so that time arithmetic never leaves the
  // clock's range: the loader keeps a run's horizon below kMaxSample too.
  static constexpr int64_t kMaxSampleNs = int64_t{1} << 62;  // about 146 years
  static constexpr const char* kMaxSampleText = "146 years (2^62 ns)";
  Time sample(Rng& rng) const {
    Time t;
    if (to_time(sample_ns(rng), t)) [[likely]] return t;
    return clamp_sample();
  }
  // A sample of `ns` nanoseconds as a Time, rounded: false (t is then kMaxSample, not yet
  // counted) when it is cut.
  static bool to_time(double ns, Time& t) {
    ns += 0.5;
    const bool in_range = ns < static_cast<double>(kMaxSampleNs);
    t = Time::from_ns(in_range ? static_cast<int64_t>(ns) : kMaxSampleNs);
    return in_range;
  }
  // The samples this thread has cut to kMaxSample so far.
  static uint64_t clamped_samples();
  static Time clamp_sample();
  double sample_ns(Rng& rng) const {
    // The exponential is by far the most common (service times, delays): no call for it.
    if (kind_ == Kind::kExponential) return shift_ + rng.exponential(a_);
    return shift_ + sample_unshifted(rng);
  }
  // The same distribution plus a constant. REQUIRES: by >= 0.
  Distribution shifted(Time by) const;

  Kind kind() const { return kind_; }
  // Exact mean and variance of the distribution (in ns and ns^2). For the truncated normal
  // these account for the truncation. Infinite for a Pareto whose moment does not exist.
  double mean_ns() const;
  double variance_ns2() const;
  Time mean() const { return Time::from_seconds(mean_ns() * 1e-9); }
  bool is_zero() const { return kind_ == Kind::kConst && a_ == 0.0; }
  // The text form, in the syntax parse() reads (parse(d.to_string()) is equivalent to d).
  std::string to_string() const;

 private:
  double sample_unshifted(Rng& rng) const;
  double mean_unshifted() const;

  Kind kind_ = Kind::kConst;
  double a_ = 0, b_ = 0;  // meaning depends on kind_, see distribution.cpp
  double shift_ = 0;      // added to every sample (ns)
  std::vector<double> xs_;  // empirical samples, or quantile values
  std::vector<double> ps_;  // quantile probabilities
};

// A distribution with a random stream of its own, sampled one draw ahead: take() hands out
// the sample made at the previous take() and makes the next. Whatever waits for a sample
// (the time of the event it schedules) then waits for one load, not for the generator, the
// ziggurat's table and the arithmetic after it. The stream is drawn in the same order and
// every sample is the one on-demand sampling gives; only the moment of the draw moves. So a
// stream that something else also draws from (a lossy link's loss and duplication) must not
// be sampled ahead: with ahead = false, draw() samples on demand and rng() is the stream.
// A sample cut to kMaxSample is counted when it is taken, not when it is made.
class Sampler {
 public:
  Sampler(Distribution d, Rng rng, bool ahead)
      : d_(std::move(d)), rng_(std::move(rng)), ahead_(ahead) {
    if (ahead_) make();
  }
  // The next sample. REQUIRES: sampling ahead.
  Time take() {
    const Time t = next_;
    const bool clamped = clamped_;
    make();
    if (clamped) [[unlikely]] Distribution::clamp_sample();  // (counts it)
    return t;
  }
  // A sample made now. REQUIRES: not sampling ahead.
  Time draw() { return d_.sample(rng_); }
  // The next sample, whichever way this sampler draws.
  Time next() { return ahead_ ? take() : draw(); }
  Rng& rng() { return rng_; }  // REQUIRES: not sampling ahead
  const Distribution& distribution() const { return d_; }

 private:
  void make() { clamped_ = !Distribution::to_time(d_.sample_ns(rng_), next_); }

  Distribution d_;
  Rng rng_;
  bool ahead_;
  bool clamped_ = false;
  Time next_;
};

}  // namespace sim
