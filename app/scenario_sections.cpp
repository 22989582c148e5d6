// The readers of the scenario's sections that describe the system: the workload, the
// services, the network, the broker and tracing (scenario_internal.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "app/scenario_fields.hpp"
#include "app/scenario_internal.hpp"
#include "app/yaml_reader.hpp"
#include "models/limits.hpp"
#include "models/registry.hpp"

namespace app {

using models::ScenarioConfig;

namespace {

// workload.retry: the client's end-to-end retries.
void read_client_retry(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                       models::ClientRetryConfig& r) {
  MapReader m(ctx, n, path, field_keys("client_retry"));
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
    r.jitter = read_choice(ctx, m.get("jitter"), m.path("jitter"), field_choices("client_retry", "jitter")) == "full";
  }
}

}  // namespace

void read_workload(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "workload", field_keys("workload"));
  auto& w = c.workload;
  if (m.has("arrival")) {
    const std::string a = read_choice(ctx, m.get("arrival"), m.path("arrival"), field_choices("workload", "arrival"));
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
      const yaml::Node ph = expect_sequence(ctx, m.get("phases"), m.path("phases"),
                                             "[{at: 60s, rate: 400/s}]");
      for (size_t i = 0; i < ph.size(); ++i) {
        const std::string p = join(m.path("phases"), std::to_string(i));
        MapReader pm(ctx, ph[i], p, field_keys("phase"));
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

const std::set<std::string> kReserved{"client", "broker", "collector"};

void read_services(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  if (!n.IsMap() || n.size() == 0) {
    ctx.fail(n, "services",
             fmt::format("expected a mapping of service names to their settings, e.g. "
                         "payment: {{workers: 4, ops: {{charge: exp(5ms)}}}}, found {}",
                         describe(n)));
  }
  c.services.reserve(c.services.size() + n.size());
  c.service_index.reserve(c.services.size() + n.size());
  const std::vector<std::string>& keys = field_keys("service");
  for (const auto& [k, v] : unique_entries(ctx, n, "services")) {
    const std::string name = read_key_name(ctx, k, "services");
    const std::string path = join("services", name);
    if (kReserved.count(name)) {
      ctx.fail(k, path, fmt::format("\"{}\" is a reserved node name; choose another", name));
    }
    models::ServiceConfig s;
    s.name = name;
    MapReader m(ctx, v, path, keys);
    if (m.has("replicas")) {
      s.replicas = static_cast<uint32_t>(
          read_count(ctx, m.get("replicas"), m.path("replicas"), 1, models::kMaxReplicas));
    }
    if (m.has("balance")) {
      const std::string b = read_choice(ctx, m.get("balance"), m.path("balance"), field_choices("service", "balance"));
      s.balance = b == "random"              ? models::Balance::kRandom
                  : b == "least_outstanding" ? models::Balance::kLeastOutstanding
                                             : models::Balance::kRoundRobin;
    }
    if (m.has("failover")) s.failover = read_bool(ctx, m.get("failover"), m.path("failover"));
    if (m.has("workers")) s.workers = static_cast<uint32_t>(read_count(ctx, m.get("workers"), m.path("workers"), 1, 100000));
    if (m.has("queue")) s.queue = static_cast<uint32_t>(read_count(ctx, m.get("queue"), m.path("queue"), 0, UINT32_MAX - 1));
    if (m.has("calls")) {
      s.calls = read_choice(ctx, m.get("calls"), m.path("calls"), field_choices("service", "calls")) == "blocking"
                    ? sim::CallModel::kBlocking
                    : sim::CallModel::kAsync;
    }
    if (m.has("ops")) {
      const yaml::Node ops = m.get("ops");
      if (!ops.IsMap()) {
        ctx.fail(ops, m.path("ops"),
                 fmt::format("expected a mapping of operation names to service times, e.g. "
                             "{{charge: exp(5ms)}}, found {}",
                             describe(ops)));
      }
      for (const auto& [ok, ov] : unique_entries(ctx, ops, m.path("ops"))) {
        const std::string op = read_key_name(ctx, ok, m.path("ops"));
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
      MapReader km(ctx, m.get("keys"), m.path("keys"), field_keys("keys"));
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

void read_network(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "network", field_keys("network"));
  auto& net = c.network;
  if (m.has("latency")) net.latency = read_distribution(ctx, m.get("latency"), m.path("latency"));
  if (m.has("loss")) net.loss = read_probability(ctx, m.get("loss"), m.path("loss"));
  if (m.has("duplicate")) net.duplicate = read_probability(ctx, m.get("duplicate"), m.path("duplicate"));
  if (m.has("mesh")) net.full_mesh = read_bool(ctx, m.get("mesh"), m.path("mesh"));
  if (m.has("links")) {
    const yaml::Node ls = expect_sequence(ctx, m.get("links"), m.path("links"),
                                           "[{from: order, to: payment, latency: exp(1ms)}]");
    std::set<std::pair<std::string, std::string>> seen;
    for (size_t i = 0; i < ls.size(); ++i) {
      const std::string p = join(m.path("links"), std::to_string(i));
      MapReader lm(ctx, ls[i], p, field_keys("link"));
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

namespace {

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

}  // namespace

void read_broker(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "broker",
              field_keys("broker"));
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
  if (m.has("prefetch")) b.prefetch = static_cast<uint32_t>(read_count(ctx, m.get("prefetch"), m.path("prefetch"), 0, 1000000));
  if (m.has("max_attempts")) b.max_attempts = static_cast<uint32_t>(read_count(ctx, m.get("max_attempts"), m.path("max_attempts"), 0, 1000000));
  if (m.has("durable")) b.durable = read_bool(ctx, m.get("durable"), m.path("durable"));
  read_failures(ctx, m, b.mttf, b.mttr);
}

void read_tracing(const Ctx& ctx, const yaml::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "tracing", field_keys("tracing"));
  auto& t = c.tracing;
  t.present = true;
  if (m.has("sample")) t.sample = read_probability(ctx, m.get("sample"), m.path("sample"));
  if (m.has("span_cpu")) t.span_cpu = read_duration(ctx, m.get("span_cpu"), m.path("span_cpu"));
  if (!m.has("collector")) return;
  MapReader cm(ctx, m.get("collector"), m.path("collector"), field_keys("collector"));
  if (cm.has("workers")) t.workers = static_cast<uint32_t>(read_count(ctx, cm.get("workers"), cm.path("workers"), 1, 100000));
  if (cm.has("queue")) t.queue = static_cast<uint32_t>(read_count(ctx, cm.get("queue"), cm.path("queue"), 0, 1'000'000'000));
  if (cm.has("collect")) t.collect = read_distribution(ctx, cm.get("collect"), cm.path("collect"));
  read_failures(ctx, cm, t.mttf, t.mttr);
}

}  // namespace app
