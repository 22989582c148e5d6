#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "../test_util.hpp"
#include "app/sweep.hpp"

namespace {
app::Scenario load(const std::string& path, const std::vector<app::Override>& o = {}) {
  auto r = app::load_scenario_file(std::string(COORDSIM_SOURCE_DIR) + "/" + path, o);
  if (!r.ok()) FAIL(r.status().message());
  return std::move(r).value();
}
const app::SummaryRow& find(const std::vector<app::SummaryRow>& rows, size_t point,
                            const std::string& label, const std::string& metric) {
  for (const auto& r : rows) {
    if (r.point == point && r.label == label && r.metric == metric) return r;
  }
  FAIL("no summary row " << label << " " << metric);
  return rows.front();
}
}  // namespace

TEST_CASE("Sweep: the output is byte-identical whatever the number of jobs", "[app][sweep]") {
  const app::Scenario s = load("scenarios/product-page.yaml", {{"duration", "10s"}});
  auto one = app::run_sweep(s, {{"duration", "10s"}}, {}, 2, 1);
  auto two = app::run_sweep(s, {{"duration", "10s"}}, {}, 2, 2);
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  CHECK(one.value().rows.size() == 4 * 2);  // 4 values of retry.attempts x 2 replications
  CHECK(app::sweep_runs_csv(one.value()) == app::sweep_runs_csv(two.value()));
  CHECK(app::sweep_summary_csv(one.value()) == app::sweep_summary_csv(two.value()));
}

TEST_CASE("Sweep: the 95% interval of a known case covers its true mean", "[app][sweep]") {
  // M/M/1 at 50% load: the mean time in system is exactly 10 ms.
  const app::Scenario s = load("scenarios/single-service.yaml");
  auto out = app::run_sweep(s, {{"duration", "200s"}, {"warmup", "10s"}}, {}, 10, 2);
  REQUIRE(out.ok());
  const auto rows = app::summarize_sweep(out.value());
  const app::Stats& st = find(rows, 0, "orchestration", "completion_mean_ms").stats;
  CHECK(st.n == 10);
  CHECK(st.lo <= 10.0);
  CHECK(st.hi >= 10.0);
  CHECK(st.hi - st.lo < 1.0);  // and it is informative: narrower than 10%
}

TEST_CASE("Sweep: paired differences between patterns use common random numbers",
          "[app][sweep]") {
  // Without failures orchestration and its saga commit exactly the same transactions in
  // every replication: the paired difference is exactly 0 with a zero-width interval,
  // where the unpaired counts vary between replications.
  const app::Scenario s = load("scenarios/ecommerce-order.yaml");
  const std::vector<app::Override> calm{{"duration", "10s"},
                                        {"warmup", "1s"},
                                        {"faults", "[]"},
                                        {"network.loss", "0"},
                                        {"patterns", "[orchestration, saga_orchestrated]"}};
  // (The file sweeps services.payment.mttf: held at 1000h by an axis of one value. A --set of
  // it was once replaced by the file's axis at every point, without a word.)
  auto out = app::run_sweep(s, calm,
                            {app::parse_sweep_axis("workload.rate=100/s").value(),
                             app::parse_sweep_axis("services.payment.mttf=1000h").value()},
                            4, 2);
  REQUIRE(out.ok());
  const auto rows = app::summarize_sweep(out.value());
  const app::Stats& diff = find(rows, 0, "saga_orchestrated - orchestration", "transactions").stats;
  CHECK(diff.mean == 0);
  CHECK(diff.lo == 0);
  CHECK(diff.hi == 0);
  CHECK(find(rows, 0, "orchestration", "transactions").stats.sd > 0);
}

TEST_CASE("Sweep: --sweep arguments are checked", "[app][sweep][errors]") {
  auto bad = app::parse_sweep_axis("services.payment.mttf");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "--sweep services.payment.mttf: expected FIELD.PATH=V1,V2,..., e.g. --sweep "
        "services.payment.mttf=1h,10min");
  auto empty = app::parse_sweep_axis("retry.attempts=1,,3");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().message() == "--sweep retry.attempts=1,,3: an empty value in the list");
  // Commas inside quotes and brackets belong to the value: a distribution with named
  // parameters, a list, a mapping.
  CHECK(app::parse_sweep_axis("services.a.ops.x='pareto(shape: 2, scale: 1ms)',\"uniform(1ms, 2ms)\",5ms")
            .value()
            .values == std::vector<std::string>{"'pareto(shape: 2, scale: 1ms)'", "\"uniform(1ms, 2ms)\"", "5ms"});
  CHECK(app::parse_sweep_axis("patterns=[orchestration, tcc],[saga_orchestrated]").value().values ==
        std::vector<std::string>{"[orchestration, tcc]", "[saga_orchestrated]"});
  CHECK(app::parse_sweep_axis("retry.backoff={base: 10ms, max: 1s}").value().values ==
        std::vector<std::string>{"{base: 10ms, max: 1s}"});
  auto open = app::parse_sweep_axis("services.a.ops.x='pareto(shape: 2, scale: 1ms)");
  REQUIRE_FALSE(open.ok());
  CHECK(open.status().message() ==
        "--sweep services.a.ops.x='pareto(shape: 2, scale: 1ms): a quote or a bracket is not closed");
  const app::Scenario s = load("scenarios/product-page.yaml");
  auto wrong = app::run_sweep(s, {}, {app::parse_sweep_axis("retry.attempts=2,many").value()}, 1, 1);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message() ==
        "--set retry.attempts=many: retry.attempts: expected a whole number from 1 to 1000, "
        "found \"many\"");
  // A value given twice would run one grid point twice under one label; a field swept by two
  // --sweep options kept only the second, without a word.
  auto twice = app::parse_sweep_axis("workload.rate=50/s,60/s,50/s");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().message() == "--sweep workload.rate=50/s,60/s,50/s: the value 50/s is given twice");
  auto two_axes = app::run_sweep(s, {}, {app::parse_sweep_axis("retry.attempts=2").value(),
                                         app::parse_sweep_axis("retry.attempts=3,4").value()}, 1, 1);
  REQUIRE_FALSE(two_axes.ok());
  CHECK(two_axes.status().message() ==
        "--sweep retry.attempts is given twice (the second would replace the first): give all its "
        "values in one, e.g. --sweep retry.attempts=2,3");
  // A --set of a swept field (or of a field inside it) was replaced at every point.
  auto pinned = app::run_sweep(s, {{"retry.attempts", "5"}}, {app::parse_sweep_axis("retry.attempts=2,3").value()}, 1, 1);
  REQUIRE_FALSE(pinned.ok());
  CHECK(pinned.status().message() ==
        "--set retry.attempts=5: retry.attempts is swept (by --sweep), which sets it at every grid "
        "point and so would replace this; leave out one of the two (to hold it at one value, "
        "--sweep retry.attempts=5)");
  const app::Scenario crash = load("scenarios/crash-sweep.yaml");
  auto inner = app::run_sweep(crash, {{"services.inventory.mttf", "1h"}}, {}, 1, 1);
  REQUIRE_FALSE(inner.ok());
  CHECK(inner.status().message().rfind(
            "--set services.inventory.mttf=1h: services.inventory.mttf is swept (by the sweep block of ", 0) == 0);
}

TEST_CASE("Sweep: --sweep ranges, linear and logarithmic, of numbers and durations",
          "[app][sweep]") {
  CHECK(app::parse_sweep_axis("retry.attempts=1:5:2").value().values ==
        std::vector<std::string>{"1", "3", "5"});
  CHECK(app::parse_sweep_axis("timeouts.call=100ms:300ms:100ms").value().values ==
        std::vector<std::string>{"100ms", "200ms", "300ms"});
  CHECK(app::parse_sweep_axis("services.payment.mttf=log:1min:100min:3").value().values ==
        std::vector<std::string>{"1min", "10min", "100min"});
  CHECK(app::parse_sweep_axis("workflow.steps.0.fails=0:0.1:0.05").value().values ==
        std::vector<std::string>{"0", "0.05", "0.1"});
  auto mixed = app::parse_sweep_axis("timeouts.call=100ms:1:1");
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.status().message() ==
        "--sweep timeouts.call=100ms:1:1: expected a range START:STOP:STEP or "
        "log:START:STOP:COUNT, e.g. retry.attempts=1:5:1 or services.payment.mttf=log:1min:1h:4");
  auto backwards = app::parse_sweep_axis("retry.attempts=5:1:1");
  REQUIRE_FALSE(backwards.ok());
  CHECK(backwards.status().message() ==
        "--sweep retry.attempts=5:1:1: expected a range START:STOP:STEP or log:START:STOP:COUNT, "
        "e.g. retry.attempts=1:5:1 or services.payment.mttf=log:1min:1h:4; STEP must be positive "
        "and STOP at least START");
}

TEST_CASE("Sweep summary: the Wilson score interval against its published values",
          "[app][sweep][intervals]") {
  // Wilson (1927), "Probable inference, the law of succession, and statistical inference",
  // JASA 22: the p whose score test does not reject x successes of n at 95%, the roots of
  //   (x/n - p)^2 = z^2 p (1 - p) / n,  z = 1.959964,
  // i.e. (p^ + z^2/2n -+ z sqrt(p^(1 - p^)/n + z^2/4n^2)) / (1 + z^2/n). For n = 10:
  // x = 0 -> [0, 0.2775], x = 5 -> [0.2366, 0.7634], x = 10 -> [0.7225, 1] (the values of
  // Newcombe 1998, Stat. Med. 17, table I, to 4 places). For x = 1 of 1000, by hand: p^ =
  // 0.001, z^2/n = 0.0038415, centre (0.001 + 0.00192) / 1.0038415 = 0.0029088, half
  // 1.952464 * sqrt(9.99e-7 + 9.604e-7) = 0.0027323: [0.000177, 0.005643].
  auto [lo0, hi0] = app::wilson95(0, 10);
  CHECK(lo0 == 0);
  CHECK(hi0 == Approx(0.2775).margin(5e-5));
  auto [lo5, hi5] = app::wilson95(5, 10);
  CHECK(lo5 == Approx(0.2366).margin(5e-5));
  CHECK(hi5 == Approx(0.7634).margin(5e-5));
  auto [lo10, hi10] = app::wilson95(10, 10);
  CHECK(lo10 == Approx(0.7225).margin(5e-5));
  CHECK(hi10 == 1);
  auto [lo1, hi1] = app::wilson95(1, 1000);
  CHECK(lo1 == Approx(0.000177).margin(1e-6));
  CHECK(hi1 == Approx(0.005643).margin(1e-6));
}

TEST_CASE("Sweep summary: the Wilson interval of a known Bernoulli case covers the truth in at "
          "least 93 of 100 seeded repetitions",
          "[app][sweep][intervals]") {
  // One step refused with probability 0.3, decided per transaction from its own stream and
  // nothing else failing: a transaction commits with probability 0.7 exactly, independently
  // of the others, so the committed count of the pooled 2 x 200 transactions is
  // Binomial(400, 0.7), and a 95% interval should cover 0.7 in about 95 of 100 seeds. (The
  // Wilson interval's coverage at n = 400, p = 0.7 is within a point of 95%: Brown, Cai &
  // DasGupta 2001, "Interval estimation for a binomial proportion", Stat. Sci. 16, fig. 4;
  // 93 of 100 is the binomial(100, 0.95) lower 13% tail.)
  const char* text = R"(name: bernoulli
transactions: 200
workload: {rate: 100/s}
services:
  order: {workers: 4, ops: {place: exp(1ms)}}
  payment: {workers: 4, ops: {charge: exp(2ms)}}
workflow: {entry: order, steps: [{service: payment, action: charge, fails: 0.3}]}
)";
  auto loaded = app::load_scenario_text(text, "bernoulli.yaml", {});
  REQUIRE(loaded.ok());
  size_t covered = 0, n = 0;
  for (int seed = 1; seed <= 100; ++seed) {
    auto out = app::run_sweep(loaded.value(), {{"seed", std::to_string(seed)}}, {}, 2, 1);
    REQUIRE(out.ok());
    for (const app::SummaryRow& r : app::summarize_sweep(out.value())) {
      if (r.metric != "committed_per_txn") continue;
      REQUIRE(std::string(r.stats.interval) == "wilson");
      ++n;
      if (r.stats.lo <= 0.7 && 0.7 <= r.stats.hi) ++covered;
    }
  }
  CHECK(n == 100);
  INFO(covered << " of 100 intervals cover 0.7");
  CHECK(covered >= 93);
  CHECK(covered < 100);  // (an interval that always covers is too wide to be 95%)
}

namespace {

// Every bound of a sweep's summary stays in its metric's range: [0, 1] for fractions
// (differences [-1, 1]), at least 0 for everything else but differences.
void check_ranges(const app::SweepOutput& out, size_t replications, size_t* wilson, size_t* rates,
                  size_t* service_rows) {
  auto ends = [](const std::string& m, const std::string& tail) {
    return m.size() > tail.size() && m.compare(m.size() - tail.size(), tail.size(), tail) == 0;
  };
  // The outcomes a transaction ends in (docs/output.md): each a proportion of them.
  const std::set<std::string> outcomes{"committed_per_txn", "degraded_per_txn", "aborted_per_txn",
                                       "failed_per_txn",    "blocked_per_txn",  "violated_per_txn",
                                       "unfinished_per_txn", "changed_decisions_per_txn"};
  for (const app::SummaryRow& r : app::summarize_sweep(out)) {
    INFO(r.label << " " << r.metric << " [" << r.stats.lo << ", " << r.stats.hi << "]");
    const bool diff = r.label.find(" - ") != std::string::npos;
    const bool fraction = r.metric == "availability" || r.metric == "partial_time_fraction" ||
                          r.metric == "blocked_fraction" || r.metric == "trace_completeness" ||
                          outcomes.count(r.metric) == 1 ||
                          ends(r.metric, ".utilisation") || ends(r.metric, ".availability");
    if (r.metric.find('.') != std::string::npos) ++*service_rows;
    if (ends(r.metric, "_per_txn")) ++*rates;
    REQUIRE(r.stats.n == replications);
    if (std::isnan(r.stats.lo)) continue;  // (a metric with no values, e.g. empty percentiles)
    CHECK(r.stats.lo <= r.stats.hi);
    CHECK(r.stats.lo <= r.stats.mean);
    CHECK(r.stats.mean <= r.stats.hi);
    if (diff) {
      if (fraction) {
        CHECK(r.stats.lo >= -1);
        CHECK(r.stats.hi <= 1);
      }
      continue;
    }
    CHECK(r.stats.lo >= 0);
    if (fraction) CHECK(r.stats.hi <= 1);
    if (std::string(r.stats.interval) == "wilson") {
      ++*wilson;
      CHECK(r.stats.t_lo >= 0);
      CHECK(r.stats.t_hi <= 1);
    }
  }
}

}  // namespace

TEST_CASE("Sweep summary: with rare violations no interval leaves its metric's range",
          "[app][sweep][intervals]") {
  // Orchestration leaves a charge in place when the reservation after it is refused: here
  // about 3 in 1,000 transactions, so most replications see 0 or 1 and a plain t interval
  // of the violation rate reaches below 0.
  const char* text = R"(name: rare
transactions: 300
workload: {rate: 100/s}
services:
  order: {workers: 4, ops: {place: exp(1ms)}}
  payment: {workers: 4, ops: {charge: exp(2ms), refund: exp(1ms)}}
  stock: {workers: 4, ops: {reserve: exp(2ms), release: exp(1ms)}}
workflow:
  entry: order
  steps:
    - {service: payment, action: charge, compensate: refund}
    - {service: stock, action: reserve, compensate: release, fails: 0.003}
patterns: [orchestration, saga_orchestrated, two_phase_commit]
)";
  auto loaded = app::load_scenario_text(text, "rare.yaml", {});
  REQUIRE(loaded.ok());
  auto out = app::run_sweep(loaded.value(), {}, {app::parse_sweep_axis("seed=1,2,3").value()}, 4, 2);
  REQUIRE(out.ok());
  size_t wilson = 0, rates = 0, service_rows = 0;
  check_ranges(out.value(), 4, &wilson, &rates, &service_rows);
  CHECK(wilson > 0);
  // The violations are rare indeed: orchestration's mean is above 0 but below 1%, and its
  // replication-level t interval, clamped, starts at 0.
  size_t rare = 0;
  for (const app::SummaryRow& r : app::summarize_sweep(out.value())) {
    if (r.label != "orchestration" || r.metric != "violated_per_txn") continue;
    CHECK(r.stats.mean < 0.01);
    if (r.stats.mean > 0) ++rare;
    CHECK(r.stats.lo >= 0);
    CHECK(r.stats.t_lo >= 0);
  }
  CHECK(rare > 0);
}

TEST_CASE("Sweep summary: no interval leaves its metric's range, counts become rates per "
          "transaction, one replication has no interval",
          "[app][sweep][intervals]") {
  auto loaded = app::load_scenario_file(std::string(COORDSIM_SOURCE_DIR) + "/scenarios/crash-sweep.yaml", {});
  REQUIRE(loaded.ok());
  const app::Scenario s = std::move(loaded).value();
  auto out = app::run_sweep(s, {{"duration", "10s"}}, {app::parse_sweep_axis("services.inventory.mttf=1h,10s").value()}, 3, 2);
  REQUIRE(out.ok());
  size_t wilson = 0, rates = 0, service_rows = 0;
  check_ranges(out.value(), 3, &wilson, &rates, &service_rows);
  CHECK(wilson > 0);
  CHECK(rates > 0);
  // Each service's five figures, for every point, pattern and request type (all and the
  // paired differences).
  const auto& shape = out.value().shape;
  CHECK(service_rows == shape.services.size() * 5 * shape.points.size() * (2 * shape.points[0].patterns.size() - 1));
  CHECK(shape.services.size() == s.config.services.size());
  // A service's jobs served per second is over the run's simulated time (a run of 10 s
  // of arrivals with nothing crashing drains at once: it ends within 1% after 10 s).
  double served = NAN, served_per_s = NAN;
  for (const app::SummaryRow& r : app::summarize_sweep(out.value())) {
    if (r.point != 0 || r.label != "orchestration" || r.request_type != "all") continue;
    if (r.metric == "inventory.served") served = r.stats.mean;
    if (r.metric == "inventory.served_per_s") served_per_s = r.stats.mean;
  }
  CHECK(served > 0);
  CHECK(served_per_s == Approx(served / 10).epsilon(0.01));
  // An inventory that crashes every second or so (mttr 5 s) is up less of the time than one
  // that crashes once an hour, and busy some of it.
  auto crashing = app::run_sweep(s, {{"duration", "10s"}, {"patterns", "[orchestration]"}},
                                 {app::parse_sweep_axis("services.inventory.mttf=1h,1s").value()}, 2, 2);
  REQUIRE(crashing.ok());
  double avail[2] = {NAN, NAN}, util = NAN;
  for (const app::SummaryRow& r : app::summarize_sweep(crashing.value())) {
    if (r.request_type != "all") continue;
    if (r.metric == "inventory.availability") avail[r.point] = r.stats.mean;
    if (r.point == 0 && r.metric == "inventory.utilisation") util = r.stats.mean;
  }
  CHECK(avail[0] == 1);
  CHECK(avail[1] < 0.8);
  CHECK(util > 0);
  CHECK(util < 1);
  // A rate per second is the count over the measured span of arrivals (10 s less the
  // crash sweep's warm-up, the same in every replication).
  double committed = NAN, per_s = NAN, window = NAN;
  for (const app::SummaryRow& r : app::summarize_sweep(out.value())) {
    if (r.point != 1 || r.label != "orchestration" || r.request_type != "all") continue;
    if (r.metric == "committed") committed = r.stats.mean;
    if (r.metric == "committed_per_s") per_s = r.stats.mean;
    if (r.metric == "window_s") window = r.stats.mean;
  }
  REQUIRE(window > 0);
  CHECK(committed > 0);
  CHECK(per_s == Approx(committed / window));
  // One replication: n = 1, no interval, and the table says so.
  auto one = app::run_sweep(s, {{"duration", "10s"}}, {app::parse_sweep_axis("services.inventory.mttf=1h").value()}, 1, 1);
  REQUIRE(one.ok());
  for (const app::SummaryRow& r : app::summarize_sweep(one.value())) {
    CHECK(r.stats.n == 1);
    CHECK(std::isnan(r.stats.lo));
    CHECK(std::string(r.stats.interval) == "none");
  }
  CHECK(app::sweep_table(one.value().shape, one.value().rows).find("(one replication: no interval)") !=
        std::string::npos);
}

TEST_CASE("Sweep verdict: the best pattern per point and metric, and which differences are "
          "significant",
          "[app][sweep][verdict]") {
  auto loaded = app::load_scenario_file(std::string(COORDSIM_SOURCE_DIR) + "/scenarios/crash-sweep.yaml", {});
  REQUIRE(loaded.ok());
  const app::Scenario s = std::move(loaded).value();
  auto out = app::run_sweep(s, {}, {app::parse_sweep_axis("services.inventory.mttf=1h,10s").value()}, 5, 2);
  REQUIRE(out.ok());
  const auto verdict = app::sweep_verdict(out.value().shape, out.value().rows, {"messages_per_txn", "violated_per_txn"});
  REQUIRE(!verdict.empty());
  bool messages = false, violations = false;
  for (const app::VerdictRow& v : verdict) {
    INFO(v.point << " " << v.metric << " best " << v.best << " vs " << v.other);
    // Messages per transaction: orchestration and the orchestrated saga send 8 without
    // failures, the others more, by the same count in every replication: significant.
    if (v.point == 0 && v.metric == "messages_per_txn" && v.other == "two_phase_commit") {
      messages = true;
      CHECK((v.best == "orchestration" || v.best == "saga_orchestrated"));
      CHECK(v.diff.mean == Approx(6));
      CHECK(v.significant);
    }
    // Violations at MTTF 10 s: a pattern without violations is best (an atomic one, or
    // choreography where it has none), and orchestration's violations are significantly more.
    if (v.point == 1 && v.metric == "violated_per_txn") {
      CHECK(v.best != "orchestration");
      if (v.other == "orchestration") {
        violations = true;
        CHECK(v.significant);
        CHECK(v.diff.lo > 0);
      }
    }
  }
  CHECK(messages);
  CHECK(violations);
  const std::string text = app::verdict_text(out.value().shape, verdict);
  CHECK(text.find("verdict (paired differences over the replications, 95%):") != std::string::npos);
  CHECK(text.find("violated_per_txn: the best pattern changes from ") != std::string::npos);
  const std::string csv = app::verdict_csv(out.value().shape, verdict);
  CHECK(csv.rfind("services.inventory.mttf,metric,best,other,n,difference_mean,ci95_low,ci95_high,significant\n", 0) == 0);
}

TEST_CASE("Sweep summary: a replication without transactions leaves its undefined figures out",
          "[app][sweep]") {
  // About one arrival per run (100/s for 10 ms): some replications have none. Their mean
  // latency, availability and messages per transaction are undefined (empty fields); before,
  // they were written as 0 and pulled every mean toward 0 (a 0 ms latency, availability 0).
  const std::vector<app::Override> set{{"duration", "10ms"}, {"warmup", "0s"}};
  auto out = app::run_sweep(load("scenarios/single-service.yaml", set), set, {}, 12, 2);
  REQUIRE(out.ok());
  const std::string runs = app::sweep_runs_csv(out.value());
  const std::vector<std::string> lines = app::block_lines(runs);
  const std::vector<std::string> header = app::csv_fields(lines.at(0));
  auto at = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  size_t with = 0, without = 0;
  double latency = 0, availability = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> f = app::csv_fields(lines[i]);
    if (f.at(at("transactions")) == "0") {
      ++without;
      CHECK(f.at(at("completion_mean_ms")).empty());
      CHECK(f.at(at("availability")).empty());
      CHECK(f.at(at("messages_per_txn")).empty());
      continue;
    }
    ++with;
    latency += std::stod(f.at(at("completion_mean_ms")));
    availability += std::stod(f.at(at("availability")));
  }
  REQUIRE(with >= 2);
  REQUIRE(without >= 1);
  const auto rows = app::summarize_sweep(out.value());
  const app::Stats& lat = find(rows, 0, "orchestration", "completion_mean_ms").stats;
  CHECK(lat.n == with);
  // The runs file keeps 6 significant digits of each run's mean.
  CHECK(lat.mean == Approx(latency / static_cast<double>(with)).epsilon(1e-5));
  CHECK(lat.lo >= 0);
  const app::Stats& av = find(rows, 0, "orchestration", "availability").stats;
  CHECK(av.n == with);
  CHECK(av.mean == Approx(availability / static_cast<double>(with)).epsilon(1e-5));
  // The table says so where no replication has any.
  auto none = app::run_sweep(load("scenarios/single-service.yaml", {{"duration", "1us"}, {"warmup", "0s"}}),
                             {{"duration", "1us"}, {"warmup", "0s"}}, {}, 3, 1);
  REQUIRE(none.ok());
  const std::string table = app::sweep_table(none.value().shape, none.value().rows);
  CHECK(table.find("completion_mean_ms     - (no transactions in any replication)\n") != std::string::npos);
}
