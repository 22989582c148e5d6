// `coordsim bench setup`: what it takes to set up a large call-tree scenario (BENCHMARKS.md):
// N services behind one frontend, in request types of at most 4,000 calls each, every type
// one step on a hub service whose call tree reaches its share of the services (fan-out 8,
// the groups of a level in parallel). Timed apart: writing the YAML text, loading it (parse,
// checks, the traffic estimate), building the World (nodes, network, failure streams,
// workflows, ledger) with a pattern on it, and running a few transactions through it.
#pragma once

#include <cstdint>
#include <string>

namespace app {

// The most services `bench setup` takes: its scenario text (about 77 bytes a service) must
// fit the loader's limit of 64 MiB, as any scenario file must.
inline constexpr uint32_t kMaxSetupServices = 500'000;

struct SetupParams {
  uint32_t services = 10'000;
  uint64_t transactions = 1000;  // run after the set-up (0: none)
};

struct SetupResult {
  size_t yaml_bytes = 0;
  uint32_t request_types = 0;
  double generate_s = 0, load_s = 0, world_s = 0, run_s = 0;
  uint64_t committed = 0;
  double peak_rss_mib = 0;
};

// The scenario's text.
std::string setup_scenario(uint32_t services, uint64_t transactions);
SetupResult run_setup(const SetupParams& p);
std::string format_setup(const SetupParams& p, const SetupResult& r);

}  // namespace app
