#include "app/bench_setup.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "app/bench_phold.hpp"
#include "app/scenario.hpp"
#include "models/client.hpp"
#include "models/registry.hpp"
#include "models/run.hpp"
#include "models/world.hpp"

namespace app {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr uint32_t kPerType = 4000;  // calls per request type (a workflow holds up to 4,095)
constexpr uint32_t kFanOut = 8;

// The calls to services [first, last) as a tree, in YAML's flow style: the first kFanOut
// are called in parallel, each calling an equal share of the rest.
void tree(std::string& out, uint32_t first, uint32_t last) {
  const uint32_t n = last - first;
  const uint32_t heads = std::min(kFanOut, n);
  const uint32_t rest = n - heads;
  out += heads > 1 ? "[{parallel: [" : "[";
  for (uint32_t h = 0; h < heads; ++h) {
    const uint32_t lo = first + heads + rest * h / heads, hi = first + heads + rest * (h + 1) / heads;
    if (h > 0) out += ", ";
    out += fmt::format("{{service: s{}, action: op", first + h);
    if (hi > lo) {
      out += ", calls: ";
      tree(out, lo, hi);
    }
    out += "}";
  }
  out += heads > 1 ? "]}]" : "]";
}

}  // namespace

std::string setup_scenario(uint32_t services, uint64_t transactions) {
  const uint32_t types = (services + kPerType - 1) / kPerType;
  std::string out = fmt::format(
      "name: setup-{}\nseed: 1\ntransactions: {}\nworkload: {{rate: 100/s}}\n"
      "network: {{latency: 0.1ms}}\nservices:\n  frontend: {{workers: 64, ops: {{in: 0.1ms}}}}\n",
      services, std::max<uint64_t>(transactions, 1));
  for (uint32_t t = 0; t < types; ++t) out += fmt::format("  hub{}: {{workers: 64, ops: {{op: 0.1ms}}}}\n", t);
  for (uint32_t i = 0; i < services; ++i) out += fmt::format("  s{}: {{workers: 16, ops: {{op: 0.01ms}}}}\n", i);
  out += "workflows:\n";
  for (uint32_t t = 0; t < types; ++t) {
    const uint32_t first = t * kPerType, last = std::min(services, first + kPerType);
    out += fmt::format(
        "  t{}:\n    weight: 1\n    entry: frontend\n    entry_op: in\n    steps:\n"
        "      - service: hub{}\n        action: op\n        side_effect: false\n        calls: ",
        t, t);
    tree(out, first, last);
    out += "\n";
  }
  out += "patterns: [orchestration]\n";
  return out;
}

SetupResult run_setup(const SetupParams& p) {
  SetupResult r;
  auto t = Clock::now();
  const std::string text = setup_scenario(p.services, p.transactions);
  r.generate_s = since(t);
  r.yaml_bytes = text.size();
  t = Clock::now();
  auto s = load_scenario_text(text, "setup.yaml", {});
  if (!s.ok()) throw std::runtime_error(s.status().message());
  r.load_s = since(t);
  r.request_types = static_cast<uint32_t>(s.value().config.workflows.size());
  const models::ScenarioConfig& cfg = s.value().config;
  const models::PatternChoice k = cfg.patterns.front();
  t = Clock::now();
  auto world = std::make_unique<models::World>(cfg, 0, k);
  const std::unique_ptr<models::Pattern> pattern = k.info->make(k.transport);
  pattern->install(*world);
  models::Client client(*world);
  r.world_s = since(t);
  if (p.transactions > 0) {
    t = Clock::now();
    client.start();
    world->sim().run();
    r.run_s = since(t);
    for (uint64_t i = 0; i < world->ledger().size(); ++i) {
      r.committed += world->ledger().classify(world->ledger().at(i)) == models::Outcome::kCommitted;
    }
  }
  r.peak_rss_mib = peak_rss_mib();
  return r;
}

std::string format_setup(const SetupParams& p, const SetupResult& r) {
  return fmt::format(
      "SETUP  services={} request_types={} yaml={:.1f} MiB  generate={:.3f}s load={:.3f}s "
      "world={:.3f}s  set-up {:.3f}s  run of {} transactions {:.3f}s ({} committed)  peak memory "
      "{:.1f} MiB",
      p.services, r.request_types, static_cast<double>(r.yaml_bytes) / (1 << 20), r.generate_s,
      r.load_s, r.world_s, r.load_s + r.world_s, p.transactions, r.run_s, r.committed,
      r.peak_rss_mib);
}

}  // namespace app
