// PHOLD, the standard kernel benchmark (../shared/BENCHMARKS.md), on sim::Simulation.
#pragma once

#include <cstdint>
#include <string>

#include "app/runner.hpp"
#include "sim/status.hpp"

namespace app {

struct PholdParams {
  uint32_t lps = 1000;
  uint32_t per_lp = 1;
  uint64_t events = 5'000'000;
  uint64_t seed = 12345;
};

struct PholdResult {
  double setup_s = 0, run_s = 0;
  uint64_t events = 0;
  double events_per_s = 0;
  double peak_rss_mib = 0;
  double sim_now_s = 0;
  uint64_t checksum = 0;  // sum over LPs of (events handled x (lp + 1)), as the reference
  uint64_t fingerprint = 0;
};

PholdResult run_phold(const PholdParams& p);
// Whether PHOLD's pending events and counters (the queue holds lps x per_lp events from the
// start) fit in `budget`: checked before run_phold() allocates them, with their size if not.
sim::Status phold_fits(const PholdParams& p, const MemoryBudget& budget);
std::string format_phold(const PholdParams& p, const PholdResult& r);

// Peak resident set size of this process so far, in MiB (getrusage).
double peak_rss_mib();

}  // namespace app
