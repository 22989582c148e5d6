// The checks that span sections, once every section is read, and the warnings about a
// scenario that runs but cannot reach a steady state (scenario_internal.hpp).

#include <fmt/format.h>

#include <algorithm>

#include "app/scenario_fields.hpp"
#include "app/scenario_internal.hpp"
#include "app/yaml_reader.hpp"
#include "sim/suggest.hpp"
#include "sim/units.hpp"
#include "app/traffic.hpp"
#include "models/registry.hpp"

namespace app {

using models::ScenarioConfig;

namespace {

// The patterns that send their messages through the broker, as "a, b and c".
std::string broker_patterns(const ScenarioConfig& c) {
  std::vector<std::string> names;
  for (const models::PatternChoice& p : c.patterns) {
    if (p.transport == models::Transport::kBroker) names.push_back(p.label());
  }
  return sim::join_all(names, false);
}

bool is_saga(const models::PatternChoice& p) { return p.info->saga; }

}  // namespace

void check_cross(const Ctx& ctx, const yaml::Node& root, const ScenarioConfig& c) {
  if (const std::string users = broker_patterns(c); !users.empty() && !c.broker.present) {
    ctx.fail(root["patterns"].IsDefined() ? root["patterns"] : root, "patterns",
             fmt::format("{} send{} messages through a broker; add a broker block, e.g. "
                         "broker: {{latency: exp(2ms)}}",
                         users, users.find(' ') == std::string::npos ? "s" : ""));
  }
  check_async_broker(ctx, root, c);
  check_colocation(ctx, root, c);
  if (std::any_of(c.patterns.begin(), c.patterns.end(), is_saga)) check_saga_order(ctx, root, c);
  if (c.transactions.has_value() == c.duration.has_value()) {
    ctx.fail(root, "",
             "give exactly one of duration (simulated time of arrivals, e.g. duration: 600s) "
             "and transactions (a count, e.g. transactions: 100000)");
  }
  // The clock holds 292 years; a run and the delays added to its times must fit in it.
  const sim::Time horizon = sim::Time::from_ns(sim::Distribution::kMaxSampleNs);
  if (c.duration && sim::Time::saturating_add(*c.duration, c.drain) > horizon) {
    ctx.fail(root["duration"], "duration",
             fmt::format("the run's horizon, duration plus drain ({} + {}), is beyond the {} "
                         "that the simulated clock holds with room for the delays added to it",
                         *c.duration, c.drain, sim::Distribution::kMaxSampleText));
  }
  if (c.duration && c.warmup >= *c.duration) {
    ctx.fail(root["warmup"], "warmup",
             fmt::format("the warm-up ({}) must be shorter than the duration ({})", c.warmup,
                         *c.duration));
  }
  for (const auto& f : c.faults) {
    if (f.kind == models::FaultConfig::Kind::kCrash && f.node == "broker" && !c.broker.present) {
      ctx.fail(root["faults"], "faults", "a crash of the broker, but there is no broker block");
    }
  }
}

namespace {

// A producer sends what the broker has not acknowledged again every timeouts.call (backing
// off): a timeout shorter than the round trip makes copies of every message, each delivered
// and handled. Warns when the mean round trip to the broker (two network hops and the
// broker's handling) is longer than timeouts.call under a pattern that uses the broker.
std::string broker_round_trip_warning(const ScenarioConfig& c) {
  if (!c.broker.present) return "";
  const bool uses = std::any_of(c.patterns.begin(), c.patterns.end(), [](const models::PatternChoice& p) {
    return p.transport == models::Transport::kBroker;
  });
  const bool async = std::any_of(c.workflows.begin(), c.workflows.end(), [](const models::WorkflowConfig& wf) {
    return std::any_of(wf.steps.begin(), wf.steps.end(), [](const models::StepConfig& s) { return s.async; });
  });
  if (!uses && !async) return "";
  // The slowest hop to or from the broker: a link that names it, else the default.
  double hop_ns = c.network.latency.mean_ns();
  for (const models::LinkSpec& l : c.network.links) {
    if (l.from == "broker" || l.to == "broker") hop_ns = std::max(hop_ns, l.latency.mean_ns());
  }
  const double rtt_ns = 2 * hop_ns + c.broker.latency.mean_ns();
  if (static_cast<double>(c.timeouts.call.ns()) >= rtt_ns) return "";
  return fmt::format(
      "warning: timeouts.call ({}) is shorter than the mean round trip of a message to the "
      "broker (about {:.3g}ms: two network hops of {:.3g}ms and {:.3g}ms of handling): senders "
      "will send every message again before its acknowledgement comes, and each copy is "
      "delivered and handled; make timeouts.call longer",
      c.timeouts.call, rtt_ns * 1e-6, hop_ns * 1e-6, c.broker.latency.mean_ns() * 1e-6);
}

}  // namespace

void add_warnings(const ScenarioConfig& c, std::vector<std::string>& warnings) {
  if (const std::string w = broker_round_trip_warning(c); !w.empty()) warnings.push_back(w);
  // A fault after the run's last possible instant (arrivals, then the drain) never happens.
  if (c.duration) {
    const sim::Time end = sim::Time::saturating_add(*c.duration, c.drain);
    for (size_t i = 0; i < c.faults.size(); ++i) {
      if (c.faults[i].at < end) continue;
      warnings.push_back(fmt::format(
          "warning: faults.{} (at {}) comes after the run has ended (arrivals stop at {}, and "
          "draining at {} at the latest): it never happens",
          i, c.faults[i].at, *c.duration, end));
    }
  }
  for (const Load& l : estimate_load(c)) {
    if (l.utilisation < 1.0) continue;
    if (!l.pattern.empty()) {  // the broker
      warnings.push_back(fmt::format(
          "warning: the broker is loaded at {:.0f}% under {} ({:.4g} messages/s x {} handling "
          "time / {} workers): its queues grow without bound; give it more workers "
          "(broker.workers) or a shorter latency",
          100 * l.utilisation, l.pattern, l.arrival_rate, sim::Time::from_seconds(l.mean_service_s),
          l.workers));
      continue;
    }
    warnings.push_back(fmt::format(
        "warning: service \"{}\" is loaded at {:.0f}% ({:.4g} requests/s x {} mean service "
        "time / {} workers{}): its queue grows without bound and the run never reaches a "
        "steady state",
        l.service, 100 * l.utilisation, l.arrival_rate, sim::Time::from_seconds(l.mean_service_s),
        l.workers, l.replicas > 1 ? fmt::format(" x {} replicas", l.replicas) : ""));
  }
}

}  // namespace app
