// libFuzzer target for the run path: a scenario the loader accepts is run under every one of
// its patterns for a bounded number of events, with every model assertion on. Any input must
// give either the loader's message or runs that end; never a crash, an assertion, undefined
// behavior or a hang. (The loader alone is scenario_fuzz.cpp.)
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/scenario.hpp"
#include "models/run.hpp"

namespace {

// Cuts a run after kEvents events: enough for arrivals, calls, timeouts, crashes and the
// drain of a small scenario, bounded for the fuzzer.
class Budget final : public models::RunMonitor {
 public:
  static constexpr uint64_t kEvents = 20'000;
  uint64_t every() const override { return 1'000; }
  bool progress(models::PatternChoice, uint64_t events, uint64_t, sim::Time, double) override {
    return events < kEvents;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = app::load_scenario_text(text, "fuzz.yaml");
  if (!r.ok()) {
    if (r.status().message().empty()) __builtin_trap();  // an error must say something
    return 0;
  }
  for (const models::PatternChoice& p : r.value().config.patterns) {
    Budget budget;
    const models::RunResult res = models::run(r.value().config, p, 0, nullptr, &budget);
    if (res.events > Budget::kEvents + 1'000) __builtin_trap();  // the bound held
  }
  return 0;
}
