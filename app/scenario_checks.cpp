// The checks that span sections, once every section is read, and the warnings about a
// scenario that runs but cannot reach a steady state (scenario_internal.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <string_view>
#include <unordered_map>

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
    // Both given: the message points at the one given last, a --set or else the later line,
    // which is most likely the one to take back.
    std::string at;
    if (c.duration) {
      const bool later = root["transactions"].Mark().pos > root["duration"].Mark().pos;
      at = ctx.overridden("transactions") ? "transactions"
           : ctx.overridden("duration")   ? "duration"
           : later                        ? "transactions"
                                          : "duration";
    }
    ctx.fail(at.empty() ? root : root[at], at,
             fmt::format("give exactly one of duration (simulated time of arrivals, e.g. duration: "
                         "600s) and transactions (a count, e.g. transactions: 100000){}",
                         at.empty() ? "" : "; both are given"));
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
    // (At the duration when a --set shortened it below the file's warm-up: that is the change
    // to look at. A warm-up of 0 is the default, never given.)
    const char* at = ctx.overridden("duration") && !ctx.overridden("warmup") && root["warmup"].IsDefined()
                         ? "duration"
                         : "warmup";
    ctx.fail(root[at].IsDefined() ? root[at] : root, at,
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

// Whether a listed pattern sends its messages through the broker.
bool uses_broker(const ScenarioConfig& c) {
  return std::any_of(c.patterns.begin(), c.patterns.end(), [](const models::PatternChoice& p) {
    return p.transport == models::Transport::kBroker;
  });
}

// A producer sends what the broker has not accepted again after timeouts.call (backing
// off: resend_wait): a timeout shorter than the round trip makes copies of every message, each delivered
// and handled. Warns when the mean round trip to the broker (two network hops and the
// broker's handling) is longer than timeouts.call under a pattern that uses the broker.
std::string broker_round_trip_warning(const ScenarioConfig& c) {
  if (!c.broker.present) return "";
  const bool async = std::any_of(c.workflows.begin(), c.workflows.end(), [](const models::WorkflowConfig& wf) {
    return std::any_of(wf.steps.begin(), wf.steps.end(), [](const models::StepConfig& s) { return s.async; });
  });
  if (!uses_broker(c) && !async) return "";
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

// Lower bounds of mean round trips, for the warnings below (which must only fire when
// certain): no queueing, a parallel group at its slowest call's mean. The links are indexed
// once, so that the checks stay linear in the scenario's size (a scenario may have as many
// links as services, and as many calls).
class RoundTrips {
 public:
  explicit RoundTrips(const ScenarioConfig& c) : c_(c) {
    // In order, both directions of a two-way link: the last written for a pair wins, as in
    // sim::Network.
    for (const models::LinkSpec& l : c.network.links) {
      links_[key(l.from, l.to)] = l.latency.mean_ns();
      if (l.both_ways) links_[key(l.to, l.from)] = l.latency.mean_ns();
    }
  }

  // Mean one-way delay from service a to service b, in ns: their link, else the mesh's
  // default. Without the full mesh and without a direct link the route is longer than one
  // hop: 0 then.
  double hop_ns(const std::string& a, const std::string& b) const {
    if (a == b) return 0;  // co-located: within the node
    if (!links_.empty()) {
      if (const auto it = links_.find(key(a, b)); it != links_.end()) return it->second;
    }
    return c_.network.full_mesh ? c_.network.latency.mean_ns() : 0;
  }

  double op_ns(const std::string& service, const std::string& op) const {
    const auto i = c_.find_service(service);
    if (!i) return 0;
    for (const sim::OpConfig& o : c_.services[*i].ops) {
      if (o.name == op) return o.service.mean_ns();
    }
    return 0;
  }

  // A call's: the hop there, the callee's operation, its own calls, the hop back.
  double call_ns(const std::string& caller, const std::string& callee, const std::string& op,
                 const models::CallGroups& calls) const {
    return hop_ns(caller, callee) + work_ns(callee, op, calls) + hop_ns(callee, caller);
  }
  // The callee's side of a call: its operation and its own calls. Kept per call tree (by
  // the address of its calls, which belong to one call or step, so to one callee and op):
  // the warnings ask for the round trip of every call of a tree, and each would otherwise
  // walk its whole subtree again (100,000 services took 0.2 s).
  double work_ns(const std::string& callee, const std::string& op, const models::CallGroups& calls) const {
    if (calls.empty()) return op_ns(callee, op);
    if (const auto it = work_.find(&calls); it != work_.end()) return it->second;
    const double ns = op_ns(callee, op) + calls_ns(callee, calls);
    work_.emplace(&calls, ns);
    return ns;
  }
  double calls_ns(const std::string& service, const models::CallGroups& calls) const {
    double total = 0;
    for (const auto& group : calls) {
      double slowest = 0;
      for (const models::CallConfig& k : group) slowest = std::max(slowest, call_ns(service, k.service, k.action, k.calls));
      total += slowest;
    }
    return total;
  }

 private:
  static std::string key(const std::string& a, const std::string& b) { return a + '\0' + b; }
  const ScenarioConfig& c_;
  std::unordered_map<std::string, double> links_;  // (from, to) -> mean delay, ns
  mutable std::unordered_map<const models::CallGroups*, double> work_;  // work_ns(), made on use
};

// How the warnings name a call.
std::string describe_call(const std::string& caller, const std::string& callee, const std::string& op) {
  return fmt::format("a call from {} to {}'s {}", caller, callee, op);
}

// A synchronous call given up before its answer can come is sent again: a timeout shorter
// than the mean round trip it guards makes most calls fail their attempts (and a 2PC
// coordinator sends PREPARE again, from timeouts.call on). Warns for timeouts.call, with the
// call that exceeds it the most: a step called by its workflow's entry, under every listed
// pattern whose entry calls the steps over RPC (not choreography, whose steps call each
// other), and any call of a call tree without its own timeout; and for each call whose own
// `timeout` is shorter than its round trip.
void call_round_trip_warnings(const ScenarioConfig& c, const RoundTrips& rt, std::vector<std::string>& warnings) {
  struct Worst {
    double rtt = 0, ratio = 0;
    std::string what;
  } worst;
  const auto timeout_ns = static_cast<double>(c.timeouts.call.ns());
  // (The call is described only when it is the worst so far: most calls are well inside.)
  auto consider = [&](double rtt, double timeout, const std::string& caller, const std::string& callee,
                      const std::string& op) {
    if (rtt <= timeout) return;
    const double ratio = timeout > 0 ? rtt / timeout : std::numeric_limits<double>::infinity();
    if (ratio > worst.ratio) worst = {rtt, ratio, describe_call(caller, callee, op)};
  };
  const bool entry_calls = std::any_of(c.patterns.begin(), c.patterns.end(), [](const models::PatternChoice& p) {
    return p.transport == models::Transport::kRpc && std::string_view(p.info->name) != "choreography";
  });
  // Every call of a call tree: its own timeout, or timeouts.call.
  std::function<void(const std::string&, const models::CallGroups&)> walk =
      [&](const std::string& caller, const models::CallGroups& calls) {
        for (const auto& group : calls) {
          for (const models::CallConfig& k : group) {
            const double rtt = rt.call_ns(caller, k.service, k.action, k.calls);
            if (!k.timeout) {
              consider(rtt, timeout_ns, caller, k.service, k.action);
            } else if (rtt > static_cast<double>(k.timeout->ns())) {
              warnings.push_back(fmt::format(
                  "warning: {}.timeout ({}) is shorter than the mean round trip of {} (about "
                  "{:.3g}ms without queueing): the caller gives up on the call before its answer "
                  "can come and tries again; make the timeout longer",
                  k.path, *k.timeout, describe_call(caller, k.service, k.action), rtt * 1e-6));
            }
            walk(k.service, k.calls);
          }
        }
      };
  for (const models::WorkflowConfig& wf : c.workflows) {
    for (const models::StepConfig& s : wf.steps) {
      if (entry_calls && !s.async) {
        consider(rt.call_ns(wf.entry, s.service, s.action, s.calls), timeout_ns, wf.entry, s.service, s.action);
      }
      walk(s.service, s.calls);
    }
  }
  if (worst.what.empty()) return;
  const bool two_pc = std::any_of(c.patterns.begin(), c.patterns.end(), [](const models::PatternChoice& p) {
    return std::string_view(p.info->name) == "two_phase_commit";
  });
  warnings.push_back(fmt::format(
      "warning: timeouts.call ({}) is shorter than the mean round trip of {} (about {:.3g}ms "
      "without queueing): callers give up on such calls before their answers can come and "
      "try again{}; make timeouts.call longer",
      c.timeouts.call, worst.what, worst.rtt * 1e-6,
      two_pc ? " (and two_phase_commit's coordinator sends PREPARE again, from timeouts.call on)" : ""));
}

// The broker delivers a message again when its acknowledgement has not come after
// broker.redelivery (doubling up to broker.redelivery_max): a first wait shorter than the
// time a delivery takes to be handled and acknowledged makes copies of every delivery, each
// handled again. Warns with the step whose delivery takes the longest, at least (the hop to
// its service, its action and calls, the hop back), under a pattern that uses the broker.
std::string redelivery_warning(const ScenarioConfig& c, const RoundTrips& rt) {
  if (!c.broker.present) return "";
  const bool uses = uses_broker(c);
  double worst = 0;
  std::string what;
  for (const models::WorkflowConfig& wf : c.workflows) {
    for (const models::StepConfig& s : wf.steps) {
      if (!uses && !s.async) continue;
      const double rtt = rt.call_ns("broker", s.service, s.action, s.calls);
      if (rtt > worst) {
        worst = rtt;
        what = fmt::format("{}'s {}", s.service, s.action);
      }
    }
  }
  if (static_cast<double>(c.broker.redelivery.ns()) >= worst) return "";
  return fmt::format(
      "warning: broker.redelivery ({}) is shorter than the time a delivery takes to be handled "
      "and acknowledged (at least about {:.3g}ms for {}, without queueing): the broker delivers "
      "messages again before their acknowledgements can come, and each copy is handled again "
      "(the waits double up to broker.redelivery_max, {}); make broker.redelivery longer",
      c.broker.redelivery, worst * 1e-6, what, c.broker.redelivery_max);
}

// TCC confirms only while every reservation has timeouts.call left to live (models/tcc.cpp,
// decide): with tcc.expiry no longer than that, no transaction that reserves anything is
// ever confirmed.
std::string tcc_expiry_warning(const ScenarioConfig& c) {
  const bool tcc = std::any_of(c.patterns.begin(), c.patterns.end(), [](const models::PatternChoice& p) {
    return std::string_view(p.info->name) == "tcc";
  });
  const bool reserves = std::any_of(c.workflows.begin(), c.workflows.end(), [](const models::WorkflowConfig& wf) {
    return std::any_of(wf.steps.begin(), wf.steps.end(), [](const models::StepConfig& s) { return s.side_effect; });
  });
  if (!tcc || !reserves || c.tcc.expiry > c.timeouts.call) return "";
  return fmt::format(
      "warning: tcc.expiry ({}) is not longer than timeouts.call ({}): TCC confirms a "
      "transaction only while each of its reservations has timeouts.call left to live, so "
      "none is confirmed and every transaction that reserves anything fails; make tcc.expiry "
      "longer than timeouts.call and the time the tries take",
      c.tcc.expiry, c.timeouts.call);
}

// A 2PC coordinator aborts a transaction whose votes are not all in after timeouts.prepare:
// shorter than the mean round trip of a PREPARE (to the participant, its step's action and
// calls, the vote back), it aborts many transactions before their votes can come.
std::string prepare_timeout_warning(const ScenarioConfig& c, const RoundTrips& rt) {
  const bool two_pc = std::any_of(c.patterns.begin(), c.patterns.end(), [](const models::PatternChoice& p) {
    return std::string_view(p.info->name) == "two_phase_commit";
  });
  if (!two_pc) return "";
  double worst = 0;
  std::string what;
  for (const models::WorkflowConfig& wf : c.workflows) {
    for (const models::StepConfig& s : wf.steps) {
      if (s.async) continue;
      const double rtt = rt.call_ns(wf.entry, s.service, s.action, s.calls);
      if (rtt > worst) {
        worst = rtt;
        what = fmt::format("{} to {}'s {}", wf.entry, s.service, s.action);
      }
    }
  }
  if (static_cast<double>(c.timeouts.prepare.ns()) >= worst) return "";
  return fmt::format(
      "warning: timeouts.prepare ({}) is shorter than the mean round trip of a PREPARE from {} "
      "(about {:.3g}ms without queueing): two_phase_commit's coordinator aborts many "
      "transactions before their votes can come; make timeouts.prepare longer",
      c.timeouts.prepare, what, worst * 1e-6);
}

}  // namespace

void add_warnings(const ScenarioConfig& c, std::vector<std::string>& warnings) {
  const RoundTrips rt(c);
  if (const std::string w = tcc_expiry_warning(c); !w.empty()) warnings.push_back(w);
  if (const std::string w = prepare_timeout_warning(c, rt); !w.empty()) warnings.push_back(w);
  if (const std::string w = broker_round_trip_warning(c); !w.empty()) warnings.push_back(w);
  if (const std::string w = redelivery_warning(c, rt); !w.empty()) warnings.push_back(w);
  call_round_trip_warnings(c, rt, warnings);
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
    // Likewise a rate phase that starts when the arrivals have stopped.
    for (size_t i = 0; i < c.workload.phases.size(); ++i) {
      if (c.workload.phases[i].at < *c.duration) continue;
      warnings.push_back(fmt::format(
          "warning: workload.phases.{} (at {}) starts after the arrivals stop at {} (duration): "
          "its rate is never used",
          i, c.workload.phases[i].at, *c.duration));
    }
  }
  // An open loop whose rates make less than one arrival, on average, between the warm-up and
  // the end of arrivals measures nothing, most likely (its table is all "-").
  if (c.duration && c.workload.arrival == models::WorkloadConfig::Arrival::kPoisson &&
      c.warmup < *c.duration) {
    // The expected arrivals in [warmup, duration): the rate integrated, phase by phase.
    double expected = 0, from = c.warmup.seconds(), rate = c.workload.rate;
    const double end = c.duration->seconds();
    double at = 0;
    for (const models::RatePhase& p : c.workload.phases) {
      const double next = std::min(p.at.seconds(), end);
      if (next > from) expected += rate * (next - std::max(at, from));
      at = std::max(at, next);
      rate = p.rate;
    }
    if (end > std::max(at, from)) expected += rate * (end - std::max(at, from));
    if (expected < 1) {
      const std::string when =
          c.warmup > sim::Time::zero()
              ? fmt::format("between the warm-up ({}) and the end of arrivals ({})", c.warmup, *c.duration)
              : fmt::format("in its {} of arrivals", *c.duration);
      warnings.push_back(fmt::format(
          "warning: the workload's rate makes about {:.2g} arrivals {}, so few if any "
          "transactions are measured; raise the rate or the duration",
          expected, when));
    }
  }
  // A warm-up longer than a transaction count takes to arrive (open loop: its rates, phase
  // by phase, give the expected time of the last arrival) leaves nothing measured.
  if (c.transactions && c.warmup > sim::Time::zero() &&
      c.workload.arrival == models::WorkloadConfig::Arrival::kPoisson) {
    double left = static_cast<double>(*c.transactions), t = 0, rate = c.workload.rate;
    for (const models::RatePhase& p : c.workload.phases) {
      const double span = p.at.seconds() - t;
      if (left <= rate * span) break;
      left -= rate * span;
      t = p.at.seconds();
      rate = p.rate;
    }
    const sim::Time last = sim::Time::from_seconds(t + left / rate);
    if (c.warmup >= last) {
      warnings.push_back(fmt::format(
          "warning: the warm-up ({}) outlasts the arrivals: {} transactions arrive in about {} "
          "at the workload's rate, so few if any are measured; shorten warmup or raise "
          "transactions",
          c.warmup, *c.transactions, last));
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
