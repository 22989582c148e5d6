// Parameters by kind (a_, b_):
//   kConst        a = value
//   kUniform      a = min, b = max
//   kExponential  a = mean
//   kNormal       a = mean of the untruncated normal, b = its sd
//   kLognormal    a = mu (of ln ns), b = sigma
//   kGamma        a = shape, b = scale
//   kWeibull      a = shape, b = scale
//   kPareto       a = shape, b = scale (minimum)
//   kEmpiricalSamples    xs_ = samples
//   kEmpiricalQuantiles  ps_ = probabilities (0 .. 1), xs_ = values
#include "sim/distribution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <optional>

#include "sim/suggest.hpp"
#include "sim/units.hpp"

namespace sim {

namespace {
thread_local uint64_t g_clamped_samples = 0;
}  // namespace

Time Distribution::clamp_sample() {
  ++g_clamped_samples;
  return Time::from_ns(kMaxSampleNs);
}
uint64_t Distribution::clamped_samples() { return g_clamped_samples; }

namespace {

constexpr double kZ99 = 2.3263478740408408;  // standard normal quantile at 0.99
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLnNsPerS = 20.72326583694641;  // ln(1e9)

double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// ---------------------------------------------------------------- the text parser
// dist   := duration | name "(" [arg {"," arg}] ")"
// arg    := [key ":"] value
// value  := token | "[" token {"," token} "]"
struct Token {
  std::string text;
  size_t offset = 0;
};
struct Arg {
  std::optional<Token> key;
  Token value;              // for a scalar
  std::vector<Token> list;  // for a [..] list
  bool is_list = false;
  size_t offset = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  void skip() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t')) ++i_;
  }
  bool at_end() {
    skip();
    return i_ >= t_.size();
  }
  bool eat(char c) {
    skip();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  size_t pos() const { return i_; }
  char peek() {
    skip();
    return i_ < t_.size() ? t_[i_] : '\0';
  }
  static bool token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           c == '+' || c == '/';
  }
  Token token() {
    skip();
    Token tok{"", i_};
    while (i_ < t_.size() && token_char(t_[i_])) tok.text += t_[i_++];
    return tok;
  }
  std::string_view rest() const { return t_.substr(i_); }

 private:
  std::string_view t_;
  size_t i_ = 0;
};

std::string found(std::string_view s) {
  if (s.empty()) return "the end of the text";
  return fmt::format("\"{}\"", s);
}

Result<std::vector<Arg>> parse_args(Parser& p, const std::string& name) {
  std::vector<Arg> args;
  if (p.eat(')')) return args;
  for (;;) {
    Arg a;
    a.offset = p.pos();
    if (p.eat('[')) {
      a.is_list = true;
      if (!p.eat(']')) {
        for (;;) {
          Token v = p.token();
          if (v.text.empty()) {
            return Status::invalid_at(p.pos(), fmt::format("{}: expected a value in the list, found {}",
                                                           name, found(p.rest())));
          }
          a.list.push_back(v);
          if (p.eat(']')) break;
          if (!p.eat(',')) {
            return Status::invalid_at(p.pos(), fmt::format("{}: expected \",\" or \"]\", found {}",
                                                           name, found(p.rest())));
          }
        }
      }
    } else {
      Token first = p.token();
      if (first.text.empty()) {
        return Status::invalid_at(p.pos(), fmt::format("{}: expected a parameter, found {}",
                                                       name, found(p.rest())));
      }
      if (p.eat(':')) {
        a.key = first;
        if (p.peek() == '[') {
          return Status::invalid_at(p.pos(), fmt::format("{}: a list is not a value for \"{}\"",
                                                         name, first.text));
        }
        a.value = p.token();
        if (a.value.text.empty()) {
          return Status::invalid_at(
              p.pos(), fmt::format("{}: expected a value for \"{}\", found {}", name,
                                   first.text, found(p.rest())));
        }
      } else {
        a.value = first;
      }
    }
    args.push_back(std::move(a));
    if (p.eat(')')) return args;
    if (!p.eat(',')) {
      return Status::invalid_at(p.pos(), fmt::format("{}: expected \",\" or \")\", found {}", name,
                                                     found(p.rest())));
    }
  }
}


// The arguments of one distribution, looked up by name or position.
class Args {
 public:
  Args(std::string name, std::vector<Arg> args, size_t close_offset)
      : name_(std::move(name)), args_(std::move(args)), close_(close_offset) {}

  const std::vector<Arg>& all() const { return args_; }
  const std::string& name() const { return name_; }
  size_t close_offset() const { return close_; }

  // Checks that the named arguments are exactly one of the allowed sets of keys (positional
  // arguments are allowed only where `positional` says how many).
  Result<size_t> match(const std::vector<std::vector<std::string>>& forms,
                       const std::string& usage) const {
    std::vector<std::string> keys;
    for (const Arg& a : args_) {
      if (a.key) keys.push_back(a.key->text);
    }
    for (const Arg& a : args_) {
      if (!a.key) continue;
      bool known = false;
      std::vector<std::string> all_keys;
      for (const auto& f : forms) {
        for (const auto& k : f) {
          all_keys.push_back(k);
          known = known || k == a.key->text;
        }
      }
      if (!known) {
        auto near = closest_match(a.key->text, all_keys);
        return Status::invalid_at(
            a.key->offset,
            fmt::format("{}: unknown parameter \"{}\"{}; expected {}", name_, a.key->text,
                        near ? fmt::format(" (did you mean \"{}\"?)", *near) : "", usage));
      }
    }
    for (size_t i = 0; i < forms.size(); ++i) {
      std::vector<std::string> want = forms[i];
      std::vector<std::string> have = keys;
      std::sort(want.begin(), want.end());
      std::sort(have.begin(), have.end());
      if (want == have) return i;
    }
    return Status::invalid_at(args_.empty() ? close_ : args_.front().offset,
                              fmt::format("{}: expected {}", name_, usage));
  }

  const Arg& get(const std::string& key) const {
    for (const Arg& a : args_) {
      if (a.key && a.key->text == key) return a;
    }
    SIM_ASSERT(false, "get() of a parameter match() did not check");
    return args_.front();
  }

  Result<double> duration(const Arg& a) const {
    if (a.is_list) {
      return Status::invalid_at(a.offset, fmt::format("{}: expected a duration, found a list", name_));
    }
    auto d = parse_duration(a.value.text);
    if (!d.ok()) {
      return Status::invalid_at(a.value.offset + d.status().offset().value_or(0),
                                fmt::format("{}{}: {}", name_,
                                            a.key ? fmt::format(" {}", a.key->text) : "",
                                            d.status().message()));
    }
    return static_cast<double>(d.value().ns());
  }
  Result<double> positive_duration(const Arg& a) const {
    auto d = duration(a);
    if (d.ok() && d.value() <= 0) {
      return Status::invalid_at(a.value.offset,
                                fmt::format("{}{}: expected a positive duration, found \"{}\"",
                                            name_, a.key ? fmt::format(" {}", a.key->text) : "",
                                            a.value.text));
    }
    return d;
  }
  Result<double> number(const Arg& a, bool positive) const {
    if (a.is_list) {
      return Status::invalid_at(a.offset, fmt::format("{}: expected a number, found a list", name_));
    }
    const std::string what = a.key ? fmt::format(" {}", a.key->text) : "";
    if (looks_like_duration(a.value.text) && a.value.text != "0") {
      return Status::invalid_at(a.value.offset,
                                fmt::format("{}{}: expected a plain number, found the duration \"{}\"",
                                            name_, what, a.value.text));
    }
    auto v = parse_number(a.value.text);
    if (!v.ok()) {
      return Status::invalid_at(a.value.offset, fmt::format("{}{}: expected a number, found \"{}\"",
                                                            name_, what, a.value.text));
    }
    if (positive && v.value() <= 0) {
      return Status::invalid_at(a.value.offset,
                                fmt::format("{}{}: expected a positive number, found \"{}\"",
                                            name_, what, a.value.text));
    }
    return v.value();
  }

 private:
  std::string name_;
  std::vector<Arg> args_;
  size_t close_;
};

#define SIM_TRY_ASSIGN(var, expr)      \
  auto var##_r = (expr);               \
  if (!var##_r.ok()) return var##_r.status(); \
  const double var = var##_r.value()

Result<Distribution> positional_or_named(const Args& a, const std::string& key,
                                         Distribution (*make)(Time)) {
  if (a.all().size() == 1 && !a.all()[0].key) {
    auto v = a.duration(a.all()[0]);
    if (!v.ok()) return v.status();
    return make(Time::from_ns(static_cast<int64_t>(v.value())));
  }
  auto form = a.match({{key}}, fmt::format("one duration, e.g. {}(5ms)", a.name()));
  if (!form.ok()) return form.status();
  auto v = a.duration(a.get(key));
  if (!v.ok()) return v.status();
  return make(Time::from_ns(static_cast<int64_t>(v.value())));
}

Result<Distribution> make_uniform(const Args& a) {
  const auto& all = a.all();
  const Arg* lo = nullptr;
  const Arg* hi = nullptr;
  if (all.size() == 2 && !all[0].key && !all[1].key) {
    lo = &all[0];
    hi = &all[1];
  } else {
    auto form = a.match({{"min", "max"}}, "min and max, e.g. uniform(1ms, 5ms)");
    if (!form.ok()) return form.status();
    lo = &a.get("min");
    hi = &a.get("max");
  }
  SIM_TRY_ASSIGN(l, a.duration(*lo));
  SIM_TRY_ASSIGN(h, a.duration(*hi));
  if (h < l) {
    return Status::invalid_at(hi->value.offset,
                              fmt::format("uniform: max \"{}\" is below min \"{}\"", hi->value.text,
                                          lo->value.text));
  }
  return Distribution::uniform(Time::from_ns(static_cast<int64_t>(l)),
                               Time::from_ns(static_cast<int64_t>(h)));
}

Result<Distribution> make_normal(const Args& a) {
  auto form = a.match({{"mean", "sd"}}, "mean and sd, e.g. normal(mean: 5ms, sd: 1ms)");
  if (!form.ok()) return form.status();
  SIM_TRY_ASSIGN(mean, a.duration(a.get("mean")));
  SIM_TRY_ASSIGN(sd, a.duration(a.get("sd")));
  return Distribution::normal(Time::from_ns(static_cast<int64_t>(mean)),
                              Time::from_ns(static_cast<int64_t>(sd)));
}

Result<Distribution> make_lognormal(const Args& a) {
  const std::string usage =
      "median with p99, median with sigma, mean with sd, or mu with sigma, e.g. "
      "lognormal(median: 2ms, p99: 40ms)";
  auto form = a.match({{"median", "p99"}, {"median", "sigma"}, {"mean", "sd"}, {"mu", "sigma"}},
                      usage);
  if (!form.ok()) return form.status();
  switch (form.value()) {
    case 0: {
      SIM_TRY_ASSIGN(median, a.positive_duration(a.get("median")));
      SIM_TRY_ASSIGN(p99, a.positive_duration(a.get("p99")));
      if (p99 <= median) {
        return Status::invalid_at(a.get("p99").value.offset,
                                  fmt::format("lognormal: p99 \"{}\" must be above the median \"{}\"",
                                              a.get("p99").value.text, a.get("median").value.text));
      }
      return Distribution::lognormal(std::log(median), (std::log(p99) - std::log(median)) / kZ99);
    }
    case 1: {
      SIM_TRY_ASSIGN(median, a.positive_duration(a.get("median")));
      SIM_TRY_ASSIGN(sigma, a.number(a.get("sigma"), true));
      return Distribution::lognormal(std::log(median), sigma);
    }
    case 2: {
      SIM_TRY_ASSIGN(mean, a.positive_duration(a.get("mean")));
      SIM_TRY_ASSIGN(sd, a.positive_duration(a.get("sd")));
      const double s2 = std::log1p((sd * sd) / (mean * mean));
      return Distribution::lognormal(std::log(mean) - s2 / 2, std::sqrt(s2));
    }
    default: {
      SIM_TRY_ASSIGN(mu_s, a.number(a.get("mu"), false));
      SIM_TRY_ASSIGN(sigma, a.number(a.get("sigma"), true));
      return Distribution::lognormal(mu_s + kLnNsPerS, sigma);
    }
  }
}

Result<Distribution> make_gamma(const Args& a, bool erlang) {
  const std::string k = erlang ? "k" : "shape";
  const std::string usage = erlang ? "k with mean or scale, e.g. erlang(k: 3, mean: 6ms)"
                                   : "shape with mean or scale, e.g. gamma(shape: 2, mean: 5ms)";
  auto form = a.match({{k, "mean"}, {k, "scale"}}, usage);
  if (!form.ok()) return form.status();
  SIM_TRY_ASSIGN(shape, a.number(a.get(k), true));
  if (erlang && shape != std::floor(shape)) {
    return Status::invalid_at(a.get(k).value.offset,
                              fmt::format("erlang: k must be a whole number, found \"{}\"",
                                          a.get(k).value.text));
  }
  if (form.value() == 0) {
    SIM_TRY_ASSIGN(mean, a.positive_duration(a.get("mean")));
    return Distribution::gamma(shape, Time::from_seconds(mean / shape * 1e-9));
  }
  SIM_TRY_ASSIGN(scale, a.positive_duration(a.get("scale")));
  return Distribution::gamma(shape, Time::from_ns(static_cast<int64_t>(scale)));
}

Result<Distribution> make_weibull(const Args& a) {
  auto form = a.match({{"shape", "scale"}}, "shape and scale, e.g. weibull(shape: 1.5, scale: 5ms)");
  if (!form.ok()) return form.status();
  SIM_TRY_ASSIGN(shape, a.number(a.get("shape"), true));
  SIM_TRY_ASSIGN(scale, a.positive_duration(a.get("scale")));
  return Distribution::weibull(shape, Time::from_ns(static_cast<int64_t>(scale)));
}

Result<Distribution> make_pareto(const Args& a) {
  auto form = a.match({{"shape", "scale"}, {"shape", "mean"}},
                      "shape with scale (the minimum) or mean, e.g. pareto(shape: 2.5, scale: 1ms)");
  if (!form.ok()) return form.status();
  SIM_TRY_ASSIGN(shape, a.number(a.get("shape"), true));
  if (form.value() == 0) {
    SIM_TRY_ASSIGN(scale, a.positive_duration(a.get("scale")));
    return Distribution::pareto(shape, Time::from_ns(static_cast<int64_t>(scale)));
  }
  if (shape <= 1) {
    return Status::invalid_at(a.get("shape").value.offset,
                              fmt::format("pareto: a mean exists only for shape > 1, found \"{}\"; "
                                          "give scale instead",
                                          a.get("shape").value.text));
  }
  SIM_TRY_ASSIGN(mean, a.positive_duration(a.get("mean")));
  return Distribution::pareto(shape, Time::from_seconds(mean * (shape - 1) / shape * 1e-9));
}

Result<Distribution> make_empirical(const Args& a) {
  const auto& all = a.all();
  if (all.size() == 1 && all[0].is_list && !all[0].key) {
    std::vector<double> xs;
    for (const Token& t : all[0].list) {
      auto d = parse_duration(t.text);
      if (!d.ok()) {
        return Status::invalid_at(t.offset + d.status().offset().value_or(0),
                                  fmt::format("empirical: {}", d.status().message()));
      }
      xs.push_back(static_cast<double>(d.value().ns()));
    }
    if (xs.empty()) {
      return Status::invalid_at(all[0].offset, "empirical: the list of samples is empty");
    }
    return Distribution::empirical_samples(std::move(xs));
  }
  const std::string usage =
      "a list of samples, e.g. empirical([1ms, 2ms, 5ms]), or quantiles from 0 to 1, e.g. "
      "empirical(0: 1ms, 0.5: 2ms, 1: 20ms)";
  std::vector<std::pair<double, double>> pts;
  for (const Arg& arg : all) {
    if (!arg.key || arg.is_list) return Status::invalid_at(arg.offset, "empirical: expected " + usage);
    auto p = parse_number(arg.key->text);
    if (!p.ok() || p.value() < 0 || p.value() > 1) {
      return Status::invalid_at(arg.key->offset,
                                fmt::format("empirical: expected a probability from 0 to 1 "
                                            "before \":\", found \"{}\"",
                                            arg.key->text));
    }
    auto d = a.duration(arg);
    if (!d.ok()) return d.status();
    if (!pts.empty() && (p.value() <= pts.back().first || d.value() < pts.back().second)) {
      return Status::invalid_at(arg.key->offset,
                                "empirical: quantiles must increase in probability and not "
                                "decrease in value");
    }
    pts.emplace_back(p.value(), d.value());
  }
  if (pts.size() < 2 || pts.front().first != 0.0 || pts.back().first != 1.0) {
    return Status::invalid_at(all.empty() ? a.close_offset() : all.front().offset,
                              "empirical: quantiles must start at probability 0 and end at 1");
  }
  return Distribution::empirical_quantiles(std::move(pts));
}

const std::vector<std::string>& kind_names() {
  static const std::vector<std::string> names{"const",   "uniform", "exp",     "exponential",
                                              "normal",  "lognormal", "gamma", "erlang",
                                              "weibull", "pareto",  "empirical"};
  return names;
}

}  // namespace

// ---------------------------------------------------------------- constructors
Distribution Distribution::constant(Time v) {
  Distribution d;
  d.kind_ = Kind::kConst;
  d.a_ = static_cast<double>(v.ns());
  return d;
}
Distribution Distribution::uniform(Time lo, Time hi) {
  Distribution d;
  d.kind_ = Kind::kUniform;
  d.a_ = static_cast<double>(lo.ns());
  d.b_ = static_cast<double>(hi.ns());
  return d;
}
Distribution Distribution::exponential(Time mean) {
  Distribution d;
  d.kind_ = Kind::kExponential;
  d.a_ = static_cast<double>(mean.ns());
  return d;
}
Distribution Distribution::normal(Time mean, Time sd) {
  if (sd == Time::zero()) return constant(mean);
  Distribution d;
  d.kind_ = Kind::kNormal;
  d.a_ = static_cast<double>(mean.ns());
  d.b_ = static_cast<double>(sd.ns());
  return d;
}
Distribution Distribution::lognormal(double mu_ln_ns, double sigma) {
  Distribution d;
  d.kind_ = Kind::kLognormal;
  d.a_ = mu_ln_ns;
  d.b_ = sigma;
  return d;
}
Distribution Distribution::gamma(double shape, Time scale) {
  Distribution d;
  d.kind_ = Kind::kGamma;
  d.a_ = shape;
  d.b_ = static_cast<double>(scale.ns());
  return d;
}
Distribution Distribution::weibull(double shape, Time scale) {
  Distribution d;
  d.kind_ = Kind::kWeibull;
  d.a_ = shape;
  d.b_ = static_cast<double>(scale.ns());
  return d;
}
Distribution Distribution::pareto(double shape, Time scale) {
  Distribution d;
  d.kind_ = Kind::kPareto;
  d.a_ = shape;
  d.b_ = static_cast<double>(scale.ns());
  return d;
}
Distribution Distribution::empirical_samples(std::vector<double> samples_ns) {
  SIM_ASSERT(!samples_ns.empty(), "empirical distribution without samples");
  Distribution d;
  d.kind_ = Kind::kEmpiricalSamples;
  d.xs_ = std::move(samples_ns);
  return d;
}
Distribution Distribution::empirical_quantiles(std::vector<std::pair<double, double>> points) {
  SIM_ASSERT(points.size() >= 2 && points.front().first == 0.0 && points.back().first == 1.0,
             "empirical quantiles must run from 0 to 1");
  Distribution d;
  d.kind_ = Kind::kEmpiricalQuantiles;
  for (auto [p, x] : points) {
    d.ps_.push_back(p);
    d.xs_.push_back(x);
  }
  return d;
}

// ---------------------------------------------------------------- parse
namespace {
// The offset of a '+' outside parentheses and brackets, or npos.
size_t top_level_plus(std::string_view text) {
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (c == '+' && depth == 0) return i;
  }
  return std::string_view::npos;
}
}  // namespace

Result<Distribution> Distribution::parse(std::string_view text) {
  if (const size_t plus = top_level_plus(text); plus != std::string_view::npos) {
    // "SHIFT + DIST" or "DIST + SHIFT": one side is a plain duration.
    const std::string_view left = text.substr(0, plus), right = text.substr(plus + 1);
    const auto is_duration = [](std::string_view t) {
      return looks_like_duration(t) || (!t.empty() && t.find_first_not_of(" 0") == std::string_view::npos);
    };
    const bool left_is_shift = is_duration(left);
    if (!left_is_shift && !is_duration(right)) {
      return Status::invalid_at(0, fmt::format("expected a constant duration on one side of \"+\", "
                                               "e.g. \"0.2ms + exp(0.3ms)\", found \"{}\"",
                                               text));
    }
    const std::string_view shift_text = left_is_shift ? left : right;
    const std::string_view dist_text = left_is_shift ? right : left;
    const size_t shift_at = left_is_shift ? 0 : plus + 1, dist_at = left_is_shift ? plus + 1 : 0;
    auto shift = parse_duration(shift_text);
    if (!shift.ok()) {
      return Status::invalid_at(shift_at + shift.status().offset().value_or(0),
                                fmt::format("expected \"DURATION + DISTRIBUTION\", e.g. \"0.2ms + "
                                            "exp(0.3ms)\": {}",
                                            shift.status().message()));
    }
    if (top_level_plus(dist_text) != std::string_view::npos) {
      return Status::invalid_at(dist_at + top_level_plus(dist_text),
                                "only one constant can be added to a distribution");
    }
    auto d = parse(dist_text);
    if (!d.ok()) {
      return Status::invalid_at(dist_at + d.status().offset().value_or(0), d.status().message());
    }
    return d.value().shifted(shift.value());
  }
  Parser p(text);
  if (p.at_end()) {
    return Status::invalid_at(p.pos(), "expected a distribution like \"exp(5ms)\", found nothing");
  }
  const size_t start = p.pos();
  Token name = p.token();
  if (!p.eat('(')) {
    // A bare duration is a constant.
    auto d = parse_duration(text);
    if (d.ok()) return constant(d.value());
    if (!name.text.empty() && !std::isdigit(static_cast<unsigned char>(name.text[0])) &&
        name.text[0] != '.') {
      auto near = closest_match(name.text, kind_names());
      return Status::invalid_at(
          start, fmt::format("expected a distribution like \"exp(5ms)\" or a duration like "
                             "\"5ms\", found \"{}\"{}",
                             std::string(text.substr(start)),
                             near ? fmt::format(" (did you mean \"{}(...)\"?)", *near) : ""));
    }
    return Status::invalid_at(d.status().offset().value_or(start),
                              fmt::format("expected a distribution like \"exp(5ms)\" or a "
                                          "duration: {}",
                                          d.status().message()));
  }
  const auto& names = kind_names();
  if (std::find(names.begin(), names.end(), name.text) == names.end()) {
    auto near = closest_match(name.text, names);
    return Status::invalid_at(
        name.offset,
        fmt::format("unknown distribution \"{}\"{}; expected one of {}", name.text,
                    near ? fmt::format(" (did you mean \"{}\"?)", *near) : "",
                    join_alternatives(names)));
  }
  auto args = parse_args(p, name.text);
  if (!args.ok()) return args.status();
  const size_t close = p.pos() > 0 ? p.pos() - 1 : 0;
  if (!p.at_end()) {
    return Status::invalid_at(p.pos(), fmt::format("unexpected {} after the distribution",
                                                   found(p.rest())));
  }
  Args a(name.text, std::move(args).value(), close);
  const std::string& n = name.text;
  if (n == "const") return positional_or_named(a, "value", &Distribution::constant);
  if (n == "exp" || n == "exponential") {
    return positional_or_named(a, "mean", &Distribution::exponential);
  }
  if (n == "uniform") return make_uniform(a);
  if (n == "normal") return make_normal(a);
  if (n == "lognormal") return make_lognormal(a);
  if (n == "gamma") return make_gamma(a, false);
  if (n == "erlang") return make_gamma(a, true);
  if (n == "weibull") return make_weibull(a);
  if (n == "pareto") return make_pareto(a);
  return make_empirical(a);
}

// ---------------------------------------------------------------- sampling
namespace {
// Marsaglia and Tsang (2000), "A simple method for generating gamma variables".
// REQUIRES: shape >= 1. Returns a Gamma(shape, 1) draw.
double gamma_unit(double shape, Rng& rng) {
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0, v = 0;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform_pos();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}
}  // namespace

double Distribution::sample_unshifted(Rng& rng) const {
  switch (kind_) {
    case Kind::kConst:
      return a_;
    case Kind::kUniform:
      return a_ + (b_ - a_) * rng.uniform();
    case Kind::kExponential:
      return rng.exponential(a_);
    case Kind::kNormal:
      for (;;) {  // mean >= 0, so each try succeeds with probability >= 1/2
        const double x = a_ + b_ * rng.normal();
        if (x >= 0) return x;
      }
    case Kind::kLognormal:
      return std::exp(a_ + b_ * rng.normal());
    case Kind::kGamma:
      if (a_ >= 1) return b_ * gamma_unit(a_, rng);
      // Boosting for shape < 1: Gamma(a) = Gamma(a + 1) * U^(1/a).
      return b_ * gamma_unit(a_ + 1, rng) * std::pow(rng.uniform_pos(), 1.0 / a_);
    case Kind::kWeibull:
      return b_ * std::pow(-std::log(rng.uniform_pos()), 1.0 / a_);
    case Kind::kPareto:
      return b_ * std::pow(rng.uniform_pos(), -1.0 / a_);
    case Kind::kEmpiricalSamples:
      return xs_[rng.below(xs_.size())];
    case Kind::kEmpiricalQuantiles: {
      const double u = rng.uniform();
      const auto it = std::upper_bound(ps_.begin(), ps_.end(), u);
      const size_t hi = std::min<size_t>(static_cast<size_t>(it - ps_.begin()), ps_.size() - 1);
      const size_t lo = hi - 1;
      const double f = (u - ps_[lo]) / (ps_[hi] - ps_[lo]);
      return xs_[lo] + f * (xs_[hi] - xs_[lo]);
    }
  }
  return 0;
}

// ---------------------------------------------------------------- moments
Distribution Distribution::shifted(Time by) const {
  SIM_ASSERT(by >= Time::zero(), "negative shift");
  Distribution d = *this;
  d.shift_ += static_cast<double>(by.ns());
  return d;
}

double Distribution::mean_ns() const { return shift_ + mean_unshifted(); }

double Distribution::mean_unshifted() const {
  switch (kind_) {
    case Kind::kConst:
      return a_;
    case Kind::kUniform:
      return (a_ + b_) / 2;
    case Kind::kExponential:
      return a_;
    case Kind::kNormal: {
      const double alpha = -a_ / b_;
      return a_ + b_ * phi(alpha) / (1 - Phi(alpha));
    }
    case Kind::kLognormal:
      return std::exp(a_ + b_ * b_ / 2);
    case Kind::kGamma:
      return a_ * b_;
    case Kind::kWeibull:
      return b_ * std::tgamma(1 + 1 / a_);
    case Kind::kPareto:
      return a_ > 1 ? a_ * b_ / (a_ - 1) : kInf;
    case Kind::kEmpiricalSamples: {
      double s = 0;
      for (double x : xs_) s += x;
      return s / static_cast<double>(xs_.size());
    }
    case Kind::kEmpiricalQuantiles: {
      double m = 0;
      for (size_t i = 0; i + 1 < xs_.size(); ++i) m += (ps_[i + 1] - ps_[i]) * (xs_[i] + xs_[i + 1]) / 2;
      return m;
    }
  }
  return 0;
}

double Distribution::variance_ns2() const {
  const double m = mean_unshifted();
  switch (kind_) {
    case Kind::kConst:
      return 0;
    case Kind::kUniform:
      return (b_ - a_) * (b_ - a_) / 12;
    case Kind::kExponential:
      return a_ * a_;
    case Kind::kNormal: {
      const double alpha = -a_ / b_;
      const double lambda = phi(alpha) / (1 - Phi(alpha));
      return b_ * b_ * (1 + alpha * lambda - lambda * lambda);
    }
    case Kind::kLognormal:
      return std::expm1(b_ * b_) * std::exp(2 * a_ + b_ * b_);
    case Kind::kGamma:
      return a_ * b_ * b_;
    case Kind::kWeibull: {
      const double g1 = std::tgamma(1 + 1 / a_);
      return b_ * b_ * (std::tgamma(1 + 2 / a_) - g1 * g1);
    }
    case Kind::kPareto:
      return a_ > 2 ? b_ * b_ * a_ / ((a_ - 1) * (a_ - 1) * (a_ - 2)) : kInf;
    case Kind::kEmpiricalSamples: {
      double s = 0;
      for (double x : xs_) s += (x - m) * (x - m);
      return s / static_cast<double>(xs_.size());
    }
    case Kind::kEmpiricalQuantiles: {
      double m2 = 0;
      for (size_t i = 0; i + 1 < xs_.size(); ++i) {
        const double lo = xs_[i], hi = xs_[i + 1];
        m2 += (ps_[i + 1] - ps_[i]) * (lo * lo + lo * hi + hi * hi) / 3;
      }
      return m2 - m * m;
    }
  }
  return 0;
}

// ---------------------------------------------------------------- text form
namespace {
std::string dur(double ns) { return Time::from_ns(static_cast<int64_t>(std::llround(ns))).to_string(); }
}  // namespace

std::string Distribution::to_string() const {
  if (shift_ != 0) {
    Distribution base = *this;
    base.shift_ = 0;
    return fmt::format("{} + {}", dur(shift_), base.to_string());
  }
  switch (kind_) {
    case Kind::kConst:
      return dur(a_);
    case Kind::kUniform:
      return fmt::format("uniform({}, {})", dur(a_), dur(b_));
    case Kind::kExponential:
      return fmt::format("exp({})", dur(a_));
    case Kind::kNormal:
      return fmt::format("normal(mean: {}, sd: {})", dur(a_), dur(b_));
    case Kind::kLognormal:
      return fmt::format("lognormal(mu: {:.6g}, sigma: {:.6g})", a_ - kLnNsPerS, b_);
    case Kind::kGamma:
      return fmt::format("gamma(shape: {:.6g}, scale: {})", a_, dur(b_));
    case Kind::kWeibull:
      return fmt::format("weibull(shape: {:.6g}, scale: {})", a_, dur(b_));
    case Kind::kPareto:
      return fmt::format("pareto(shape: {:.6g}, scale: {})", a_, dur(b_));
    case Kind::kEmpiricalSamples: {
      std::string s = "empirical([";
      for (size_t i = 0; i < xs_.size(); ++i) s += (i ? ", " : "") + dur(xs_[i]);
      return s + "])";
    }
    case Kind::kEmpiricalQuantiles: {
      std::string s = "empirical(";
      for (size_t i = 0; i < xs_.size(); ++i) {
        s += fmt::format("{}{:.6g}: {}", i ? ", " : "", ps_[i], dur(xs_[i]));
      }
      return s + ")";
    }
  }
  return "?";
}

}  // namespace sim
