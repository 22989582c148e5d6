#include "sim/rng.hpp"

namespace sim::detail {
namespace {

// The layers (Marsaglia and Tsang 2000, with 56-bit points): x[255] = R is where the tail
// begins, every layer has area V, and x[i] shrinks towards the top layer, whose inner edge
// is 0. Layer 0 is the base: a rectangle of width V / e^-R, with the tail beyond R.
ExpZiggurat build() {
  constexpr double kR = 7.69711747013104972;
  constexpr double kV = 3.949659822581572e-3;
  constexpr double kScale = 0x1.0p56;  // points are 56-bit integers
  ExpZiggurat z{};
  double x = kR, outer = kR;
  const double base = kV / std::exp(-kR);
  z.layer[0].k = static_cast<uint64_t>(kR / base * kScale);
  z.layer[1].k = 0;
  z.layer[0].w = base / kScale;
  z.layer[255].w = kR / kScale;
  z.f[0] = 1.0;
  z.f[255] = std::exp(-kR);
  for (int i = 254; i >= 1; --i) {
    x = -std::log(kV / x + std::exp(-x));  // the next edge up: equal areas
    z.layer[i + 1].k = static_cast<uint64_t>(x / outer * kScale);
    outer = x;
    z.f[i] = std::exp(-x);
    z.layer[i].w = x / kScale;
  }
  return z;
}

}  // namespace

const ExpZiggurat kExpZiggurat = build();

double exponential_slow(Rng& rng, uint32_t layer, uint64_t u) {
  const ExpZiggurat& z = kExpZiggurat;
  for (;;) {
    if (layer == 0) return 7.69711747013104972 - std::log(rng.uniform_pos());  // the tail
    // On the edge of a layer: under the curve with the right probability?
    const double x = static_cast<double>(u) * z.layer[layer].w;
    if (z.f[layer] + rng.uniform() * (z.f[layer - 1] - z.f[layer]) < std::exp(-x)) return x;
    const uint64_t r = rng.next_u64();
    layer = static_cast<uint32_t>(r & 0xff);
    u = r >> 8;
    if (u < z.layer[layer].k) return static_cast<double>(u) * z.layer[layer].w;
  }
}

}  // namespace sim::detail
