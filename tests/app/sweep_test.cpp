#include <catch2/catch.hpp>

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
                                        {"services.payment.mttf", "1000h"},
                                        {"patterns", "[orchestration, saga_orchestrated]"}};
  auto out = app::run_sweep(s, calm, {app::parse_sweep_axis("workload.rate=100/s").value()}, 4, 2);
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
  const app::Scenario s = load("scenarios/product-page.yaml");
  auto wrong = app::run_sweep(s, {}, {app::parse_sweep_axis("retry.attempts=2,many").value()}, 1, 1);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message() ==
        "--set retry.attempts=many: retry.attempts: expected a whole number from 1 to 1000, "
        "found \"many\"");
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
