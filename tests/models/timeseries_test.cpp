// coordsim run --timeseries (models/timeseries.hpp): the intervals add up to the run's
// totals, a crash shows where it happened, and sampling leaves the run unchanged.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include <fmt/format.h>

#include "models/timeseries.hpp"
#include "models/world.hpp"
#include "pattern_helpers.hpp"

namespace {

// p2 is down from 1 s to 1.3 s; arrivals at 100/s for 2 s.
const char* kCrash = R"(name: series
seed: 3
duration: 2s
workload: {rate: 100/s}
network: {latency: 1ms}
timeouts: {call: 20ms}
services:
  order: {workers: 4}
  p1: {workers: 1, ops: {x: 2ms, undo: 1ms}}
  p2: {workers: 1, ops: {x: 3ms, undo: 1ms}}
faults:
  - {crash: p2, at: 1s, for: 300ms}
  - {partition: [[order], [p1]], at: 1500ms, for: 250ms}
workflow:
  entry: order
  steps:
    - {service: p1, action: x, compensate: undo}
    - {service: p2, action: x, compensate: undo}
patterns: [saga_orchestrated]
)";

// Value of (metric, node) per interval start (in ms).
std::map<int64_t, double> series(const models::TimeSeriesProbe& p, const std::string& metric,
                                 const std::string& node = "") {
  std::map<int64_t, double> out;
  for (const auto& r : p.rows()) {
    if (r.metric == metric && r.node == node) out[r.start.ns() / 1'000'000] = r.value;
  }
  return out;
}

double sum(const std::map<int64_t, double>& m) {
  double s = 0;
  for (const auto& [t, v] : m) s += v;
  return s;
}

}  // namespace

TEST_CASE("Time series: intervals add up to the run, and show the crash and the partition",
          "[models][timeseries]") {
  const app::Scenario s = test::scenario(kCrash);
  const models::PatternChoice p = s.config.patterns.at(0);
  const models::RunResult plain = models::run(s.config, p, 0);
  models::TimeSeriesProbe probe(sim::Time::from_ms(100));
  const models::RunResult sampled = models::run(s.config, p, 0, &probe);
  // Sampling adds no event: the same run, event for event.
  CHECK(sampled.fingerprint == plain.fingerprint);
  CHECK(sampled.events == plain.events);
  CHECK(sampled.end == plain.end);

  // Every transaction arrives in exactly one interval and ends with one outcome.
  CHECK(sum(series(probe, "arrivals")) == static_cast<double>(plain.transactions_simulated));
  CHECK(plain.transactions_simulated > 150);
  const auto& m = plain.metrics;  // no warm-up: every transaction is measured
  CHECK(sum(series(probe, "committed")) == static_cast<double>(m.outcomes[0]));
  CHECK(sum(series(probe, "aborted")) == static_cast<double>(m.outcomes[1]));
  CHECK(sum(series(probe, "failed")) == static_cast<double>(m.outcomes[2]));
  CHECK(sum(series(probe, "violated")) == 0);

  // p2 is down for exactly the intervals [1.0, 1.1), [1.1, 1.2), [1.2, 1.3); up before and after.
  const auto up = series(probe, "up", "p2");
  CHECK(up.at(900) == 1.0);
  CHECK(up.at(1000) == 0.0);
  CHECK(up.at(1100) == 0.0);
  CHECK(up.at(1200) == 0.0);
  CHECK(up.at(1300) == 1.0);
  CHECK(series(probe, "up", "p1").at(1100) == 1.0);
  // The partition covers [1.5, 1.75): all of two intervals and half of the third.
  const auto cut = series(probe, "partitioned");
  CHECK(cut.at(1400) == 0.0);
  CHECK(cut.at(1500) == 1.0);
  CHECK(cut.at(1600) == 1.0);
  CHECK(cut.at(1700) == Approx(0.5));
  // Nothing is in flight once the run has drained.
  CHECK(series(probe, "in_flight").rbegin()->second == 0);

  // The intervals' utilisations, weighted by length up to the end of arrivals (2 s), are the
  // run's (the node summary is taken there).
  double busy = 0, span = 0;
  for (const auto& r : probe.rows()) {
    if (r.metric != "utilisation" || r.node != "p1" || r.end > plain.arrivals_end) continue;
    busy += r.value * (r.end - r.start).seconds();
    span += (r.end - r.start).seconds();
  }
  double whole = 0;
  for (const auto& n : plain.nodes) {
    if (n.name == "p1") whole = n.utilisation;
  }
  REQUIRE(span > 0);
  CHECK(span == Approx(2.0));
  CHECK(busy / span == Approx(whole).epsilon(1e-9));
}

TEST_CASE("Time series: the pattern's gauges, 2PC's in-doubt participants adding up to the system's",
          "[models][timeseries]") {
  // The coordinator (order) is down from 1 s to 1.3 s: participants that voted yes wait.
  const app::Scenario s = test::scenario(
      kCrash, {{"patterns", "[two_phase_commit]"}, {"faults", "[{at: 1s, crash: order, for: 300ms}]"}});
  models::TimeSeriesProbe probe(sim::Time::from_ms(50));
  models::run(s.config, s.config.patterns.at(0), 0, &probe);
  std::map<int64_t, double> total, by_node;
  bool locks = false;
  for (const auto& r : probe.rows()) {
    if (r.metric == "in_doubt" && r.node.empty()) total[r.start.ns()] = r.value;
    if (r.metric == "in_doubt" && !r.node.empty()) by_node[r.start.ns()] += r.value;
    if (r.metric == "locks_held") locks = true;
  }
  REQUIRE(!total.empty());
  CHECK(total == by_node);
  CHECK(locks);
  double most = 0;
  for (const auto& [t, v] : total) most = std::max(most, v);
  CHECK(most > 0);  // someone was in doubt while the coordinator was down
}

namespace {
// A probe that reads every record after the run (as a trace does): the ledger keeps them all.
class KeepsRecords final : public models::RunProbe {
 public:
  void attach(models::World&) override {}
};
}  // namespace

TEST_CASE("Time series: records released during the run give the same series as records kept",
          "[models][timeseries]") {
  // A time series takes each transaction as the ledger releases its record, so that a long
  // run's memory follows the transactions in flight. Alone, it lets the ledger release; next
  // to a probe that keeps every record, it reads them all at the end. The rows must be the
  // same, to the bit, and the same as the run's totals. Under 2PC with the coordinator
  // down for a while, some records stay open long after their neighbours were released.
  for (const char* pattern : {"saga_orchestrated", "two_phase_commit"}) {
    CAPTURE(pattern);
    const app::Scenario s = test::scenario(
        kCrash, {{"duration", "10s"}, {"patterns", fmt::format("[{}]", pattern)},
                 {"faults", "[{at: 3s, crash: order, for: 2s}, {at: 6s, crash: p2, for: 500ms}]"}});
    const models::PatternChoice p = s.config.patterns.at(0);
    models::TimeSeriesProbe released(sim::Time::from_ms(250));
    const models::RunResult r1 = models::run(s.config, p, 0, &released);
    models::TimeSeriesProbe kept(sim::Time::from_ms(250));
    KeepsRecords keeper;
    models::ProbeList both;
    both.add(&kept);
    both.add(&keeper);
    const models::RunResult r2 = models::run(s.config, p, 0, &both);
    CHECK(r1.fingerprint == r2.fingerprint);
    // Released as it ran (not all: the crashes hold back the records of the last seconds,
    // which are read at the end)...
    CHECK(r1.records_released >= 250);
    CHECK(r1.records_released < r1.transactions_simulated);
    CHECK(r2.records_released == 0);  // ...or kept to the end
    REQUIRE(released.rows().size() == kept.rows().size());
    for (size_t i = 0; i < kept.rows().size(); ++i) {
      const models::SeriesRow& a = released.rows()[i];
      const models::SeriesRow& b = kept.rows()[i];
      INFO("row " << i << ": " << b.metric << " " << b.node << " at " << b.start.ns());
      CHECK(a.metric == b.metric);
      CHECK(a.node == b.node);
      CHECK(a.start == b.start);
      CHECK(a.end == b.end);
      CHECK(a.value == b.value);  // exactly: the same transactions, the same quantiles
    }
    CHECK(sum(series(released, "arrivals")) == static_cast<double>(r1.transactions_simulated));
    CHECK(sum(series(released, "committed")) == static_cast<double>(r1.metrics.outcomes[0]));
    CHECK(sum(series(released, "blocked")) == static_cast<double>(r1.metrics.outcomes[3]));
    CHECK(r1.metrics.outcomes == r2.metrics.outcomes);
  }
}
