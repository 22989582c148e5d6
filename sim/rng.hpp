// sim::Rng: one independent random stream, derived from (master seed, stream name,
// replication).
//
// Every stochastic source (a node's service times, a link's delays, a node's failures, the
// arrivals) owns its own stream, named after what it is ("node/payment/service",
// "arrivals"). So switching the coordination pattern, which changes how many draws some
// component makes, never moves an arrival, a failure time or another component's delays:
// the patterns are compared on common random numbers.
//
// The generator is PCG64 (pcg-cpp, O'Neill 2014): 128-bit state, 2^128 period, fast, and
// its output does not depend on the standard library. The 128-bit state and the stream
// selector are both derived by SplitMix64 from the (seed, name, replication) triple, so two
// different names give unrelated streams, not shifted copies of one sequence.
//
// Uniform, exponential and normal draws are written here, not taken from <random>, because
// the standard distributions may differ between library implementations. The exponential,
// the most frequent draw of all (arrivals, service times, delays), uses the ziggurat method
// of Marsaglia and Tsang (2000): about 99% of draws cost one 64-bit output, a compare and a
// multiply; the rest take the exact slow path (rng.cpp). It is 3-4 times cheaper than
// -log(U).
#pragma once

#include <pcg_random.hpp>

#include <cmath>
#include <cstdint>
#include <string_view>

namespace sim {

// SplitMix64 step (Steele, Lea, Flood 2014): a good 64-bit mixer, used for seeding.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a over the bytes of a name: stable across platforms and runs (unlike std::hash).
inline uint64_t hash_name(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

class Rng;

namespace detail {
// The exponential ziggurat: 256 layers of equal area under e^-x. A draw's lowest 8 bits pick
// a layer, its upper 56 bits a point across it.
// A draw reads its layer's k and w together: they sit side by side, so that it touches one
// cache line of the table instead of two (the table is 4 KiB, and other data evicts parts of
// it between draws).
struct alignas(64) ExpZiggurat {
  struct Layer {
    uint64_t k;  // u < k: the point is inside the curve, take it
    double w;    // the point's x is u * w
  };
  Layer layer[256];
  double f[256];  // e^-x at the layers' edges
};
extern const ExpZiggurat kExpZiggurat;
// The ~1% of draws that land on an edge or in the tail.
double exponential_slow(Rng& rng, uint32_t layer, uint64_t u);
}  // namespace detail

class Rng {
 public:
  Rng(uint64_t seed, std::string_view name, uint64_t replication = 0) {
    uint64_t s = seed ^ (hash_name(name) * 0xff51afd7ed558ccdULL) ^
                 (replication * 0xc4ceb9fe1a85ec53ULL);
    const pcg_extras::pcg128_t state =
        (static_cast<pcg_extras::pcg128_t>(splitmix64(s)) << 64) | splitmix64(s);
    const pcg_extras::pcg128_t stream =
        (static_cast<pcg_extras::pcg128_t>(splitmix64(s)) << 64) | splitmix64(s);
    gen_ = pcg64(state, stream);
    ahead_ = gen_();
  }

  // The stream's next number, made one draw ahead: a draw then waits for one load, not for
  // the generator's 128-bit multiply (the event path samples a delay on nearly every event,
  // and what it schedules waits for the sample).
  uint64_t next_u64() {
    const uint64_t r = ahead_;
    ahead_ = gen_();
    return r;
  }
  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: never 0, so log() is safe.
  double uniform_pos() { return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53; }
  // Uniform integer in [0, n), by Lemire's multiply-shift (bias below n / 2^64).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<pcg_extras::pcg128_t>(next_u64()) * n) >> 64);
  }
  // True with probability p (p <= 0: never; p >= 1: always, and no draw is wasted on it).
  bool bernoulli(double p) {
    if (p <= 0.0) return false;
    if (p >= 1.0) return true;
    return uniform() < p;
  }
  // Exponential with mean 1 (ziggurat; see above).
  double standard_exponential() {
    const uint64_t r = next_u64();
    const auto layer = static_cast<uint32_t>(r & 0xff);
    const uint64_t u = r >> 8;
    const detail::ExpZiggurat::Layer& l = detail::kExpZiggurat.layer[layer];
    if (u < l.k) [[likely]] return static_cast<double>(u) * l.w;
    return detail::exponential_slow(*this, layer, u);
  }
  double exponential(double mean) { return mean * standard_exponential(); }
  // Standard normal by Box-Muller: exactly two uniform draws per call.
  double normal() {
    const double u1 = uniform_pos();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  pcg64 gen_;
  uint64_t ahead_ = 0;  // the next number to hand out
};

}  // namespace sim
