#include <catch2/catch.hpp>

#include "sim/units.hpp"

using namespace sim;
using namespace sim::time_literals;

TEST_CASE("parse_duration: every unit converts exactly to nanoseconds", "[sim][units]") {
  CHECK(parse_duration("250ms").value() == 250_ms);
  CHECK(parse_duration("1.5s").value() == Time::from_ms(1500));
  CHECK(parse_duration("2min").value() == 120_s);
  CHECK(parse_duration("1h").value() == 3600_s);
  CHECK(parse_duration("7ns").value() == 7_ns);
  CHECK(parse_duration("0.1s").value() == 100_ms);
  CHECK(parse_duration("1.25us").value() == 1250_ns);
  CHECK(parse_duration(" 3ms ").value() == 3_ms);
  CHECK(parse_duration("0").value() == Time::zero());
  CHECK(parse_duration(".5s").value() == 500_ms);
}

TEST_CASE("parse_duration: malformed text gets a message and an offset", "[sim][units]") {
  auto check = [](const char* text, const char* message, size_t offset) {
    auto r = parse_duration(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == message);
    CHECK(r.status().offset() == offset);
  };
  check("fast", "expected a duration like \"250ms\", found \"fast\"", 0);
  check("5", "expected a time unit (ns, us, ms, s, min or h) after \"5\"", 1);
  check("5 sec", "expected a time unit (ns, us, ms, s, min or h), found \"sec\"", 2);
  check("-3ms", "expected a non-negative duration, found \"-3ms\"", 0);
  check("200/s", "expected a duration like \"250ms\", found the rate \"200/s\"", 0);
  check("3msx", "expected a time unit (ns, us, ms, s, min or h), found \"msx\"", 1);
  check("", "expected a duration like \"250ms\", found nothing", 0);
  check("99999999999h", "duration \"99999999999h\" is too long (at most about 292 years)", 0);
}

TEST_CASE("parse_rate: events per unit of time", "[sim][units]") {
  CHECK(parse_rate("200/s").value() == Approx(200));
  CHECK(parse_rate("60/min").value() == Approx(1));
  CHECK(parse_rate("0.5/ms").value() == Approx(500));
  CHECK(parse_rate("5/10s").value() == Approx(0.5));
  auto dur = parse_rate("5ms");
  REQUIRE_FALSE(dur.ok());
  CHECK(dur.status().message() == "expected a rate like \"200/s\", found the duration \"5ms\"");
  auto zero = parse_rate("0/s");
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.status().message() == "expected a positive rate, found \"0/s\"");
  auto unit = parse_rate("5/sec");
  REQUIRE_FALSE(unit.ok());
  CHECK(unit.status().message() ==
        "expected a time unit (ns, us, ms, s, min or h) after \"/\", found \"sec\"");
  CHECK(unit.status().offset() == 2);
}

TEST_CASE("Time: prints in its shortest exact form", "[sim][units]") {
  CHECK(fmt::format("{}", 250_ms) == "250ms");
  CHECK(fmt::format("{}", Time::from_ms(1500)) == "1.5s");
  CHECK(fmt::format("{}", 2_min) == "2min");
  CHECK(fmt::format("{}", 1_h) == "1h");
  CHECK(fmt::format("{}", 1250_ns) == "1.25us");
  CHECK(fmt::format("{}", Time::zero()) == "0s");
  CHECK(fmt::format("{}", 90_s) == "90s");
  CHECK(fmt::format("{}", 100_s) == "100s");
  // Round trip: what we print, we parse back to the same time.
  for (Time t : {250_ms, Time::from_ms(1500), 2_min, 1250_ns, 100_s, Time::from_ns(123456789)}) {
    CHECK(parse_duration(t.to_string()).value() == t);
  }
}

TEST_CASE("Time: saturating addition keeps 'never' as never", "[sim][units]") {
  CHECK(Time::saturating_add(Time::max(), 1_s) == Time::max());
  CHECK(Time::saturating_add(1_s, 2_s) == 3_s);
}
