#include "app/yaml_reader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unordered_set>

#include <algorithm>
#include <cmath>

#include "sim/suggest.hpp"
#include "sim/units.hpp"

namespace app {

Ctx::Ctx(std::string file, const std::string& text, std::vector<Override> overrides)
    : file_(std::move(file)), text_(text), overrides_(std::move(overrides)) {
  // (Offsets, not a copy of each line: a scenario of 100,000 services has as many lines.)
  for (size_t at = 0; at < text_.size();) {
    line_starts_.push_back(at);
    const size_t nl = text_.find('\n', at);
    at = nl == std::string::npos ? text_.size() : nl + 1;
  }
}

const Override* Ctx::override_of(const std::string& path) const {
  for (const Override& o : overrides_) {
    if (path == o.path || path.rfind(o.path + ".", 0) == 0) return &o;
  }
  return nullptr;
}

std::string Ctx::where(const YAML::Mark& mark, const std::string& path, size_t offset) const {
  if (const Override* o = override_of(path)) return o->where();
  if (mark.is_null() || mark.line < 0) return file_;
  const auto line = static_cast<size_t>(mark.line);
  auto col = static_cast<size_t>(mark.column);
  if (offset > 0 && line < line_starts_.size() &&
      col < std::min(text_.find('\n', line_starts_[line]), text_.size()) - line_starts_[line]) {
    const char c = text_[line_starts_[line] + col];
    if (c == '"' || c == '\'') ++col;  // the offset counts inside the quotes
    col += offset;
  }
  return fmt::format("{}:{}:{}", file_, line + 1, col + 1);
}

void Ctx::fail(const yaml::Node& n, const std::string& path, const std::string& what,
               size_t offset) const {
  const std::string field = path.empty() ? "" : path + ": ";
  throw LoadError(fmt::format("{}: {}{}", where(n.Mark(), path, offset), field, what));
}

void Ctx::fail_at(const YAML::Mark& m, const std::string& path, const std::string& what) const {
  const std::string field = path.empty() ? "" : path + ": ";
  throw LoadError(fmt::format("{}: {}{}", where(m, path), field, what));
}

void Ctx::fail_key(const yaml::Node& key, const std::string& path, const std::string& place_path,
                   const std::string& what) const {
  const std::string field = path.empty() ? "" : path + ": ";
  // A key no file line holds was made by the override whose path goes through it
  // (--set services.9x.workers=1 makes the service "9x").
  if (key.Mark().is_null()) {
    for (const Override& o : overrides_) {
      if (o.path == place_path || o.path.rfind(place_path + ".", 0) == 0) {
        throw LoadError(fmt::format("{}: {}{}", o.where(), field, what));
      }
    }
  }
  throw LoadError(fmt::format("{}: {}{}", where(key.Mark(), place_path), field, what));
}

std::string describe(const yaml::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsSequence()) return n.size() == 0 ? "an empty list" : "a list";
  if (n.IsMap()) return n.size() == 0 ? "an empty mapping" : "a mapping";
  std::string s = n.Scalar();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return fmt::format("\"{}\"", s);
}

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::vector<std::pair<yaml::Node, yaml::Node>> unique_entries(const Ctx& ctx, const yaml::Node& n,
                                                              const std::string& path) {
  std::vector<std::pair<yaml::Node, yaml::Node>> out;
  out.reserve(n.size());
  // A small mapping (a service's settings) is checked pair by pair, a large one (the
  // services) through a set.
  constexpr size_t kSmall = 12;
  std::unordered_set<std::string_view> seen;
  for (const auto& kv : n) {
    const yaml::Node& k = kv.first;
    if (!k.IsScalar()) ctx.fail(k, path, fmt::format("expected a name as key, found {}", describe(k)));
    const std::string& key = k.Scalar();
    const bool again = n.size() <= kSmall
                           ? std::any_of(out.begin(), out.end(), [&](const auto& e) { return e.first.Scalar() == key; })
                           : !seen.insert(key).second;
    if (again) ctx.fail(k, join(path, key), fmt::format("duplicate key \"{}\"", key));
    out.emplace_back(k, kv.second);
  }
  return out;
}

MapReader::MapReader(const Ctx& ctx, const yaml::Node& node, std::string path,
                     const std::vector<std::string>& keys)
    : ctx_(ctx), node_(node), path_(std::move(path)) {
  if (!node.IsMap()) {
    ctx.fail(node, path_, fmt::format("expected a mapping with keys {}, found {}",
                                      sim::join_alternatives(keys, false), describe(node)));
  }
  for (const auto& [k, v] : unique_entries(ctx, node, path_)) {
    const std::string& key = k.Scalar();
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    auto near = sim::closest_match(key, keys);
    ctx.fail_key(k, path_, join(path_, key),
             near ? fmt::format("unknown key \"{}\" (did you mean \"{}\"?)", key, *near)
                  : fmt::format("unknown key \"{}\"; expected one of {}", key,
                                sim::join_alternatives(keys)));
  }
}

bool MapReader::has(std::string_view key) const { return node_[key].IsDefined(); }

yaml::Node MapReader::get(std::string_view key) const { return node_[key]; }

void MapReader::require(const std::string& key, const std::string& example) const {
  if (!has(key)) {
    ctx_.fail(node_, path_, fmt::format("missing key \"{}\" (for example {})", key, example));
  }
}

namespace {
const std::string& scalar(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                          const std::string& expected) {
  if (!n.IsScalar()) ctx.fail(n, path, fmt::format("expected {}, found {}", expected, describe(n)));
  return n.Scalar();
}
}  // namespace

std::string read_string(const Ctx& ctx, const yaml::Node& n, const std::string& path) {
  const std::string& s = scalar(ctx, n, path, "a text");
  // Every output (CSV, JSON) carries the text: it must be UTF-8. The JSON library that
  // writes it is the judge.
  try {
    (void)nlohmann::json(s).dump();
  } catch (const nlohmann::json::exception&) {
    ctx.fail(n, path, "expected a text in UTF-8, found bytes that are not (save the file as UTF-8)");
  }
  // ... and one line of printable characters: the text is a field of every line of a runs
  // file, which --resume, merge and compare read back line by line, and a cell of the tables.
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) continue;
    ctx.fail(n, path, fmt::format("expected a text on one line, without control characters; found {}",
                                  c == '\n' || c == '\r' ? std::string("a line break")
                                  : c == '\t'           ? std::string("a tab")
                                                        : fmt::format("the control character U+{:04X}", u)));
  }
  return s;
}

namespace {
bool is_name(const std::string& s) {
  return !s.empty() && std::isalpha(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
         });
}
constexpr const char* kNameExpected = "expected a name (a letter, then letters, digits, \"_\" or \"-\"), found ";
}  // namespace

std::string read_name(const Ctx& ctx, const yaml::Node& n, const std::string& path) {
  const std::string& s = scalar(ctx, n, path, "a name");
  if (!is_name(s)) ctx.fail(n, path, kNameExpected + describe(n));
  return s;
}

std::string read_key_name(const Ctx& ctx, const yaml::Node& key, const std::string& path) {
  const std::string& s = scalar(ctx, key, path, "a name");
  if (!is_name(s)) ctx.fail_key(key, path, join(path, s), kNameExpected + describe(key));
  return s;
}

sim::Time read_duration(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                        bool positive) {
  const std::string& s = scalar(ctx, n, path, "a duration like \"250ms\"");
  auto r = sim::parse_duration(s);
  if (!r.ok()) ctx.fail(n, path, r.status().message(), r.status().offset().value_or(0));
  if (positive && r.value() <= sim::Time::zero()) {
    ctx.fail(n, path, fmt::format("expected a positive duration, found {}", describe(n)));
  }
  const sim::Time most = sim::Time::from_ns(sim::Distribution::kMaxSampleNs);
  if (r.value() > most) {
    ctx.fail(n, path,
             fmt::format("expected a duration of at most {} (the simulated clock holds 292 "
                         "years, with room for what is added to it), found {}",
                         sim::Distribution::kMaxSampleText, describe(n)));
  }
  return r.value();
}

double read_rate(const Ctx& ctx, const yaml::Node& n, const std::string& path) {
  const std::string& s = scalar(ctx, n, path, "a rate like \"200/s\"");
  auto r = sim::parse_rate(s);
  if (!r.ok()) ctx.fail(n, path, r.status().message(), r.status().offset().value_or(0));
  // Faster, the gaps between arrivals round to 0 ns and the clock stops.
  if (r.value() > 1e9) {
    ctx.fail(n, path,
             fmt::format("expected a rate of at most 1e9/s (one per nanosecond: the simulated "
                         "clock counts whole nanoseconds), found {}",
                         describe(n)));
  }
  return r.value();
}

double read_number(const Ctx& ctx, const yaml::Node& n, const std::string& path, double min,
                   double max) {
  const std::string& s = scalar(ctx, n, path, "a number");
  auto r = sim::parse_number(s);
  if (!r.ok()) {
    if (sim::looks_like_duration(s)) {
      ctx.fail(n, path, fmt::format("expected a plain number, found the duration {}", describe(n)));
    }
    ctx.fail(n, path, fmt::format("expected a number, found {}", describe(n)));
  }
  if (r.value() < min || r.value() > max) {
    ctx.fail(n, path, fmt::format("expected a number from {} to {}, found {}", min, max, describe(n)));
  }
  return r.value();
}

double read_probability(const Ctx& ctx, const yaml::Node& n, const std::string& path) {
  const std::string& s = scalar(ctx, n, path, "a probability from 0 to 1");
  auto r = sim::parse_number(s);
  if (!r.ok() || r.value() < 0 || r.value() > 1) {
    ctx.fail(n, path, fmt::format("expected a probability from 0 to 1, found {}", describe(n)));
  }
  return r.value();
}

uint64_t read_count(const Ctx& ctx, const yaml::Node& n, const std::string& path, uint64_t min,
                    uint64_t max) {
  const std::string& s = scalar(ctx, n, path, "a whole number");
  uint64_t v = 0;
  const bool digits = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
  bool overflow = false;
  if (digits) {
    for (char c : s) {
      if (c == '_') continue;
      const auto d = static_cast<uint64_t>(c - '0');
      if (v > (UINT64_MAX - d) / 10) {  // v * 10 + d would not fit
        overflow = true;
        break;
      }
      v = v * 10 + d;
    }
  }
  if (!digits || overflow || v < min || v > max) {
    const std::string range = max == UINT32_MAX || max == UINT64_MAX
                                  ? fmt::format("a whole number of at least {}", min)
                                  : fmt::format("a whole number from {} to {}", min, max);
    ctx.fail(n, path, fmt::format("expected {}, found {}", range, describe(n)));
  }
  return v;
}

bool read_bool(const Ctx& ctx, const yaml::Node& n, const std::string& path) {
  const std::string& s = scalar(ctx, n, path, "true or false");
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  ctx.fail(n, path, fmt::format("expected true or false, found {}", describe(n)));
}

sim::Distribution read_distribution(const Ctx& ctx, const yaml::Node& n, const std::string& path) {
  const std::string& s = scalar(ctx, n, path, "a distribution like \"exp(5ms)\"");
  auto r = sim::Distribution::parse(s);
  if (!r.ok()) ctx.fail(n, path, r.status().message(), r.status().offset().value_or(0));
  return r.value();
}

sim::Distribution read_mean_time(const Ctx& ctx, const yaml::Node& n, const std::string& path) {
  if (n.IsScalar() && sim::looks_like_duration(n.Scalar())) {
    const sim::Time mean = read_duration(ctx, n, path, true);
    return sim::Distribution::exponential(mean);
  }
  sim::Distribution d = read_distribution(ctx, n, path);
  if (d.mean_ns() <= 0) {
    ctx.fail(n, path, fmt::format("expected a positive mean time, found {}", describe(n)));
  }
  return d;
}

std::string read_choice(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                        const std::vector<std::string>& choices) {
  const std::string& s = scalar(ctx, n, path, "one of " + sim::join_alternatives(choices));
  if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
  auto near = sim::closest_match(s, choices);
  ctx.fail(n, path,
           fmt::format("expected {}, found {}{}", sim::join_alternatives(choices), describe(n),
                       near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
}

yaml::Node expect_sequence(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                                  const std::string& example) {
  if (!n.IsSequence()) {
    ctx.fail(n, path, fmt::format("expected a list like {}, found {}", example, describe(n)));
  }
  return n;
}

}  // namespace app
