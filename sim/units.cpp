#include "sim/units.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace sim {
namespace {

__extension__ typedef __int128 int128;  // exact decimal scaling

struct Unit {
  std::string_view name;
  int64_t ns;
};
// Longest names first so that "ms" is not read as "m" + "s" and "min" before "ms".
constexpr std::array<Unit, 6> kUnits{{{"min", 60'000'000'000},
                                      {"ns", 1},
                                      {"us", 1000},
                                      {"ms", 1000'000},
                                      {"h", 3600'000'000'000},
                                      {"s", 1000'000'000}}};

constexpr std::string_view kUnitList = "ns, us, ms, s, min or h";

size_t skip_blanks(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
  return i;
}

size_t trim_end(std::string_view t) {
  size_t n = t.size();
  while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t')) --n;
  return n;
}

// A decimal number split into its digits, kept as text so the conversion is exact.
struct Decimal {
  std::string_view int_digits;
  std::string_view frac_digits;
  size_t end = 0;  // offset just past the number
};

// Reads [0-9]+(.[0-9]*)? or .[0-9]+ starting at i. Returns nullopt if no digit is there.
std::optional<Decimal> read_decimal(std::string_view t, size_t i) {
  Decimal d;
  size_t start = i;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  d.int_digits = t.substr(start, i - start);
  if (i < t.size() && t[i] == '.') {
    size_t fs = ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    d.frac_digits = t.substr(fs, i - fs);
  }
  if (d.int_digits.empty() && d.frac_digits.empty()) return std::nullopt;
  d.end = i;
  return d;
}

std::optional<Unit> read_unit(std::string_view t, size_t i) {
  for (const Unit& u : kUnits) {
    if (t.substr(i, u.name.size()) == u.name) {
      size_t after = i + u.name.size();
      if (after < t.size() && std::isalpha(static_cast<unsigned char>(t[after]))) continue;
      return u;
    }
  }
  return std::nullopt;
}

// value * unit_ns exactly, rounded to the nearest ns; nullopt on overflow.
std::optional<int64_t> scale(const Decimal& d, int64_t unit_ns) {
  int128 whole = 0;
  for (char c : d.int_digits) {
    whole = whole * 10 + (c - '0');
    if (whole > (static_cast<int128>(1) << 64)) return std::nullopt;
  }
  int128 total = whole * unit_ns;
  int128 frac = 0, denom = 1;
  for (char c : d.frac_digits) {
    if (denom > static_cast<int128>(1e20)) break;  // beyond ns resolution
    frac = frac * 10 + (c - '0');
    denom *= 10;
  }
  total += (frac * unit_ns * 2 + denom) / (2 * denom);
  if (total > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return static_cast<int64_t>(total);
}

std::string quoted(std::string_view t) { return fmt::format("\"{}\"", t); }

}  // namespace

Result<Time> parse_duration(std::string_view text) {
  const size_t end = trim_end(text);
  size_t i = skip_blanks(text, 0);
  const std::string_view body = text.substr(0, end);
  if (i >= end) return Status::invalid_at(i, "expected a duration like \"250ms\", found nothing");
  if (body[i] == '-') {
    return Status::invalid_at(
        i, fmt::format("expected a non-negative duration, found {}", quoted(body.substr(i))));
  }
  auto dec = read_decimal(body, i);
  if (!dec) {
    return Status::invalid_at(i, fmt::format("expected a duration like \"250ms\", found {}",
                                             quoted(body.substr(i))));
  }
  size_t j = skip_blanks(body, dec->end);
  if (j >= end) {
    bool is_zero = dec->int_digits.find_first_not_of('0') == std::string_view::npos &&
                   dec->frac_digits.find_first_not_of('0') == std::string_view::npos;
    if (is_zero) return Time::zero();
    return Status::invalid_at(j, fmt::format("expected a time unit ({}) after {}", kUnitList,
                                             quoted(body.substr(i, dec->end - i))));
  }
  auto unit = read_unit(body, j);
  if (!unit) {
    if (body[j] == '/') {
      return Status::invalid_at(
          i, fmt::format("expected a duration like \"250ms\", found the rate {}",
                         quoted(body.substr(i))));
    }
    return Status::invalid_at(j, fmt::format("expected a time unit ({}), found {}", kUnitList,
                                             quoted(body.substr(j))));
  }
  size_t k = j + unit->name.size();
  if (k != end) {
    return Status::invalid_at(k, fmt::format("unexpected {} after the duration {}",
                                             quoted(body.substr(k)), quoted(body.substr(i, k - i))));
  }
  auto ns = scale(*dec, unit->ns);
  if (!ns) {
    return Status::invalid_at(i, fmt::format("duration {} is too long (at most about 292 years)",
                                             quoted(body.substr(i))));
  }
  return Time::from_ns(*ns);
}

Result<double> parse_rate(std::string_view text) {
  const size_t end = trim_end(text);
  size_t i = skip_blanks(text, 0);
  const std::string_view body = text.substr(0, end);
  if (i >= end) return Status::invalid_at(i, "expected a rate like \"200/s\", found nothing");
  const size_t slash = body.find('/', i);
  if (slash == std::string_view::npos) {
    if (looks_like_duration(body.substr(i))) {
      return Status::invalid_at(
          i, fmt::format("expected a rate like \"200/s\", found the duration {}",
                         quoted(body.substr(i))));
    }
    return Status::invalid_at(
        i, fmt::format("expected a rate like \"200/s\", found {}", quoted(body.substr(i))));
  }
  auto count = parse_number(body.substr(i, slash - i));
  if (!count.ok()) {
    return Status::invalid_at(i, fmt::format("expected a rate like \"200/s\", found {}",
                                             quoted(body.substr(i))));
  }
  size_t j = skip_blanks(body, slash + 1);
  // "/s" means "per one second"; "/10s" is allowed too.
  Time per = Time::zero();
  if (j < end && !std::isdigit(static_cast<unsigned char>(body[j])) && body[j] != '.') {
    auto unit = read_unit(body, j);
    if (!unit || j + unit->name.size() != end) {
      return Status::invalid_at(j, fmt::format("expected a time unit ({}) after \"/\", found {}",
                                               kUnitList, quoted(body.substr(j))));
    }
    per = Time::from_ns(unit->ns);
  } else {
    auto d = parse_duration(body.substr(j));
    if (!d.ok()) {
      return Status::invalid_at(j + d.status().offset().value_or(0), d.status().message());
    }
    per = d.value();
  }
  if (count.value() <= 0 || per <= Time::zero()) {
    return Status::invalid_at(
        i, fmt::format("expected a positive rate, found {}", quoted(body.substr(i))));
  }
  return count.value() / per.seconds();
}

Result<double> parse_number(std::string_view text) {
  const size_t end = trim_end(text);
  size_t i = skip_blanks(text, 0);
  const std::string_view body = text.substr(i, end - i);
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (body.empty() || ec != std::errc() || ptr != body.data() + body.size() || !std::isfinite(v)) {
    return Status::invalid_at(i, fmt::format("expected a number, found {}", quoted(body)));
  }
  return v;
}

bool looks_like_duration(std::string_view text) {
  const size_t end = trim_end(text);
  size_t i = skip_blanks(text, 0);
  auto dec = read_decimal(text.substr(0, end), i);
  if (!dec) return false;
  size_t j = skip_blanks(text, dec->end);
  auto unit = read_unit(text.substr(0, end), j);
  return unit && j + unit->name.size() == end;
}

std::string Time::to_string() const {
  const int64_t v = ns_;
  if (v == 0) return "0s";
  if (v == std::numeric_limits<int64_t>::max()) return "never";
  const bool neg = v < 0;
  const uint64_t a = neg ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  const char* sign = neg ? "-" : "";
  if (a % 3600'000'000'000ULL == 0) return fmt::format("{}{}h", sign, a / 3600'000'000'000ULL);
  if (a % 60'000'000'000ULL == 0) return fmt::format("{}{}min", sign, a / 60'000'000'000ULL);
  struct U {
    uint64_t ns;
    const char* name;
  };
  for (U u : {U{1000'000'000ULL, "s"}, U{1000'000ULL, "ms"}, U{1000ULL, "us"}}) {
    if (a >= u.ns) {
      std::string frac = fmt::format("{:0{}}", a % u.ns, u.ns == 1000'000'000ULL ? 9
                                                          : u.ns == 1000'000ULL ? 6
                                                                                : 3);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      return frac.empty() ? fmt::format("{}{}{}", sign, a / u.ns, u.name)
                          : fmt::format("{}{}.{}{}", sign, a / u.ns, frac, u.name);
    }
  }
  return fmt::format("{}{}ns", sign, a);
}

}  // namespace sim
