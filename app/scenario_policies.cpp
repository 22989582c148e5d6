// The readers of the sections that choose how it runs: the patterns, retries, timeouts,
// the commit protocols' settings and the scheduled faults (scenario_internal.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "app/scenario_fields.hpp"
#include "app/scenario_internal.hpp"
#include "app/yaml_reader.hpp"
#include "sim/suggest.hpp"
#include "sim/units.hpp"
#include "models/limits.hpp"
#include "models/registry.hpp"

namespace app {

using models::ScenarioConfig;

namespace {

// A transport by name, and whether pattern `p` runs over it.
models::Transport transport_of(const std::string& t) {
  return t == "broker" ? models::Transport::kBroker : models::Transport::kRpc;
}
std::vector<std::string> transports_of(const models::PatternInfo& p) {
  std::vector<std::string> out;
  for (auto t : {models::Transport::kRpc, models::Transport::kBroker}) {
    if (p.supports(t)) out.emplace_back(models::transport_name(t));
  }
  return out;
}
void check_transport(const Ctx& ctx, const yaml::Node& at, const std::string& path,
                     const models::PatternInfo& p, models::Transport t) {
  if (p.supports(t)) return;
  ctx.fail(at, path,
           fmt::format("{} runs over {} only, not over {}", p.name,
                       fmt::join(transports_of(p), " or "), models::transport_name(t)));
}

// One entry of `patterns`: NAME, NAME/TRANSPORT, or {pattern: NAME, transport: TRANSPORT}.
models::PatternChoice read_pattern(const Ctx& ctx, const yaml::Node& n, const std::string& path) {
  const std::vector<std::string> transports = field_choices("pattern", "transport");
  if (n.IsMap()) {
    MapReader m(ctx, n, path, field_keys("pattern"));
    m.require("pattern", "pattern: orchestration");
    const models::PatternInfo& p =
        *models::find_pattern(read_choice(ctx, m.get("pattern"), m.path("pattern"), models::pattern_names()));
    models::PatternChoice k = models::default_choice(p);
    if (m.has("transport")) {
      k.transport = transport_of(read_choice(ctx, m.get("transport"), m.path("transport"), transports));
      check_transport(ctx, m.get("transport"), m.path("transport"), p, k.transport);
    }
    return k;
  }
  const std::string text = read_string(ctx, n, path);
  const size_t slash = text.find('/');
  if (slash == std::string::npos) {
    return models::default_choice(*models::find_pattern(read_choice(ctx, n, path, models::pattern_names())));
  }
  const std::string name = text.substr(0, slash), t = text.substr(slash + 1);
  const models::PatternInfo* p = models::find_pattern(name);
  if (p == nullptr) {
    auto near = sim::closest_match(name, models::pattern_names());
    ctx.fail(n, path,
             fmt::format("expected PATTERN/TRANSPORT with PATTERN one of {}, found \"{}\"{}",
                         sim::join_alternatives(models::pattern_names()), name,
                         near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
  }
  if (std::find(transports.begin(), transports.end(), t) == transports.end()) {
    ctx.fail(n, path,
             fmt::format("expected PATTERN/TRANSPORT with TRANSPORT rpc or broker, found \"{}\"", t));
  }
  models::PatternChoice k{p, transport_of(t)};
  check_transport(ctx, n, path, *p, k.transport);
  return k;
}

}  // namespace

void read_patterns(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  c.patterns.clear();
  auto add = [&](const yaml::Node& p, const std::string& path) {
    const models::PatternChoice k = read_pattern(ctx, p, path);
    if (std::find(c.patterns.begin(), c.patterns.end(), k) != c.patterns.end()) {
      ctx.fail(p, path, fmt::format("pattern \"{}\" is listed twice", k.label()));
    }
    c.patterns.push_back(k);
  };
  if (n.IsScalar()) {
    add(n, "patterns");
    return;
  }
  const yaml::Node seq = expect_sequence(ctx, n, "patterns", "[orchestration, saga_orchestrated]");
  if (seq.size() == 0) ctx.fail(n, "patterns", "the list of patterns is empty");
  for (size_t i = 0; i < seq.size(); ++i) add(seq[i], join("patterns", std::to_string(i)));
}

void read_backoff(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                  models::RetryConfig& r) {
  const std::string usage =
      "expected a backoff like \"exponential(base: 50ms, max: 1s)\", {base: 50ms, max: 1s} "
      "or a fixed wait like \"100ms\"";
  if (n.IsMap()) {
    MapReader m(ctx, n, path, field_keys("backoff"));
    m.require("base", "base: 50ms");
    r.backoff_base = read_duration(ctx, m.get("base"), m.path("base"));
    r.backoff_max = m.has("max") ? read_duration(ctx, m.get("max"), m.path("max"))
                                 : r.backoff_base * 1024;
  } else if (n.IsScalar() && n.Scalar().rfind("exponential(", 0) == 0) {
    // exponential(base: X, max: Y): parsed as a flow mapping so every error has its place.
    const std::string& text = n.Scalar();
    const size_t open = text.find('(');
    const size_t close = text.rfind(')');
    if (close == std::string::npos || close < open || text.find_first_not_of(' ', close + 1) != std::string::npos) {
      ctx.fail(n, path, fmt::format("{}, found {}", usage, describe(n)));
    }
    yaml::Node inner;
    try {
      inner = yaml::load(fmt::format("{{{}}}", text.substr(open + 1, close - open - 1)));
    } catch (const YAML::Exception&) {
      ctx.fail(n, path, fmt::format("{}, found {}", usage, describe(n)));
    }
    if (!inner.IsMap() || !inner["base"].IsDefined()) {
      ctx.fail(n, path, fmt::format("{}, found {}", usage, describe(n)));
    }
    for (const auto& kv : inner) {
      const std::string k = kv.first.Scalar();
      if (k != "base" && k != "max") {
        ctx.fail(n, path, fmt::format("unknown parameter \"{}\" in the backoff; {}", k, usage));
      }
      auto d = sim::parse_duration(kv.second.IsScalar() ? kv.second.Scalar() : "");
      if (!d.ok()) ctx.fail(n, path, fmt::format("backoff {}: {}", k, d.status().message()));
      (k == "base" ? r.backoff_base : r.backoff_max) = d.value();
    }
    if (!inner["max"].IsDefined()) r.backoff_max = r.backoff_base * 1024;
  } else if (n.IsScalar() && sim::looks_like_duration(n.Scalar())) {
    const sim::Time t = read_duration(ctx, n, path);
    r.backoff_base = t;
    r.backoff_max = t;
    return;
  } else {
    ctx.fail(n, path, fmt::format("{}, found {}", usage, describe(n)));
  }
  if (r.backoff_max < r.backoff_base) {
    ctx.fail(n, path, fmt::format("max {} is below base {}", r.backoff_max, r.backoff_base));
  }
}

void read_retry(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "retry", field_keys("retry"));
  auto& r = c.retry;
  if (m.has("attempts")) r.attempts = static_cast<uint32_t>(read_count(ctx, m.get("attempts"), m.path("attempts"), 1, 1000));
  if (m.has("backoff")) read_backoff(ctx, m.get("backoff"), m.path("backoff"), r);
  if (m.has("jitter")) {
    const std::string j = read_choice(ctx, m.get("jitter"), m.path("jitter"), field_choices("retry", "jitter"));
    r.jitter = j == "full"    ? models::RetryConfig::Jitter::kFull
               : j == "equal" ? models::RetryConfig::Jitter::kEqual
                              : models::RetryConfig::Jitter::kNone;
  }
  if (m.has("compensation_attempts")) {
    r.compensation_attempts = static_cast<uint32_t>(
        read_count(ctx, m.get("compensation_attempts"), m.path("compensation_attempts"), 0, 1000000));
  }
}

void read_timeouts(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "timeouts", field_keys("timeouts"));
  auto& t = c.timeouts;
  if (m.has("call")) t.call = read_duration(ctx, m.get("call"), m.path("call"), true);
  if (m.has("prepare")) t.prepare = read_duration(ctx, m.get("prepare"), m.path("prepare"), true);
  if (m.has("lock_wait")) t.lock_wait = read_duration(ctx, m.get("lock_wait"), m.path("lock_wait"), true);
  if (m.has("log_force")) t.log_force = read_duration(ctx, m.get("log_force"), m.path("log_force"));
}

namespace {

std::vector<std::string> read_node_list(const Ctx& ctx, const yaml::Node& n,
                                        const std::string& path, const ScenarioConfig& c,
                                        std::set<std::string>& seen) {
  const yaml::Node seq = expect_sequence(ctx, n, path, "[order, payment]");
  if (seq.size() == 0) ctx.fail(n, path, "the list of nodes is empty");
  std::vector<std::string> out;
  for (size_t i = 0; i < seq.size(); ++i) {
    const std::string p = join(path, std::to_string(i));
    const std::string name = read_node_ref(ctx, seq[i], p, c, true);
    if (!seen.insert(name).second) {
      ctx.fail(seq[i], p, fmt::format("\"{}\" is named twice in this fault", name));
    }
    out.push_back(name);
  }
  return out;
}

}  // namespace

void read_faults(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  const yaml::Node seq =
      expect_sequence(ctx, n, "faults", "[{at: 120s, crash: payment, for: 10s}]");
  for (size_t i = 0; i < seq.size(); ++i) {
    const std::string p = join("faults", std::to_string(i));
    MapReader m(ctx, seq[i], p, field_keys("fault"));
    m.require("at", "at: 120s");
    m.require("for", "for: 10s");
    models::FaultConfig f;
    f.at = read_duration(ctx, m.get("at"), m.path("at"));
    f.duration = read_duration(ctx, m.get("for"), m.path("for"), true);
    const int kinds = int{m.has("crash")} + int{m.has("partition")} + int{m.has("cut")};
    if (kinds != 1) {
      ctx.fail(seq[i], p,
               "a fault is exactly one of crash: SERVICE, partition: [[A], [B, C]] or "
               "cut: {from: [A], to: [B]}");
    }
    std::set<std::string> seen;
    if (m.has("crash")) {
      f.kind = models::FaultConfig::Kind::kCrash;
      f.node = read_node_ref(ctx, m.get("crash"), m.path("crash"), c, true);
      if (f.node == "client") ctx.fail(m.get("crash"), m.path("crash"), "the client cannot crash");
    } else if (m.has("partition")) {
      f.kind = models::FaultConfig::Kind::kPartition;
      const yaml::Node gs = expect_sequence(ctx, m.get("partition"), m.path("partition"),
                                             "[[order], [payment, inventory]]");
      if (gs.size() < 2) {
        ctx.fail(gs, m.path("partition"), "a partition needs at least two groups of nodes");
      }
      for (size_t g = 0; g < gs.size(); ++g) {
        f.groups.push_back(read_node_list(ctx, gs[g], join(m.path("partition"), std::to_string(g)), c, seen));
      }
    } else {
      f.kind = models::FaultConfig::Kind::kOneWay;
      MapReader cm(ctx, m.get("cut"), m.path("cut"), field_keys("cut"));
      cm.require("from", "from: [order]");
      cm.require("to", "to: [payment]");
      f.from = read_node_list(ctx, cm.get("from"), cm.path("from"), c, seen);
      f.to = read_node_list(ctx, cm.get("to"), cm.path("to"), c, seen);
    }
    c.faults.push_back(std::move(f));
  }
}

void read_two_phase_commit(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "two_phase_commit", field_keys("two_phase_commit"));
  using V = models::TwoPhaseCommitConfig::Variant;
  auto& t = c.two_phase_commit;
  if (m.has("variant")) {
    const std::string v = read_choice(ctx, m.get("variant"), m.path("variant"),
                                      field_choices("two_phase_commit", "variant"));
    t.variant = v == "presumed_commit"                    ? V::kPresumedCommit
                : v == "paxos_commit"                     ? V::kPaxosCommit
                : v == "basic" || v == "presumed_nothing" ? V::kBasic
                                                          : V::kPresumedAbort;
  }
  // The acceptors' fields mean nothing to the other variants: refused, not ignored.
  for (const char* k : {"tolerated_faults", "acceptors", "acceptor_mttf", "acceptor_mttr"}) {
    if (m.has(k) && t.variant != V::kPaxosCommit) {
      ctx.fail(m.get(k), m.path(k),
               fmt::format("{} applies to variant paxos_commit only (this is {})", k,
                           m.has("variant") ? yaml::dump(m.get("variant")) : "presumed_abort, the default"));
    }
  }
  if (m.has("tolerated_faults")) {
    t.tolerated_faults = static_cast<uint32_t>(read_count(ctx, m.get("tolerated_faults"), m.path("tolerated_faults"), 0, models::kMaxToleratedFaults));
  }
  if (m.has("acceptors")) {
    t.acceptors_on_participants = read_choice(ctx, m.get("acceptors"), m.path("acceptors"),
                                              field_choices("two_phase_commit", "acceptors")) == "participants";
  }
  if (m.has("acceptor_mttf") != m.has("acceptor_mttr")) {
    const char* given = m.has("acceptor_mttf") ? "acceptor_mttf" : "acceptor_mttr";
    ctx.fail(m.get(given), m.path(given),
             fmt::format("{} needs {} too", given, m.has("acceptor_mttf") ? "acceptor_mttr" : "acceptor_mttf"));
  }
  if (m.has("acceptor_mttf")) {
    if (t.acceptors_on_participants) {
      ctx.fail(m.get("acceptor_mttf"), m.path("acceptor_mttf"),
               "acceptors on the participants crash with their services (services.NAME.mttf); "
               "acceptor_mttf is for acceptors: own_nodes");
    }
    t.acceptor_mttf = read_mean_time(ctx, m.get("acceptor_mttf"), m.path("acceptor_mttf"));
    t.acceptor_mttr = read_mean_time(ctx, m.get("acceptor_mttr"), m.path("acceptor_mttr"));
  }
  if (t.own_acceptor_nodes()) {
    for (uint32_t k = 1; k <= t.acceptors(); ++k) {
      const std::string name = fmt::format("acceptor{}", k);
      if (!find_service(c, name)) continue;
      const char* at = m.has("tolerated_faults") ? "tolerated_faults" : "variant";
      ctx.fail(m.get(at), m.path(at),
               fmt::format("service \"{}\" has the name of one of Paxos Commit's acceptor nodes "
                           "(acceptor1 to acceptor{}): rename the service, or use acceptors: participants",
                           name, t.acceptors()));
    }
  }
  if (t.acceptors_on_participants) {
    const auto hosts = models::acceptor_services(c.workflows);
    if (hosts.size() < t.acceptors()) {
      ctx.fail(m.get("acceptors"), m.path("acceptors"),
               fmt::format("{} acceptors (tolerated_faults {}) need as many participant services; "
                           "the workflows have {} ({}): use acceptors: own_nodes, or a lower tolerated_faults",
                           t.acceptors(), t.tolerated_faults, hosts.size(), sim::join_all(hosts)));
    }
  }
}

void read_tcc(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "tcc", field_keys("tcc"));
  if (m.has("expiry")) c.tcc.expiry = read_duration(ctx, m.get("expiry"), m.path("expiry"), true);
}

}  // namespace app
