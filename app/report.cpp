#include "app/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iterator>
#include <cmath>
#include <nlohmann/json.hpp>

#include "sim/distribution.hpp"
#include "sim/rng.hpp"

namespace app {
namespace {

double ms(double ns) { return ns * 1e-6; }

// One value of a column: text, a count or a real number. CSV prints reals with 6
// significant digits; JSON keeps the type.
struct Cell {
  enum class Kind { kText, kCount, kReal, kFlag } kind;
  std::string text;
  uint64_t count = 0;
  double real = 0;
  std::string csv() const {
    switch (kind) {
      case Kind::kText:
        return text;
      case Kind::kCount:
        return std::to_string(count);
      case Kind::kReal:  // (undefined, such as the mean latency of no transaction: empty)
        return std::isfinite(real) ? fmt::format("{:.6g}", real) : std::string();
      case Kind::kFlag:
        return count != 0 ? "true" : "false";
    }
    return "";
  }
  nlohmann::ordered_json json() const {
    switch (kind) {
      case Kind::kText:
        return text;
      case Kind::kCount:
        return count;
      case Kind::kReal:
        return std::isfinite(real) ? nlohmann::ordered_json(real) : nlohmann::ordered_json();
      case Kind::kFlag:
        return count != 0;
    }
    return {};
  }
};
Cell txt(std::string t) { return {Cell::Kind::kText, std::move(t)}; }
Cell cnt(uint64_t c) { return {Cell::Kind::kCount, "", c}; }
Cell num(double v) { return {Cell::Kind::kReal, "", 0, v}; }
// A figure over the transactions of `m`: undefined (an empty field, JSON null) when there
// were none, rather than a 0 that a mean over replications would take as a value.
double per_txn(const models::RunMetrics& m, double v) { return m.transactions ? v : NAN; }
// A latency in ms, its mean or its q-quantile: undefined when no transaction was timed.
double timed_mean_ms(const sim::LogHistogram& h) { return h.count() ? ms(h.mean_ns()) : NAN; }
double timed_ms(const sim::LogHistogram& h, double q) { return h.count() ? ms(h.percentile_ns(q)) : NAN; }
Cell flag(bool b) { return {Cell::Kind::kFlag, "", b ? 1u : 0u}; }

// One row of a run: all its transactions ("all"), or one request type's.
struct Row {
  const models::RunMetrics* metrics;
  std::string request_type;
};

struct Column {
  const char* name;
  Cell (*value)(const Scenario&, const models::RunResult&, const Row&);
};

using R = models::RunResult;
using S = Scenario;
const models::RunMetrics& M(const Row& row) { return *row.metrics; }
Cell outcome(const Row& r, models::Outcome o) { return cnt(M(r).outcomes[static_cast<size_t>(o)]); }

// The rows of a run: the total, then each request type's when there are several.
std::vector<Row> rows_of(const R& r) {
  std::vector<Row> rows{{&r.metrics, "all"}};
  for (const models::TypeMetrics& t : r.types) rows.push_back({&t.metrics, t.name});
  return rows;
}

const std::vector<Column>& columns() {
  static const std::vector<Column> cols{
      {"scenario", [](const S& s, const R&, const Row&) { return txt(s.config.name); }},
      {"scenario_hash", [](const S& s, const R&, const Row&) { return txt(scenario_hash(s.text)); }},
      {"coordsim_version", [](const S&, const R&, const Row&) { return txt(kCoordsimVersion); }},
      {"pattern", [](const S&, const R& r, const Row&) { return txt(r.pattern.label()); }},
      {"request_type", [](const S&, const R&, const Row& row) { return txt(row.request_type); }},
      {"seed", [](const S&, const R& r, const Row&) { return cnt(r.seed); }},
      {"replication", [](const S&, const R& r, const Row&) { return cnt(r.replication); }},
      {"transactions", [](const S&, const R&, const Row& row) { return cnt(M(row).transactions); }},
      {"committed", [](const S&, const R&, const Row& row) { return outcome(row, models::Outcome::kCommitted); }},
      {"degraded", [](const S&, const R&, const Row& row) { return cnt(M(row).degraded); }},
      {"aborted", [](const S&, const R&, const Row& row) { return outcome(row, models::Outcome::kAborted); }},
      {"failed", [](const S&, const R&, const Row& row) { return outcome(row, models::Outcome::kFailed); }},
      {"blocked", [](const S&, const R&, const Row& row) { return outcome(row, models::Outcome::kBlocked); }},
      {"violated", [](const S&, const R&, const Row& row) { return outcome(row, models::Outcome::kViolated); }},
      {"unfinished", [](const S&, const R&, const Row& row) { return cnt(M(row).unfinished); }},
      {"availability", [](const S&, const R&, const Row& row) { return num(per_txn(M(row), M(row).availability())); }},
      {"throughput_per_s", [](const S&, const R&, const Row& row) { return num(M(row).throughput()); }},
      {"window_s", [](const S&, const R&, const Row& row) { return num(M(row).window_s); }},
      {"acceptance_mean_ms", [](const S&, const R&, const Row& row) { return num(timed_mean_ms(M(row).acceptance)); }},
      {"acceptance_p50_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).acceptance, 0.5)); }},
      {"acceptance_p90_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).acceptance, 0.9)); }},
      {"acceptance_p95_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).acceptance, 0.95)); }},
      {"acceptance_p99_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).acceptance, 0.99)); }},
      {"acceptance_p999_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).acceptance, 0.999)); }},
      {"completion_mean_ms", [](const S&, const R&, const Row& row) { return num(timed_mean_ms(M(row).completion)); }},
      {"completion_p50_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).completion, 0.5)); }},
      {"completion_p90_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).completion, 0.9)); }},
      {"completion_p95_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).completion, 0.95)); }},
      {"completion_p99_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).completion, 0.99)); }},
      {"completion_p999_ms", [](const S&, const R&, const Row& row) { return num(timed_ms(M(row).completion, 0.999)); }},
      {"inconsistency_mean_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).inconsistency.mean_ns())); }},
      {"inconsistency_p99_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).inconsistency.percentile_ns(0.99))); }},
      {"messages_per_txn", [](const S&, const R&, const Row& row) { return num(per_txn(M(row), M(row).messages.mean())); }},
      {"broker_messages", [](const S&, const R&, const Row& row) { return cnt(M(row).broker_messages); }},
      {"retries_per_txn", [](const S&, const R&, const Row& row) { return num(per_txn(M(row), M(row).retries.mean())); }},
      {"client_retries_per_txn", [](const S&, const R&, const Row& row) {
         const auto& m = M(row);
         return num(per_txn(m, static_cast<double>(m.client_retries) / static_cast<double>(m.transactions)));
       }},
      {"duplicates_per_txn", [](const S&, const R&, const Row& row) { return num(per_txn(M(row), M(row).duplicates.mean())); }},
      {"compensations_per_txn", [](const S&, const R&, const Row& row) { return num(per_txn(M(row), M(row).compensations.mean())); }},
      {"forced_writes_per_txn", [](const S&, const R&, const Row& row) {
         const auto& m = M(row);
         return num(per_txn(m, static_cast<double>(m.forced_writes) / static_cast<double>(m.transactions)));
       }},
      {"lock_hold_mean_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).lock_hold.mean_ns())); }},
      {"lock_hold_p50_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).lock_hold.percentile_ns(0.5))); }},
      {"lock_hold_p99_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).lock_hold.percentile_ns(0.99))); }},
      {"lock_wait_mean_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).lock_wait.mean_ns())); }},
      {"lock_wait_p50_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).lock_wait.percentile_ns(0.5))); }},
      {"lock_wait_p99_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).lock_wait.percentile_ns(0.99))); }},
      {"in_doubt_mean_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).in_doubt.mean_ns())); }},
      {"in_doubt_p50_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).in_doubt.percentile_ns(0.5))); }},
      {"in_doubt_p99_ms", [](const S&, const R&, const Row& row) { return num(ms(M(row).in_doubt.percentile_ns(0.99))); }},
      {"in_doubt_max_ms", [](const S&, const R&, const Row& row) { return num(ms(static_cast<double>(M(row).in_doubt.max_ns()))); }},
      {"blocked_fraction", [](const S&, const R&, const Row& row) {
         const auto& m = M(row);
         return num(per_txn(m, static_cast<double>(m.ever_blocked) / static_cast<double>(m.transactions)));
       }},
      {"exposures", [](const S&, const R&, const Row& row) { return cnt(M(row).exposures); }},
      {"partial_mean", [](const S&, const R&, const Row& row) { return num(M(row).partial_mean); }},
      {"partial_time_fraction", [](const S&, const R&, const Row& row) { return num(M(row).partial_fraction); }},
      {"technical_errors", [](const S&, const R&, const Row& row) { return cnt(M(row).technical_errors); }},
      {"suppressed_duplicates", [](const S&, const R&, const Row& row) { return cnt(M(row).suppressed_duplicates); }},
      {"unilateral_decisions", [](const S&, const R&, const Row& row) { return cnt(M(row).unilateral_decisions); }},
      {"changed_decisions", [](const S&, const R&, const Row& row) { return cnt(M(row).changed_decisions); }},
      {"dead_letters", [](const S&, const R&, const Row& row) { return cnt(M(row).dead_letters); }},
      {"duplicate_deliveries", [](const S&, const R&, const Row& row) { return cnt(M(row).duplicate_deliveries); }},
      {"traced", [](const S&, const R&, const Row& row) { return cnt(M(row).traced); }},
      {"spans_per_trace", [](const S&, const R&, const Row& row) {
         const auto& m = M(row);
         return num(m.traced ? static_cast<double>(m.spans) / static_cast<double>(m.traced) : 0.0);
       }},
      {"spans_lost", [](const S&, const R&, const Row& row) { return cnt(M(row).spans - M(row).spans_collected); }},
      {"trace_completeness", [](const S&, const R&, const Row& row) {
         const auto& m = M(row);
         return num(m.traced ? static_cast<double>(m.traces_complete) / static_cast<double>(m.traced) : 1.0);
       }},
      {"drained", [](const S&, const R& r, const Row&) { return flag(r.drained); }},
      {"sim_end_s", [](const S&, const R& r, const Row&) { return num(r.end.seconds()); }},
      {"events", [](const S&, const R& r, const Row&) { return cnt(r.events); }},
      {"fingerprint", [](const S&, const R& r, const Row&) { return txt(fmt::format("{:016x}", r.fingerprint)); }},
  };
  return cols;
}


}  // namespace

std::string csv_escape(std::string_view v) {
  if (v.find_first_of(",\"\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string scenario_hash(const std::string& text) { return fmt::format("{:016x}", sim::hash_name(text)); }

const std::vector<std::string>& csv_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Column& c : columns()) v.emplace_back(c.name);
    return v;
  }();
  return names;
}

const std::vector<std::string>& service_figures() {
  static const std::vector<std::string> names{"utilisation", "mean_queue", "availability", "served"};
  return names;
}

std::vector<std::string> csv_services(const models::ScenarioConfig& c) {
  std::vector<std::string> out;
  if (c.services.size() > kMaxServiceColumns) return out;
  for (const models::ServiceConfig& svc : c.services) out.push_back(svc.name);
  return out;
}

std::string csv_header(const std::vector<std::string>& services) {
  std::string out = fmt::format("{}", fmt::join(csv_columns(), ","));
  for (const std::string& svc : services) {
    for (const std::string& f : service_figures()) out += fmt::format(",{}.{}", svc, f);
  }
  return out + "\n";
}

namespace {

// A service's figures over its replicas: utilisation, availability and queue averaged,
// counts added; in the order of r.nodes (a service's replicas are adjacent).
struct ServiceSum {
  std::string name;
  uint64_t replicas = 0;
  models::NodeSummary sum;
};
std::vector<ServiceSum> service_sums(const std::vector<models::NodeSummary>& nodes) {
  std::vector<ServiceSum> out;
  for (size_t i = 0; i < nodes.size();) {
    ServiceSum s{nodes[i].service, 0, {}};
    size_t k = i;
    for (; k < nodes.size() && nodes[k].service == nodes[i].service; ++k, ++s.replicas) {
      s.sum.utilisation += nodes[k].utilisation;
      s.sum.availability += nodes[k].availability;
      s.sum.mean_queue += nodes[k].mean_queue;
      s.sum.served += nodes[k].served;
      s.sum.served_to_end += nodes[k].served_to_end;
      s.sum.rejected += nodes[k].rejected;
      s.sum.crashes += nodes[k].crashes;
      s.sum.lost_in_crash += nodes[k].lost_in_crash;
    }
    const auto d = static_cast<double>(s.replicas);
    s.sum.utilisation /= d;
    s.sum.availability /= d;
    s.sum.mean_queue /= d;
    out.push_back(std::move(s));
    i = k;
  }
  return out;
}

std::string csv_line(const Scenario& s, const models::RunResult& r, const Row& row,
                     const std::vector<std::string>& services) {
  std::string out;
  bool first = true;
  for (const Column& c : columns()) {
    if (!first) out += ',';
    first = false;
    out += csv_escape(c.value(s, r, row).csv());
  }
  if (services.empty()) return out + "\n";
  // The service figures belong to the run, not to a request type: on the totals row only.
  const bool totals = row.metrics == &r.metrics;
  const auto sums = totals ? service_sums(r.nodes) : std::vector<ServiceSum>{};
  for (const std::string& name : services) {
    const auto it = std::find_if(sums.begin(), sums.end(), [&](const ServiceSum& x) { return x.name == name; });
    if (it == sums.end()) {
      out += ",,,,";
      continue;
    }
    out += fmt::format(",{:.6g},{:.6g},{:.6g},{}", it->sum.utilisation, it->sum.mean_queue, it->sum.availability,
                       it->sum.served);
  }
  return out + "\n";
}

std::vector<std::pair<std::string, double>> numbers(const Scenario& s, const models::RunResult& r,
                                                    const Row& row) {
  std::vector<std::pair<std::string, double>> out;
  for (const Column& c : columns()) {
    const std::string name = c.name;
    if (name == "seed" || name == "replication" || name == "events" || name == "sim_end_s") continue;
    const Cell v = c.value(s, r, row);
    if (v.kind == Cell::Kind::kCount) out.emplace_back(name, static_cast<double>(v.count));
    if (v.kind == Cell::Kind::kReal) out.emplace_back(name, v.real);
  }
  return out;
}
}  // namespace

std::string csv_row(const Scenario& s, const models::RunResult& r, const std::vector<std::string>& services) {
  return csv_line(s, r, rows_of(r).front(), services);
}

std::vector<std::string> csv_rows(const Scenario& s, const models::RunResult& r,
                                  const std::vector<std::string>& services) {
  std::vector<std::string> out;
  for (const Row& row : rows_of(r)) out.push_back(csv_line(s, r, row, services));
  return out;
}

std::vector<std::pair<std::string, double>> numeric_metrics(const Scenario& s,
                                                            const models::RunResult& r) {
  return numbers(s, r, rows_of(r).front());
}

const std::vector<std::string>& metric_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& m : numeric_metrics(Scenario{}, models::RunResult{})) v.push_back(m.first);
    return v;
  }();
  return names;
}

std::string summary_table(const Scenario& s, const std::vector<models::RunResult>& results) {
  std::string out = fmt::format("scenario {} (seed {})\n", s.config.name, s.config.seed);
  out += fmt::format("{:<26} {:>8} {:>9} {:>7} {:>6} {:>7} {:>8} {:>7}  {:>17}  {:>24}  {:>8} {:>9}\n",
                     "pattern", "txns", "committed", "aborted", "failed", "blocked", "violated",
                     "avail", "accept p50/p99 ms", "complete mean/p50/p99 ms", "msgs/txn",
                     "commits/s");
  for (const models::RunResult& r : results) {
    for (const Row& row : rows_of(r)) {
      const models::RunMetrics& m = *row.metrics;
      auto o = [&](models::Outcome x) { return m.outcomes[static_cast<size_t>(x)]; };
      // The total under the pattern's name; each request type indented below it.
      const std::string label = row.request_type == "all" ? r.pattern.label() : "  " + row.request_type;
      // A figure of no transaction at all is "-", not 0.
      auto fixed = [](double v, int digits) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : "-"; };
      out += fmt::format(
          "{:<26} {:>8} {:>9} {:>7} {:>6} {:>7} {:>8} {:>7}  {:>17}  {:>24}  {:>8} {:>9.1f}\n",
          label, m.transactions, o(models::Outcome::kCommitted), o(models::Outcome::kAborted),
          o(models::Outcome::kFailed), o(models::Outcome::kBlocked), o(models::Outcome::kViolated),
          fixed(per_txn(m, m.availability()), 4),
          fmt::format("{} / {}", fixed(timed_ms(m.acceptance, 0.5), 3), fixed(timed_ms(m.acceptance, 0.99), 3)),
          fmt::format("{} / {} / {}", fixed(timed_mean_ms(m.completion), 3), fixed(timed_ms(m.completion, 0.5), 3),
                      fixed(timed_ms(m.completion, 0.99), 3)),
          fixed(per_txn(m, m.messages.mean()), 2), m.throughput());
    }
  }
  // The commit protocol's own figures, a line per 2PC run, named with its variant.
  const models::TwoPhaseCommitConfig& tpc = s.config.two_phase_commit;
  using V = models::TwoPhaseCommitConfig::Variant;
  const std::string variant = tpc.variant == V::kPaxosCommit
                                  ? fmt::format("paxos_commit, F = {}", tpc.tolerated_faults)
                              : tpc.variant == V::kBasic          ? "presumed_nothing"
                              : tpc.variant == V::kPresumedCommit ? "presumed_commit"
                                                                  : "presumed_abort";
  for (const models::RunResult& r : results) {
    if (std::string(r.pattern.info->name) != "two_phase_commit") continue;
    const models::RunMetrics& m = r.metrics;
    const double n = static_cast<double>(std::max<uint64_t>(m.transactions, 1));
    out += fmt::format(
        "{} ({}): forced writes {:.2f}/txn; blocked {:.3f}%; in doubt p50/p99/max {:.3f} / {:.3f} / "
        "{:.3f} ms; lock hold p50/p99 {:.3f} / {:.3f} ms, wait p50/p99 {:.3f} / {:.3f} ms; "
        "unilateral decisions {}, changed decisions {}\n",
        r.pattern.label(), variant, static_cast<double>(m.forced_writes) / n,
        100.0 * static_cast<double>(m.ever_blocked) / n, ms(m.in_doubt.percentile_ns(0.5)),
        ms(m.in_doubt.percentile_ns(0.99)), ms(static_cast<double>(m.in_doubt.max_ns())),
        ms(m.lock_hold.percentile_ns(0.5)), ms(m.lock_hold.percentile_ns(0.99)),
        ms(m.lock_wait.percentile_ns(0.5)), ms(m.lock_wait.percentile_ns(0.99)),
        m.unilateral_decisions, m.changed_decisions);
  }
  // Tracing's cost and completeness, a line per run, when the scenario traces.
  if (s.config.tracing.present) {
    for (const models::RunResult& r : results) {
      const models::RunMetrics& m = r.metrics;
      out += fmt::format(
          "{}: tracing {} of {} transactions ({:.3g}%), {:.2f} spans each; spans lost {} of {}; "
          "complete traces {:.2f}%\n",
          r.pattern.label(), m.traced, m.transactions,
          m.transactions ? 100.0 * static_cast<double>(m.traced) / static_cast<double>(m.transactions) : 0.0,
          m.traced ? static_cast<double>(m.spans) / static_cast<double>(m.traced) : 0.0, m.spans - m.spans_collected,
          m.spans, m.traced ? 100.0 * static_cast<double>(m.traces_complete) / static_cast<double>(m.traced) : 100.0);
    }
  }
  for (const models::RunResult& r : results) {
    if (!r.drained) {
      out += fmt::format(
          "note: {}: the drain limit ({}) stopped the run while transactions were still in "
          "flight; their outcomes are as they stood\n",
          r.pattern.label(), s.config.drain);
    }
    if (r.late_touches > 0) {
      out += fmt::format(
          "note: {}: {} event{} about transactions already summarised (a finished transaction's "
          "record is released after every wait of the scenario has passed, {} here) came later "
          "and {} not counted\n",
          r.pattern.label(), r.late_touches, r.late_touches == 1 ? "" : "s",
          sim::Time::from_ns(static_cast<int64_t>(r.quiet_ns)), r.late_touches == 1 ? "was" : "were");
    }
    if (r.clamped_samples > 0) {
      out += fmt::format(
          "note: {}: {} random sample{} (service times, delays or failure times) {} longer "
          "than the simulated clock can hold with room to spare, and cut to {}\n",
          r.pattern.label(), r.clamped_samples, r.clamped_samples == 1 ? "" : "s",
          r.clamped_samples == 1 ? "was" : "were", sim::Distribution::kMaxSampleText);
    }
  }
  return out;
}

namespace {
nlohmann::ordered_json node_json(const models::NodeSummary& n) {
  nlohmann::ordered_json node;
  node["name"] = n.name;
  node["service"] = n.service;
  node["utilisation"] = n.utilisation;
  node["availability"] = n.availability;
  node["mean_queue"] = n.mean_queue;
  node["served"] = n.served;
  node["served_to_end"] = n.served_to_end;
  node["rejected"] = n.rejected;
  node["crashes"] = n.crashes;
  node["lost_in_crash"] = n.lost_in_crash;
  return node;
}

nlohmann::ordered_json services_json(const std::vector<models::NodeSummary>& nodes) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ServiceSum& x : service_sums(nodes)) {
    nlohmann::ordered_json svc;
    svc["name"] = x.name;
    svc["replicas"] = x.replicas;
    svc["utilisation"] = x.sum.utilisation;
    svc["availability"] = x.sum.availability;
    svc["mean_queue"] = x.sum.mean_queue;
    svc["served"] = x.sum.served;
    svc["served_to_end"] = x.sum.served_to_end;
    svc["rejected"] = x.sum.rejected;
    svc["crashes"] = x.sum.crashes;
    svc["lost_in_crash"] = x.sum.lost_in_crash;
    out.push_back(std::move(svc));
  }
  return out;
}
}  // namespace

std::string to_json(const Scenario& s, const std::vector<models::RunResult>& results) {
  nlohmann::ordered_json j;
  j["scenario"] = s.config.name;
  j["scenario_hash"] = scenario_hash(s.text);
  j["runs"] = nlohmann::ordered_json::array();
  const auto& cols = columns();
  for (const models::RunResult& r : results) {
    const std::vector<Row> rows = rows_of(r);
    nlohmann::ordered_json run;
    for (const Column& c : cols) run[c.name] = c.value(s, r, rows.front()).json();
    nlohmann::ordered_json types = nlohmann::ordered_json::array();
    for (size_t t = 1; t < rows.size(); ++t) {
      nlohmann::ordered_json type;
      for (const Column& c : cols) type[c.name] = c.value(s, r, rows[t]).json();
      types.push_back(std::move(type));
    }
    run["request_types"] = types;
    nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
    for (const models::NodeSummary& n : r.nodes) nodes.push_back(node_json(n));
    run["nodes"] = nodes;
    run["services"] = services_json(r.nodes);
    j["runs"].push_back(run);
  }
  return j.dump(2) + "\n";
}

const char* timeseries_header() { return "pattern,t_start_s,t_end_s,metric,node,value\n"; }

namespace {
// Appends one row to `out`.
void append_timeseries_row(std::string& out, const models::SeriesRow& r, const std::string& prefix) {
  fmt::format_to(std::back_inserter(out), "{}{},{},{},{},{},{}\n", prefix, csv_escape(r.pattern),
                 r.start.seconds(), r.end.seconds(), r.metric, csv_escape(r.node), r.value);
}
}  // namespace

std::string timeseries_rows(const std::vector<models::SeriesRow>& rows, const std::string& prefix) {
  std::string out;
  for (const models::SeriesRow& r : rows) append_timeseries_row(out, r, prefix);
  return out;
}

void write_timeseries_csv(std::ostream& out, const std::vector<models::SeriesRow>& rows) {
  out << timeseries_header();
  std::string chunk;  // a few hundred rows at a time: a long series is never held as text
  for (size_t i = 0; i < rows.size(); ++i) {
    append_timeseries_row(chunk, rows[i], "");
    if (chunk.size() >= 1 << 16 || i + 1 == rows.size()) {
      out << chunk;
      chunk.clear();
    }
  }
}

}  // namespace app
