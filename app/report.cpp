#include "app/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "sim/rng.hpp"

namespace app {
namespace {

double ms(double ns) { return ns * 1e-6; }

// One value of a column: text, a count or a real number. CSV prints reals with 6
// significant digits; JSON keeps the type.
struct Cell {
  enum class Kind { kText, kCount, kReal } kind;
  std::string text;
  uint64_t count = 0;
  double real = 0;
  std::string csv() const {
    switch (kind) {
      case Kind::kText:
        return text;
      case Kind::kCount:
        return std::to_string(count);
      case Kind::kReal:
        return fmt::format("{:.6g}", real);
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
    }
    return {};
  }
};
Cell txt(std::string t) { return {Cell::Kind::kText, std::move(t)}; }
Cell cnt(uint64_t c) { return {Cell::Kind::kCount, "", c}; }
Cell num(double v) { return {Cell::Kind::kReal, "", 0, v}; }
Cell flag(bool b) { return txt(b ? "true" : "false"); }

struct Column {
  const char* name;
  Cell (*value)(const Scenario&, const models::RunResult&);
};

using R = models::RunResult;
using S = Scenario;
const models::RunMetrics& M(const R& r) { return r.metrics; }
Cell outcome(const R& r, models::Outcome o) { return cnt(M(r).outcomes[static_cast<size_t>(o)]); }

const std::vector<Column>& columns() {
  static const std::vector<Column> cols{
      {"scenario", [](const S& s, const R&) { return txt(s.config.name); }},
      {"scenario_hash", [](const S& s, const R&) { return txt(scenario_hash(s.text)); }},
      {"coordsim_version", [](const S&, const R&) { return txt(kCoordsimVersion); }},
      {"pattern", [](const S&, const R& r) { return txt(r.pattern.label()); }},
      {"seed", [](const S&, const R& r) { return cnt(r.seed); }},
      {"replication", [](const S&, const R& r) { return cnt(r.replication); }},
      {"transactions", [](const S&, const R& r) { return cnt(M(r).transactions); }},
      {"committed", [](const S&, const R& r) { return outcome(r, models::Outcome::kCommitted); }},
      {"aborted", [](const S&, const R& r) { return outcome(r, models::Outcome::kAborted); }},
      {"failed", [](const S&, const R& r) { return outcome(r, models::Outcome::kFailed); }},
      {"blocked", [](const S&, const R& r) { return outcome(r, models::Outcome::kBlocked); }},
      {"violated", [](const S&, const R& r) { return outcome(r, models::Outcome::kViolated); }},
      {"unfinished", [](const S&, const R& r) { return cnt(M(r).unfinished); }},
      {"availability", [](const S&, const R& r) { return num(M(r).availability()); }},
      {"throughput_per_s", [](const S&, const R& r) { return num(M(r).throughput()); }},
      {"acceptance_mean_ms", [](const S&, const R& r) { return num(ms(M(r).acceptance.mean_ns())); }},
      {"acceptance_p50_ms", [](const S&, const R& r) { return num(ms(M(r).acceptance.percentile_ns(0.5))); }},
      {"acceptance_p90_ms", [](const S&, const R& r) { return num(ms(M(r).acceptance.percentile_ns(0.9))); }},
      {"acceptance_p99_ms", [](const S&, const R& r) { return num(ms(M(r).acceptance.percentile_ns(0.99))); }},
      {"acceptance_p999_ms", [](const S&, const R& r) { return num(ms(M(r).acceptance.percentile_ns(0.999))); }},
      {"completion_mean_ms", [](const S&, const R& r) { return num(ms(M(r).completion.mean_ns())); }},
      {"completion_p50_ms", [](const S&, const R& r) { return num(ms(M(r).completion.percentile_ns(0.5))); }},
      {"completion_p90_ms", [](const S&, const R& r) { return num(ms(M(r).completion.percentile_ns(0.9))); }},
      {"completion_p99_ms", [](const S&, const R& r) { return num(ms(M(r).completion.percentile_ns(0.99))); }},
      {"completion_p999_ms", [](const S&, const R& r) { return num(ms(M(r).completion.percentile_ns(0.999))); }},
      {"inconsistency_mean_ms", [](const S&, const R& r) { return num(ms(M(r).inconsistency.mean_ns())); }},
      {"inconsistency_p99_ms", [](const S&, const R& r) { return num(ms(M(r).inconsistency.percentile_ns(0.99))); }},
      {"messages_per_txn", [](const S&, const R& r) { return num(M(r).messages.mean()); }},
      {"broker_messages", [](const S&, const R& r) { return cnt(M(r).broker_messages); }},
      {"retries_per_txn", [](const S&, const R& r) { return num(M(r).retries.mean()); }},
      {"duplicates_per_txn", [](const S&, const R& r) { return num(M(r).duplicates.mean()); }},
      {"compensations_per_txn", [](const S&, const R& r) { return num(M(r).compensations.mean()); }},
      {"lock_hold_mean_ms", [](const S&, const R& r) { return num(ms(M(r).lock_hold_ns.mean())); }},
      {"lock_wait_mean_ms", [](const S&, const R& r) { return num(ms(M(r).lock_wait_ns.mean())); }},
      {"blocking_mean_ms", [](const S&, const R& r) { return num(ms(M(r).blocking_ns.mean())); }},
      {"exposures", [](const S&, const R& r) { return cnt(M(r).exposures); }},
      {"partial_mean", [](const S&, const R& r) { return num(M(r).partial_mean); }},
      {"partial_time_fraction", [](const S&, const R& r) { return num(M(r).partial_fraction); }},
      {"technical_errors", [](const S&, const R& r) { return cnt(M(r).technical_errors); }},
      {"suppressed_duplicates", [](const S&, const R& r) { return cnt(M(r).suppressed_duplicates); }},
      {"unilateral_decisions", [](const S&, const R& r) { return cnt(M(r).unilateral_decisions); }},
      {"changed_decisions", [](const S&, const R& r) { return cnt(M(r).changed_decisions); }},
      {"dead_letters", [](const S&, const R& r) { return cnt(M(r).dead_letters); }},
      {"duplicate_deliveries", [](const S&, const R& r) { return cnt(M(r).duplicate_deliveries); }},
      {"drained", [](const S&, const R& r) { return flag(r.drained); }},
      {"sim_end_s", [](const S&, const R& r) { return num(r.end.seconds()); }},
      {"events", [](const S&, const R& r) { return cnt(r.events); }},
      {"fingerprint", [](const S&, const R& r) { return txt(fmt::format("{:016x}", r.fingerprint)); }},
  };
  return cols;
}


}  // namespace

std::string csv_escape(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
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

std::string csv_header() { return fmt::format("{}\n", fmt::join(csv_columns(), ",")); }

std::string csv_row(const Scenario& s, const models::RunResult& r) {
  std::string out;
  bool first = true;
  for (const Column& c : columns()) {
    if (!first) out += ',';
    first = false;
    out += csv_escape(c.value(s, r).csv());
  }
  return out + "\n";
}

std::vector<std::pair<std::string, double>> numeric_metrics(const Scenario& s,
                                                            const models::RunResult& r) {
  std::vector<std::pair<std::string, double>> out;
  for (const Column& c : columns()) {
    const std::string name = c.name;
    if (name == "seed" || name == "replication" || name == "events" || name == "sim_end_s") continue;
    const Cell v = c.value(s, r);
    if (v.kind == Cell::Kind::kCount) out.emplace_back(name, static_cast<double>(v.count));
    if (v.kind == Cell::Kind::kReal) out.emplace_back(name, v.real);
  }
  return out;
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
  out += fmt::format("{:<19} {:>8} {:>9} {:>7} {:>6} {:>7} {:>8} {:>7}  {:>17}  {:>24}  {:>8} {:>9}\n",
                     "pattern", "txns", "committed", "aborted", "failed", "blocked", "violated",
                     "avail", "accept p50/p99 ms", "complete mean/p50/p99 ms", "msgs/txn",
                     "commits/s");
  for (const models::RunResult& r : results) {
    const models::RunMetrics& m = r.metrics;
    auto o = [&](models::Outcome x) { return m.outcomes[static_cast<size_t>(x)]; };
    out += fmt::format(
        "{:<19} {:>8} {:>9} {:>7} {:>6} {:>7} {:>8} {:>7.4f}  {:>17}  {:>24}  {:>8.2f} {:>9.1f}\n",
        r.pattern.label(), m.transactions, o(models::Outcome::kCommitted),
        o(models::Outcome::kAborted), o(models::Outcome::kFailed), o(models::Outcome::kBlocked),
        o(models::Outcome::kViolated), m.availability(),
        fmt::format("{:.3f} / {:.3f}", ms(m.acceptance.percentile_ns(0.5)),
                    ms(m.acceptance.percentile_ns(0.99))),
        fmt::format("{:.3f} / {:.3f} / {:.3f}", ms(m.completion.mean_ns()),
                    ms(m.completion.percentile_ns(0.5)), ms(m.completion.percentile_ns(0.99))),
        m.messages.mean(), m.throughput());
  }
  for (const models::RunResult& r : results) {
    if (!r.drained) {
      out += fmt::format(
          "note: {}: the drain limit ({}) stopped the run while transactions were still in "
          "flight; their outcomes are as they stood\n",
          r.pattern.label(), s.config.drain);
    }
  }
  return out;
}

std::string to_json(const Scenario& s, const std::vector<models::RunResult>& results) {
  nlohmann::ordered_json j;
  j["scenario"] = s.config.name;
  j["scenario_hash"] = scenario_hash(s.text);
  j["runs"] = nlohmann::ordered_json::array();
  const auto& cols = columns();
  for (const models::RunResult& r : results) {
    nlohmann::ordered_json run;
    for (const Column& c : cols) run[c.name] = c.value(s, r).json();
    nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
    for (const models::NodeSummary& n : r.nodes) {
      nlohmann::ordered_json node;
      node["name"] = n.name;
      node["utilisation"] = n.utilisation;
      node["availability"] = n.availability;
      node["mean_queue"] = n.mean_queue;
      node["served"] = n.served;
      node["served_to_end"] = n.served_to_end;
      node["rejected"] = n.rejected;
      node["crashes"] = n.crashes;
      node["lost_in_crash"] = n.lost_in_crash;
      nodes.push_back(std::move(node));
    }
    run["nodes"] = nodes;
    j["runs"].push_back(run);
  }
  return j.dump(2) + "\n";
}

}  // namespace app
