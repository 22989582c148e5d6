#include "app/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "app/files.hpp"
#include "app/scenario_internal.hpp"
#include "app/traffic.hpp"
#include "app/yaml_reader.hpp"
#include "models/registry.hpp"
#include "models/workflow.hpp"
#include "sim/suggest.hpp"
#include "sim/units.hpp"

namespace app {

// The largest scenario file read (100,000 services in call trees take about 7 MiB).
constexpr size_t kMaxScenarioBytes = size_t{64} << 20;

namespace {

using models::ScenarioConfig;

const std::vector<std::string> kTopKeys{
    "name",     "seed",    "duration", "transactions", "warmup", "drain",  "workload",
    "network",  "services", "broker",  "workflow",     "workflows", "patterns", "retry", "timeouts",
    "two_phase_commit", "tcc",  "tracing", "faults",   "sweep"};

// ---------------------------------------------------------------- sections
void read_backoff(const Ctx& ctx, const YAML::Node& n, const std::string& path,
                  models::RetryConfig& r);

// workload.retry: the client's end-to-end retries.
void read_client_retry(const Ctx& ctx, const YAML::Node& n, const std::string& path,
                       models::ClientRetryConfig& r) {
  MapReader m(ctx, n, path, {"attempts", "timeout", "backoff", "jitter"});
  m.require("attempts", "attempts: 3");
  r.attempts = static_cast<uint32_t>(read_count(ctx, m.get("attempts"), m.path("attempts"), 1, 1000));
  if (m.has("timeout")) {
    r.timeout = read_duration(ctx, m.get("timeout"), m.path("timeout"), true);
  } else if (r.attempts > 1) {
    ctx.fail(n, path,
             "a client tries again when an answer is late: give the wait for each try, e.g. "
             "timeout: 1s");
  }
  if (m.has("backoff")) {
    models::RetryConfig b;
    read_backoff(ctx, m.get("backoff"), m.path("backoff"), b);
    r.backoff_base = b.backoff_base;
    r.backoff_max = b.backoff_max;
  }
  if (m.has("jitter")) {
    r.jitter = read_choice(ctx, m.get("jitter"), m.path("jitter"), {"none", "full"}) == "full";
  }
}

void read_workload(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "workload", {"arrival", "rate", "phases", "clients", "think", "deadline", "retry"});
  auto& w = c.workload;
  if (m.has("arrival")) {
    const std::string a = read_choice(ctx, m.get("arrival"), m.path("arrival"), {"poisson", "closed"});
    w.arrival = a == "closed" ? models::WorkloadConfig::Arrival::kClosed
                              : models::WorkloadConfig::Arrival::kPoisson;
  }
  if (m.has("deadline")) w.deadline = read_duration(ctx, m.get("deadline"), m.path("deadline"), true);
  if (m.has("retry")) read_client_retry(ctx, m.get("retry"), m.path("retry"), w.retry);
  if (w.arrival == models::WorkloadConfig::Arrival::kPoisson) {
    for (const char* k : {"clients", "think"}) {
      if (m.has(k)) {
        ctx.fail(m.get(k), m.path(k),
                 "only a closed-loop workload (arrival: closed) has clients and think time");
      }
    }
    m.require("rate", "rate: 200/s");
    w.rate = read_rate(ctx, m.get("rate"), m.path("rate"));
    if (m.has("phases")) {
      const YAML::Node ph = expect_sequence(ctx, m.get("phases"), m.path("phases"),
                                             "[{at: 60s, rate: 400/s}]");
      for (size_t i = 0; i < ph.size(); ++i) {
        const std::string p = join(m.path("phases"), std::to_string(i));
        MapReader pm(ctx, ph[i], p, {"at", "rate"});
        pm.require("at", "at: 60s");
        pm.require("rate", "rate: 400/s");
        models::RatePhase r{read_duration(ctx, pm.get("at"), pm.path("at")),
                            read_rate(ctx, pm.get("rate"), pm.path("rate"))};
        if (!w.phases.empty() && r.at <= w.phases.back().at) {
          ctx.fail(pm.get("at"), pm.path("at"),
                   fmt::format("phases must be in increasing time order, found {} after {}",
                               r.at, w.phases.back().at));
        }
        w.phases.push_back(r);
      }
    }
  } else {
    for (const char* k : {"rate", "phases"}) {
      if (m.has(k)) {
        ctx.fail(m.get(k), m.path(k),
                 "a closed-loop workload (arrival: closed) has clients and think time, not a rate");
      }
    }
    m.require("clients", "clients: 50");
    w.clients = static_cast<uint32_t>(read_count(ctx, m.get("clients"), m.path("clients"), 1, 1'000'000));
    if (m.has("think")) w.think = read_distribution(ctx, m.get("think"), m.path("think"));
    if (!m.has("deadline")) {
      ctx.fail(n, "workload",
               "a closed-loop workload needs a deadline (how long a client waits for an answer "
               "before moving on), e.g. deadline: 2s");
    }
  }
}

std::set<std::string> g_reserved{"client", "broker", "collector"};

void read_services(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  if (!n.IsMap() || n.size() == 0) {
    ctx.fail(n, "services",
             fmt::format("expected a mapping of service names to their settings, e.g. "
                         "payment: {{workers: 4, ops: {{charge: exp(5ms)}}}}, found {}",
                         describe(n)));
  }
  for (const auto& [k, v] : unique_entries(ctx, n, "services")) {
    const std::string name = read_name(ctx, k, "services");
    const std::string path = join("services", name);
    if (g_reserved.count(name)) {
      ctx.fail(k, path, fmt::format("\"{}\" is a reserved node name; choose another", name));
    }
    models::ServiceConfig s;
    s.name = name;
    MapReader m(ctx, v, path, {"replicas", "balance", "failover", "workers", "queue", "calls", "ops",
                               "mttf", "mttr", "keys", "inbox"});
    if (m.has("replicas")) {
      s.replicas = static_cast<uint32_t>(
          read_count(ctx, m.get("replicas"), m.path("replicas"), 1, models::kMaxReplicas));
    }
    if (m.has("balance")) {
      const std::string b = read_choice(ctx, m.get("balance"), m.path("balance"),
                                        {"round_robin", "random", "least_outstanding"});
      s.balance = b == "random"              ? models::Balance::kRandom
                  : b == "least_outstanding" ? models::Balance::kLeastOutstanding
                                             : models::Balance::kRoundRobin;
    }
    if (m.has("failover")) s.failover = read_bool(ctx, m.get("failover"), m.path("failover"));
    if (m.has("workers")) s.workers = static_cast<uint32_t>(read_count(ctx, m.get("workers"), m.path("workers"), 1, 100000));
    if (m.has("queue")) s.queue = static_cast<uint32_t>(read_count(ctx, m.get("queue"), m.path("queue"), 0, UINT32_MAX - 1));
    if (m.has("calls")) {
      s.calls = read_choice(ctx, m.get("calls"), m.path("calls"), {"blocking", "async"}) == "blocking"
                    ? sim::CallModel::kBlocking
                    : sim::CallModel::kAsync;
    }
    if (m.has("ops")) {
      const YAML::Node ops = m.get("ops");
      if (!ops.IsMap()) {
        ctx.fail(ops, m.path("ops"),
                 fmt::format("expected a mapping of operation names to service times, e.g. "
                             "{{charge: exp(5ms)}}, found {}",
                             describe(ops)));
      }
      for (const auto& [ok, ov] : unique_entries(ctx, ops, m.path("ops"))) {
        const std::string op = read_name(ctx, ok, m.path("ops"));
        s.ops.push_back({op, read_distribution(ctx, ov, join(m.path("ops"), op))});
      }
    }
    if (m.has("mttf") != m.has("mttr")) {
      const char* given = m.has("mttf") ? "mttf" : "mttr";
      const char* missing = m.has("mttf") ? "mttr" : "mttf";
      ctx.fail(m.get(given), m.path(given),
               fmt::format("{} needs {} too (how long the service stays {})", given, missing,
                           m.has("mttf") ? "down after a crash" : "up between crashes"));
    }
    if (m.has("mttf")) {
      s.mttf = read_mean_time(ctx, m.get("mttf"), m.path("mttf"));
      s.mttr = read_mean_time(ctx, m.get("mttr"), m.path("mttr"));
    }
    if (m.has("inbox")) s.inbox = read_bool(ctx, m.get("inbox"), m.path("inbox"));
    if (m.has("keys")) {
      MapReader km(ctx, m.get("keys"), m.path("keys"), {"count", "zipf", "per_step"});
      km.require("count", "count: 10000");
      s.keys.count = read_count(ctx, km.get("count"), km.path("count"), 1, 10'000'000);
      if (km.has("zipf")) s.keys.zipf = read_number(ctx, km.get("zipf"), km.path("zipf"), 0, 10);
      if (km.has("per_step")) {
        s.keys.per_step = static_cast<uint32_t>(read_count(ctx, km.get("per_step"), km.path("per_step"), 1, 64));
      }
    }
    c.service_index.emplace(s.name, c.services.size());
    c.services.push_back(std::move(s));
  }
}

void read_network(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "network", {"latency", "loss", "duplicate", "mesh", "links"});
  auto& net = c.network;
  if (m.has("latency")) net.latency = read_distribution(ctx, m.get("latency"), m.path("latency"));
  if (m.has("loss")) net.loss = read_probability(ctx, m.get("loss"), m.path("loss"));
  if (m.has("duplicate")) net.duplicate = read_probability(ctx, m.get("duplicate"), m.path("duplicate"));
  if (m.has("mesh")) net.full_mesh = read_bool(ctx, m.get("mesh"), m.path("mesh"));
  if (m.has("links")) {
    const YAML::Node ls = expect_sequence(ctx, m.get("links"), m.path("links"),
                                           "[{from: order, to: payment, latency: exp(1ms)}]");
    std::set<std::pair<std::string, std::string>> seen;
    for (size_t i = 0; i < ls.size(); ++i) {
      const std::string p = join(m.path("links"), std::to_string(i));
      MapReader lm(ctx, ls[i], p, {"from", "to", "latency", "loss", "duplicate", "both_ways"});
      lm.require("from", "from: order");
      lm.require("to", "to: payment");
      models::LinkSpec l;
      l.from = read_node_ref(ctx, lm.get("from"), lm.path("from"), c, true);
      l.to = read_node_ref(ctx, lm.get("to"), lm.path("to"), c, true);
      if (l.from == l.to) ctx.fail(lm.get("to"), lm.path("to"), "a link needs two different nodes");
      l.latency = lm.has("latency") ? read_distribution(ctx, lm.get("latency"), lm.path("latency"))
                                    : net.latency;
      l.loss = lm.has("loss") ? read_probability(ctx, lm.get("loss"), lm.path("loss")) : net.loss;
      l.duplicate = lm.has("duplicate")
                        ? read_probability(ctx, lm.get("duplicate"), lm.path("duplicate"))
                        : net.duplicate;
      if (lm.has("both_ways")) l.both_ways = read_bool(ctx, lm.get("both_ways"), lm.path("both_ways"));
      if (!seen.insert({l.from, l.to}).second || (l.both_ways && !seen.insert({l.to, l.from}).second)) {
        ctx.fail(ls[i], p, fmt::format("a second link between \"{}\" and \"{}\"", l.from, l.to));
      }
      net.links.push_back(std::move(l));
    }
  }
}

// The random crashes of an infrastructure node (the broker, the collector): mttf and mttr,
// both or neither.
void read_failures(const Ctx& ctx, const MapReader& m, std::optional<sim::Distribution>& mttf,
                   std::optional<sim::Distribution>& mttr) {
  if (m.has("mttf") != m.has("mttr")) {
    const char* given = m.has("mttf") ? "mttf" : "mttr";
    ctx.fail(m.get(given), m.path(given),
             fmt::format("{} needs {} too", given, m.has("mttf") ? "mttr" : "mttf"));
  }
  if (m.has("mttf")) {
    mttf = read_mean_time(ctx, m.get("mttf"), m.path("mttf"));
    mttr = read_mean_time(ctx, m.get("mttr"), m.path("mttr"));
  }
}

void read_broker(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "broker",
              {"workers", "latency", "redelivery", "redelivery_max", "max_attempts", "durable",
               "mttf", "mttr"});
  auto& b = c.broker;
  b.present = true;
  if (m.has("workers")) b.workers = static_cast<uint32_t>(read_count(ctx, m.get("workers"), m.path("workers"), 1, 100000));
  if (m.has("latency")) b.latency = read_distribution(ctx, m.get("latency"), m.path("latency"));
  if (m.has("redelivery")) b.redelivery = read_duration(ctx, m.get("redelivery"), m.path("redelivery"), true);
  b.redelivery_max = std::max(b.redelivery_max, b.redelivery);
  if (m.has("redelivery_max")) {
    b.redelivery_max = read_duration(ctx, m.get("redelivery_max"), m.path("redelivery_max"), true);
    if (b.redelivery_max < b.redelivery) {
      ctx.fail(m.get("redelivery_max"), m.path("redelivery_max"),
               fmt::format("the longest wait ({}) is below the first (redelivery: {})",
                           b.redelivery_max, b.redelivery));
    }
  }
  if (m.has("max_attempts")) b.max_attempts = static_cast<uint32_t>(read_count(ctx, m.get("max_attempts"), m.path("max_attempts"), 0, 1000000));
  if (m.has("durable")) b.durable = read_bool(ctx, m.get("durable"), m.path("durable"));
  read_failures(ctx, m, b.mttf, b.mttr);
}

void read_tracing(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "tracing", {"sample", "span_cpu", "collector"});
  auto& t = c.tracing;
  t.present = true;
  if (m.has("sample")) t.sample = read_probability(ctx, m.get("sample"), m.path("sample"));
  if (m.has("span_cpu")) t.span_cpu = read_duration(ctx, m.get("span_cpu"), m.path("span_cpu"));
  if (!m.has("collector")) return;
  MapReader cm(ctx, m.get("collector"), m.path("collector"), {"workers", "queue", "collect", "mttf", "mttr"});
  if (cm.has("workers")) t.workers = static_cast<uint32_t>(read_count(ctx, cm.get("workers"), cm.path("workers"), 1, 100000));
  if (cm.has("queue")) t.queue = static_cast<uint32_t>(read_count(ctx, cm.get("queue"), cm.path("queue"), 0, 1'000'000'000));
  if (cm.has("collect")) t.collect = read_distribution(ctx, cm.get("collect"), cm.path("collect"));
  read_failures(ctx, cm, t.mttf, t.mttr);
}

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
void check_transport(const Ctx& ctx, const YAML::Node& at, const std::string& path,
                     const models::PatternInfo& p, models::Transport t) {
  if (p.supports(t)) return;
  ctx.fail(at, path,
           fmt::format("{} runs over {} only, not over {}", p.name,
                       fmt::join(transports_of(p), " or "), models::transport_name(t)));
}

// One entry of `patterns`: NAME, NAME/TRANSPORT, or {pattern: NAME, transport: TRANSPORT}.
models::PatternChoice read_pattern(const Ctx& ctx, const YAML::Node& n, const std::string& path) {
  const std::vector<std::string> transports{"rpc", "broker"};
  if (n.IsMap()) {
    MapReader m(ctx, n, path, {"pattern", "transport"});
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

void read_patterns(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  c.patterns.clear();
  auto add = [&](const YAML::Node& p, const std::string& path) {
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
  const YAML::Node seq = expect_sequence(ctx, n, "patterns", "[orchestration, saga_orchestrated]");
  if (seq.size() == 0) ctx.fail(n, "patterns", "the list of patterns is empty");
  for (size_t i = 0; i < seq.size(); ++i) add(seq[i], join("patterns", std::to_string(i)));
}

void read_backoff(const Ctx& ctx, const YAML::Node& n, const std::string& path,
                  models::RetryConfig& r) {
  const std::string usage =
      "expected a backoff like \"exponential(base: 50ms, max: 1s)\", {base: 50ms, max: 1s} "
      "or a fixed wait like \"100ms\"";
  if (n.IsMap()) {
    MapReader m(ctx, n, path, {"base", "max"});
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
    YAML::Node inner;
    try {
      inner = YAML::Load("{" + text.substr(open + 1, close - open - 1) + "}");
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

void read_retry(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "retry", {"attempts", "backoff", "jitter", "compensation_attempts"});
  auto& r = c.retry;
  if (m.has("attempts")) r.attempts = static_cast<uint32_t>(read_count(ctx, m.get("attempts"), m.path("attempts"), 1, 1000));
  if (m.has("backoff")) read_backoff(ctx, m.get("backoff"), m.path("backoff"), r);
  if (m.has("jitter")) {
    const std::string j = read_choice(ctx, m.get("jitter"), m.path("jitter"), {"none", "full", "equal"});
    r.jitter = j == "full"    ? models::RetryConfig::Jitter::kFull
               : j == "equal" ? models::RetryConfig::Jitter::kEqual
                              : models::RetryConfig::Jitter::kNone;
  }
  if (m.has("compensation_attempts")) {
    r.compensation_attempts = static_cast<uint32_t>(
        read_count(ctx, m.get("compensation_attempts"), m.path("compensation_attempts"), 0, 1000000));
  }
}

void read_timeouts(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "timeouts", {"call", "prepare", "lock_wait", "log_force"});
  auto& t = c.timeouts;
  if (m.has("call")) t.call = read_duration(ctx, m.get("call"), m.path("call"), true);
  if (m.has("prepare")) t.prepare = read_duration(ctx, m.get("prepare"), m.path("prepare"), true);
  if (m.has("lock_wait")) t.lock_wait = read_duration(ctx, m.get("lock_wait"), m.path("lock_wait"), true);
  if (m.has("log_force")) t.log_force = read_duration(ctx, m.get("log_force"), m.path("log_force"));
}

std::vector<std::string> read_node_list(const Ctx& ctx, const YAML::Node& n,
                                        const std::string& path, const ScenarioConfig& c,
                                        std::set<std::string>& seen) {
  const YAML::Node seq = expect_sequence(ctx, n, path, "[order, payment]");
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

void read_faults(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  const YAML::Node seq =
      expect_sequence(ctx, n, "faults", "[{at: 120s, crash: payment, for: 10s}]");
  for (size_t i = 0; i < seq.size(); ++i) {
    const std::string p = join("faults", std::to_string(i));
    MapReader m(ctx, seq[i], p, {"at", "for", "crash", "partition", "cut"});
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
      const YAML::Node gs = expect_sequence(ctx, m.get("partition"), m.path("partition"),
                                             "[[order], [payment, inventory]]");
      if (gs.size() < 2) {
        ctx.fail(gs, m.path("partition"), "a partition needs at least two groups of nodes");
      }
      for (size_t g = 0; g < gs.size(); ++g) {
        f.groups.push_back(read_node_list(ctx, gs[g], join(m.path("partition"), std::to_string(g)), c, seen));
      }
    } else {
      f.kind = models::FaultConfig::Kind::kOneWay;
      MapReader cm(ctx, m.get("cut"), m.path("cut"), {"from", "to"});
      cm.require("from", "from: [order]");
      cm.require("to", "to: [payment]");
      f.from = read_node_list(ctx, cm.get("from"), cm.path("from"), c, seen);
      f.to = read_node_list(ctx, cm.get("to"), cm.path("to"), c, seen);
    }
    c.faults.push_back(std::move(f));
  }
}

// ---------------------------------------------------------------- cross-field checks
// The patterns that send their messages through the broker, as "a, b and c".
std::string broker_patterns(const ScenarioConfig& c) {
  std::vector<std::string> names;
  for (const models::PatternChoice& p : c.patterns) {
    if (p.transport == models::Transport::kBroker) names.push_back(p.label());
  }
  return sim::join_all(names, false);
}

bool is_saga(const models::PatternChoice& p) { return p.info->saga; }

void check_cross(const Ctx& ctx, const YAML::Node& root, const ScenarioConfig& c) {
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

// ---------------------------------------------------------------- sweep
SweepSpec read_sweep(const Ctx& ctx, const YAML::Node& n) {
  SweepSpec s;
  if (!n.IsMap()) {
    ctx.fail(n, "sweep",
             fmt::format("expected a mapping of field paths to lists of values, e.g. "
                         "services.payment.mttf: [1h, 10min], found {}",
                         describe(n)));
  }
  for (const auto& [k, v] : unique_entries(ctx, n, "sweep")) {
    const std::string key = k.Scalar();
    if (key == "replications") {
      s.replications = static_cast<uint32_t>(read_count(ctx, v, "sweep.replications", 1, 1000000));
      continue;
    }
    const YAML::Node seq = expect_sequence(ctx, v, join("sweep", key), "[1h, 10min, 1min]");
    if (seq.size() == 0) ctx.fail(v, join("sweep", key), "the list of values is empty");
    SweepAxis axis{key, {}};
    for (size_t i = 0; i < seq.size(); ++i) {
      YAML::Emitter e;
      e.SetSeqFormat(YAML::Flow);
      e.SetMapFormat(YAML::Flow);
      e << seq[i];
      axis.values.push_back(e.c_str());
    }
    s.axes.push_back(std::move(axis));
  }
  return s;
}

// ---------------------------------------------------------------- overrides
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : path) {
    if (ch == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(cur);
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// Sets root at `o.path` to the YAML value of `o.value`. A missing map on the way is made
// (an absent section, or a service's absent `keys`); list indexes must exist.
void apply_override(YAML::Node root, const Override& o, const std::string& label) {
  const auto segs = split_path(o.path);
  YAML::Node cur = root;
  std::string walked;
  auto fail = [&](const std::string& what) {
    throw LoadError(fmt::format("{}: {}", label, what));
  };
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    if (seg.empty()) fail(fmt::format("empty field name in \"{}\"", o.path));
    const bool last = i + 1 == segs.size();
    YAML::Node next;
    if (cur.IsMap()) {
      if (!last && !cur[seg].IsDefined()) {
        // A section the file leaves at its defaults (retry, two_phase_commit, ...) is made
        // here, empty; the loader then checks its keys like the file's own. A misspelling
        // of a section the file has is caught here, with the suggestion.
        std::vector<std::string> keys;
        for (const auto& kv : cur) keys.push_back(kv.first.Scalar());
        auto near = sim::closest_match(seg, keys);
        if (near) {
          fail(fmt::format("no field \"{}\" in {} (did you mean \"{}\"?)", seg,
                           walked.empty() ? "the scenario" : walked, *near));
        }
        if (i == 0 && std::find(kTopKeys.begin(), kTopKeys.end(), seg) == kTopKeys.end()) {
          const auto top = sim::closest_match(seg, kTopKeys);
          fail(fmt::format("no section \"{}\" in a scenario{}; the sections are {}", seg,
                           top ? fmt::format(" (did you mean \"{}\"?)", *top) : "",
                           sim::join_all(kTopKeys)));
        }
        cur[seg] = YAML::Node(YAML::NodeType::Map);
      }
      if (last) {
        YAML::Node value;
        try {
          value = YAML::Load(o.value);
        } catch (const YAML::Exception& e) {
          fail(fmt::format("the value is not valid YAML: {}", e.msg));
        }
        if (!o.append) {
          cur[seg] = value;
          return;
        }
        // PATH+=VALUE: the list at PATH (made if absent) gets VALUE at its end.
        YAML::Node list = cur[seg];
        if (!list.IsDefined() || list.IsNull()) {
          cur[seg] = YAML::Node(YAML::NodeType::Sequence);
          list.reset(cur[seg]);
        }
        if (!list.IsSequence()) {
          fail(fmt::format("{} is not a list, so nothing can be appended to it (use = to replace it)",
                           join(walked, seg)));
        }
        list.push_back(value);
        return;
      }
      next = cur[seg];
    } else if (cur.IsSequence() && !all_digits(seg) && !last) {
      // A step by its name (`name: pay`), or by SERVICE.ACTION (two segments), found in the
      // list or in one of its parallel groups: a path that survives an inserted step.
      YAML::Node found;
      bool two = false;
      auto is = [](const YAML::Node& item, const char* key, const std::string& value) {
        const YAML::Node v = item[key];
        return v.IsDefined() && v.IsScalar() && v.Scalar() == value;
      };
      auto match = [&](const YAML::Node& item) {
        if (!item.IsMap()) return false;
        if (is(item, "name", seg)) return true;
        if (i + 2 < segs.size() && is(item, "service", seg) && is(item, "action", segs[i + 1])) {
          two = true;
          return true;
        }
        return false;
      };
      size_t hits = 0;
      for (const YAML::Node& item : cur) {
        if (match(item)) {
          found.reset(item);
          ++hits;
        } else if (item.IsMap() && item["parallel"].IsDefined() && item["parallel"].IsSequence()) {
          for (const YAML::Node& inner : item["parallel"]) {
            if (match(inner)) {
              found.reset(inner);
              ++hits;
            }
          }
        }
      }
      if (hits == 0) {
        fail(fmt::format("{} has no step named \"{}\" (nor a step {}.ACTION); give its index, "
                         "its name: or SERVICE.ACTION",
                         walked, seg, seg));
      }
      if (hits > 1) {
        fail(fmt::format("{} has {} steps that \"{}\" names; give the step a name: of its own", walked,
                         hits, two ? seg + "." + segs[i + 1] : seg));
      }
      next = found;
      if (two) {
        walked = join(walked, seg);
        ++i;
      }
      cur.reset(next);
      walked = join(walked, segs[i]);
      continue;
    } else if (cur.IsSequence()) {
      // (An index of more digits than any list has entries is out of range, not a number to
      // convert.)
      if (!all_digits(seg) || seg.size() > 9 || std::stoul(seg) >= cur.size()) {
        fail(fmt::format("{} is a list of {} entries; expected an index from 0 to {}, found \"{}\"",
                         walked, cur.size(), cur.size() == 0 ? 0 : cur.size() - 1, seg));
      }
      const size_t idx = std::stoul(seg);
      if (last) {
        try {
          cur[idx] = YAML::Load(o.value);
        } catch (const YAML::Exception& e) {
          fail(fmt::format("the value is not valid YAML: {}", e.msg));
        }
        return;
      }
      next = cur[idx];
    } else if (!cur.IsDefined() || cur.IsNull()) {
      fail(fmt::format("{} is not set, so it has no field \"{}\"", walked, seg));
    } else {
      fail(fmt::format("{} is a single value, so it has no field \"{}\"", walked, seg));
    }
    cur.reset(next);
    walked = join(walked, seg);
  }
}

// ---------------------------------------------------------------- the whole file
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

ScenarioConfig read_config(const Ctx& ctx, const YAML::Node& root, std::vector<std::string>& warnings) {
  if (!root.IsMap()) {
    ctx.fail(root, "",
             fmt::format("expected a scenario (a mapping with keys such as name, services, "
                         "workflow), found {}",
                         describe(root)));
  }
  MapReader top(ctx, root, "", kTopKeys);
  ScenarioConfig c;
  if (top.has("name")) c.name = read_string(ctx, top.get("name"), "name");
  if (top.has("seed")) c.seed = read_count(ctx, top.get("seed"), "seed", 0, UINT64_MAX);
  if (top.has("duration")) c.duration = read_duration(ctx, top.get("duration"), "duration", true);
  if (top.has("transactions")) c.transactions = read_count(ctx, top.get("transactions"), "transactions", 1, UINT64_MAX);
  if (top.has("warmup")) c.warmup = read_duration(ctx, top.get("warmup"), "warmup");
  if (top.has("drain")) c.drain = read_duration(ctx, top.get("drain"), "drain");
  top.require("workload", "workload: {arrival: poisson, rate: 200/s}");
  read_workload(ctx, top.get("workload"), c);
  top.require("services", "services: {payment: {workers: 4, ops: {charge: exp(5ms)}}}");
  if (top.has("broker")) read_broker(ctx, top.get("broker"), c);
  if (top.has("tracing")) read_tracing(ctx, top.get("tracing"), c);
  read_services(ctx, top.get("services"), c);
  if (top.has("network")) read_network(ctx, top.get("network"), c);
  read_workflows(ctx, root, c);
  if (top.has("patterns")) {
    read_patterns(ctx, top.get("patterns"), c);
  } else {
    c.patterns = {models::default_choice(*models::find_pattern("orchestration"))};
  }
  if (top.has("retry")) read_retry(ctx, top.get("retry"), c);
  if (top.has("timeouts")) read_timeouts(ctx, top.get("timeouts"), c);
  if (top.has("two_phase_commit")) {
    MapReader m(ctx, top.get("two_phase_commit"), "two_phase_commit", {"variant"});
    if (m.has("variant")) {
      const std::string v = read_choice(ctx, m.get("variant"), m.path("variant"),
                                        {"presumed_abort", "presumed_nothing", "presumed_commit", "basic"});
      using V = models::TwoPhaseCommitConfig::Variant;
      c.two_phase_commit.variant = v == "presumed_commit"                    ? V::kPresumedCommit
                                   : v == "basic" || v == "presumed_nothing" ? V::kBasic
                                                                             : V::kPresumedAbort;
    }
  }
  if (top.has("tcc")) {
    MapReader m(ctx, top.get("tcc"), "tcc", {"expiry"});
    if (m.has("expiry")) c.tcc.expiry = read_duration(ctx, m.get("expiry"), m.path("expiry"), true);
  }
  if (top.has("faults")) read_faults(ctx, top.get("faults"), c);
  check_cross(ctx, root, c);
  if (const std::string w = broker_round_trip_warning(c); !w.empty()) warnings.push_back(w);
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
  return c;
}

// A hint for the most common YAML mistake in scenarios: a distribution with named
// parameters, like lognormal(median: 2ms, p99: 40ms), written without quotes (YAML reads
// the ": " inside as a new key).
std::string yaml_hint(const std::string& text, const YAML::Mark& mark) {
  std::istringstream in(text);
  std::string line;
  for (int i = 0; i <= mark.line && std::getline(in, line); ++i) {
  }
  const size_t open = line.find('(');
  if (open != std::string::npos && line.find(':', open) != std::string::npos) {
    return "; a value with \": \" inside, like lognormal(median: 2ms, p99: 40ms), must be "
           "quoted: \"lognormal(median: 2ms, p99: 40ms)\"";
  }
  return "";
}

// yaml-cpp recurses once per nesting level, so a document nested thousands deep (which no
// scenario needs) could exhaust the stack before we see it. This scan bounds the nesting
// of flow collections ([ and {) and of block indentation before parsing; it ignores quoted
// text and comments. Returns an error message, or "" when the text is within bounds.
std::string check_shape(const std::string& text, const std::string& file) {
  constexpr size_t kMaxBytes = kMaxScenarioBytes;
  constexpr int kMaxFlowDepth = 64;
  constexpr size_t kMaxIndent = 256;
  if (text.size() > kMaxBytes) {
    return fmt::format("{}: the file is larger than 64 MiB; a scenario never needs that (100,000 services in call trees take 7 MiB)", file);
  }
  int depth = 0;
  size_t line = 1, col = 0, indent = 0;
  bool at_line_start = true;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++col;
    if (c == '\n') {
      ++line;
      col = 0;
      indent = 0;
      at_line_start = true;
      if (quote == '\'') quote = 0;  // single-quoted scalars do not span lines here
      continue;
    }
    if (at_line_start) {
      if (c == ' ' || c == '-' || c == '?' || c == '\t') {
        if (++indent > kMaxIndent) {
          return fmt::format("{}:{}:{}: the text is indented or nested deeper than {} columns; "
                             "a scenario never needs that",
                             file, line, col, kMaxIndent);
        }
        continue;
      }
      at_line_start = false;
    }
    if (quote != 0) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxFlowDepth) {
        return fmt::format("{}:{}:{}: lists and mappings nest deeper than {} levels; a scenario "
                           "never needs that",
                           file, line, col, kMaxFlowDepth);
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return "";
}

}  // namespace

sim::Result<Override> parse_override(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) {
    return sim::Status::invalid(fmt::format(
        "--set {}: expected FIELD.PATH=VALUE, e.g. --set services.payment.mttf=5min", arg));
  }
  if (arg[eq - 1] == '+') {
    if (eq == 1) {
      return sim::Status::invalid(fmt::format(
          "--set {}: expected FIELD.PATH+=VALUE, e.g. --set \"faults+={{at: 10s, crash: payment, for: 5s}}\"", arg));
    }
    Override o{arg.substr(0, eq - 1), arg.substr(eq + 1)};
    o.append = true;
    return o;
  }
  return Override{arg.substr(0, eq), arg.substr(eq + 1)};
}

sim::Result<Scenario> load_scenario_text(const std::string& text, const std::string& file,
                                         const std::vector<Override>& overrides) {
  Scenario s;
  s.file = file;
  s.text = text;
  if (std::string shape = check_shape(text, file); !shape.empty()) {
    return sim::Status::invalid(shape);
  }
  Ctx ctx(file, text, overrides);
  try {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      return sim::Status::invalid(fmt::format("{}:{}:{}: invalid YAML: {}{}", file, e.mark.line + 1,
                                              e.mark.column + 1, e.msg, yaml_hint(text, e.mark)));
    }
    if (!root.IsDefined() || root.IsNull()) {
      return sim::Status::invalid(fmt::format("{}: the file is empty; a scenario needs at least "
                                              "services, workload and workflow",
                                              file));
    }
    for (const Override& o : overrides) apply_override(root, o, o.where());
    s.config = read_config(ctx, root, s.warnings);
    if (root.IsMap() && root["sweep"].IsDefined()) {
      s.sweep = read_sweep(ctx, root["sweep"]);
      // Each value of each axis must make a valid scenario on its own.
      for (const SweepAxis& axis : s.sweep.axes) {
        for (const std::string& v : axis.values) {
          // Loaded again, not cloned, so that every node keeps its place in the file.
          YAML::Node copy = YAML::Load(text);
          for (const Override& o : overrides) apply_override(copy, o, o.where());
          const Override o{axis.path, v};
          const std::string label = fmt::format("sweep {}={}", axis.path, v);
          try {
            apply_override(copy, o, label);
            std::vector<Override> all = overrides;
            all.push_back(o);
            Ctx inner(file, text, all);
            std::vector<std::string> ignored;
            (void)read_config(inner, copy, ignored);
          } catch (const LoadError& e) {
            std::string msg = e.what();
            const std::string prefix = fmt::format("--set {}={}", axis.path, v);
            if (msg.rfind(prefix, 0) == 0) {
              msg = label + msg.substr(prefix.size());  // the value itself is wrong
            } else if (msg.rfind(label, 0) != 0) {
              msg = fmt::format("with {}, {}", label, msg);  // it makes something else wrong
            }
            const YAML::Node at = root["sweep"][axis.path];
            return sim::Status::invalid(fmt::format("{}: {}", ctx.where(at.Mark(), "sweep"), msg));
          }
        }
      }
    }
  } catch (const LoadError& e) {
    return sim::Status::invalid(e.what());
  } catch (const YAML::Exception& e) {
    return sim::Status::invalid(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return s;
}

sim::Result<Scenario> load_scenario_file(const std::string& path,
                                         const std::vector<Override>& overrides) {
  // (Read one byte past the limit, so that check_shape reports a file too large, and a
  // device such as /dev/zero costs no more than that.)
  auto text = read_file(path, kMaxScenarioBytes + 1);
  if (!text.ok()) return text.status();
  return load_scenario_text(text.value(), path, overrides);
}

}  // namespace app
