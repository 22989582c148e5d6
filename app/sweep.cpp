#include "app/sweep.hpp"

#include "models/timeseries.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <optional>
#include <thread>

#include "app/report.hpp"
#include "app/runner.hpp"
#include "sim/units.hpp"

namespace app {
namespace {

// The range a metric's values live in (differences of two: twice as wide, centred on 0).
struct Range {
  double lo = 0, hi = INFINITY;
};

// Mean, sample standard deviation and the 95% Student-t interval of the mean, clamped to
// `range`.
Stats describe(const std::vector<double>& all, Range range) {
  // A replication whose figure is undefined (an empty field: the mean latency of a run
  // without transactions) has nothing to say about it: n counts the others.
  std::vector<double> xs;
  for (double x : all) {
    if (!std::isnan(x)) xs.push_back(x);
  }
  Stats s;
  s.n = xs.size();
  if (s.n == 0) {
    s.mean = s.sd = NAN;
    return s;
  }
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n < 2) return s;
  double ss = 0;
  for (double x : xs) ss += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(ss / static_cast<double>(s.n - 1));
  const boost::math::students_t t(static_cast<double>(s.n - 1));
  const double half = boost::math::quantile(boost::math::complement(t, 0.025)) * s.sd /
                      std::sqrt(static_cast<double>(s.n));
  s.lo = std::max(range.lo, s.mean - half);
  s.hi = std::min(range.hi, s.mean + half);
  s.interval = "t";
  return s;
}

// A per-transaction proportion over the replications: the t interval of the replications'
// values as the second opinion, and the Wilson interval of the pooled counts as the interval.
Stats describe_proportion(const std::vector<double>& xs, double successes, double trials) {
  Stats s = describe(xs, {0, 1});
  if (s.n < 2 || !(trials > 0)) return s;
  s.t_lo = s.lo;
  s.t_hi = s.hi;
  std::tie(s.lo, s.hi) = wilson95(successes, trials);
  s.interval = "wilson";
  return s;
}

// The outcome counts: each transaction has one outcome, so a count over the transactions
// is a proportion (and its rate per transaction gets a Wilson interval).
const std::vector<std::string>& outcome_counts() {
  static const std::vector<std::string> v{"committed", "degraded", "aborted", "failed", "blocked",
                                          "violated", "unfinished", "changed_decisions"};
  return v;
}
// Counts that may exceed one per transaction: their rate per transaction gets a t interval.
const std::vector<std::string>& event_counts() {
  static const std::vector<std::string> v{"exposures", "technical_errors", "suppressed_duplicates",
                                          "unilateral_decisions", "dead_letters",
                                          "duplicate_deliveries", "broker_messages", "spans_lost"};
  return v;
}
bool is_fraction(const std::string& m) {
  // (A service's utilisation and availability, NAME.utilisation: time averages in [0, 1].)
  if (m.find('.') != std::string::npos) return m.ends_with(".utilisation") || m.ends_with(".availability");
  return m == "availability" || m == "partial_time_fraction" || m == "blocked_fraction" ||
         m == "trace_completeness" ||
         (m.size() > 8 && m.compare(m.size() - 8, 8, "_per_txn") == 0 &&
          std::find(outcome_counts().begin(), outcome_counts().end(), m.substr(0, m.size() - 8)) !=
              outcome_counts().end());
}
// Per-transaction proportions that pool: a count of transactions out of the transactions.
// (Trace completeness is a fraction of the traced transactions, not of all: it does not pool.)
bool pools(const std::string& m) {
  return is_fraction(m) && m != "partial_time_fraction" && m != "trace_completeness" &&
         m.find('.') == std::string::npos;
}

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : ""; }


// A range's bound: a plain number or a duration (in ns); `is_time` says which.
// A bare 0 fits either kind and takes the kind of the other bounds.
struct Bound {
  double v = 0;
  bool is_time = false;
  bool either = false;
};
std::optional<Bound> read_bound(const std::string& t) {
  if (sim::looks_like_duration(t)) {
    auto d = sim::parse_duration(t);
    if (d.ok()) return Bound{static_cast<double>(d.value().ns()), true, false};
  }
  auto n = sim::parse_number(t);
  if (n.ok()) return Bound{n.value(), false, n.value() == 0};
  return std::nullopt;
}
// Returns true iff the bounds are all numbers or all durations (a bare 0 fits both), and
// sets is_time accordingly.
bool same_kind(std::initializer_list<Bound*> bounds, bool& is_time) {
  std::optional<bool> kind;
  for (const Bound* b : bounds) {
    if (b->either) continue;
    if (kind && *kind != b->is_time) return false;
    kind = b->is_time;
  }
  is_time = kind.value_or(false);
  return true;
}
std::string format_bound(double v, bool is_time) {
  if (is_time) return sim::Time::from_ns(static_cast<int64_t>(std::llround(v))).to_string();
  return fmt::format("{:.10g}", v);
}
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + sep) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

// Expands "START:STOP:STEP" (STOP included) or "log:START:STOP:COUNT" (COUNT values evenly
// spaced in log scale) into values. Bounds are numbers or durations, all of one kind.
sim::Result<std::vector<std::string>> expand_range(const std::string& arg, const std::string& text) {
  const auto parts = split(text, ':');
  const bool log = parts.size() == 4 && parts[0] == "log";
  const std::string usage = fmt::format(
      "--sweep {}: expected a range START:STOP:STEP or log:START:STOP:COUNT, e.g. "
      "retry.attempts=1:5:1 or services.payment.mttf=log:1min:1h:4",
      arg);
  if (!log && parts.size() != 3) return sim::Status::invalid(usage);
  const size_t o = log ? 1 : 0;
  auto a = read_bound(parts[o]), b = read_bound(parts[o + 1]);
  bool is_time = false;
  if (!a || !b || !same_kind({&*a, &*b}, is_time)) return sim::Status::invalid(usage);
  std::vector<std::string> values;
  if (log) {
    auto count = sim::parse_number(parts[3]);
    if (!count.ok() || count.value() < 2 || count.value() > 10000 ||
        count.value() != std::floor(count.value()) || a->v <= 0 || b->v <= 0) {
      return sim::Status::invalid(usage + "; a log range needs positive bounds and a COUNT of 2 or more");
    }
    const auto n = static_cast<int>(count.value());
    for (int i = 0; i < n; ++i) {
      const double f = static_cast<double>(i) / (n - 1);
      values.push_back(format_bound(std::exp(std::log(a->v) * (1 - f) + std::log(b->v) * f), is_time));
    }
    return values;
  }
  auto step = read_bound(parts[2]);
  if (!step || !same_kind({&*a, &*b, &*step}, is_time)) return sim::Status::invalid(usage);
  if (step->v <= 0 || b->v < a->v) {
    return sim::Status::invalid(usage + "; STEP must be positive and STOP at least START");
  }
  if ((b->v - a->v) / step->v > 10000) return sim::Status::invalid(usage + "; at most 10000 values");
  // By index, not by accumulation, so 0:0.3:0.1 gives exactly 0, 0.1, 0.2, 0.3.
  const auto n = static_cast<int64_t>(std::floor((b->v - a->v) / step->v + 1e-9));
  for (int64_t i = 0; i <= n; ++i) {
    values.push_back(format_bound(a->v + static_cast<double>(i) * step->v, is_time));
  }
  return values;
}

}  // namespace

sim::Result<SweepAxis> parse_sweep_axis(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
    return sim::Status::invalid(fmt::format(
        "--sweep {}: expected FIELD.PATH=V1,V2,..., e.g. --sweep services.payment.mttf=1h,10min",
        arg));
  }
  SweepAxis axis{arg.substr(0, eq), {}};
  const std::string list = arg.substr(eq + 1);
  const bool plain = list.find_first_of("'\"([{") == std::string::npos;
  if (plain && list.find(':') != std::string::npos && list.find(',') == std::string::npos) {
    auto values = expand_range(arg, list);
    if (!values.ok()) return values.status();
    axis.values = values.value();
    return axis;
  }
  // The values are split at the commas outside quotes and brackets, so that a value may be
  // 'pareto(shape: 2, scale: 1ms)' or [a, b].
  std::string cur;
  char quote = 0;
  int depth = 0;
  for (char c : list + ",") {
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      if (cur.empty()) {
        return sim::Status::invalid(fmt::format("--sweep {}: an empty value in the list", arg));
      }
      axis.values.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (quote != 0 || depth != 0) {
    return sim::Status::invalid(fmt::format("--sweep {}: a quote or a bracket is not closed", arg));
  }
  if (const auto twice = axis.repeated_value()) {
    return sim::Status::invalid(
        fmt::format("--sweep {}: the value {} is given twice", arg, axis.values[twice->second]));
  }
  return axis;
}


sim::Result<Shard> parse_shard(const std::string& text) {
  const std::string usage = fmt::format(
      "--shard {}: expected I/N with 1 <= I <= N, e.g. --shard 2/8 (the second of eight slices)",
      text);
  const auto parts = split(text, '/');
  if (parts.size() != 2) return sim::Status::invalid(usage);
  auto i = sim::parse_number(parts[0]), n = sim::parse_number(parts[1]);
  if (!i.ok() || !n.ok() || i.value() != std::floor(i.value()) ||
      n.value() != std::floor(n.value()) || i.value() < 1 || n.value() < i.value()) {
    return sim::Status::invalid(usage);
  }
  if (n.value() > 1e6) {
    return sim::Status::invalid(fmt::format("--shard {}: at most 1000000 shards, e.g. --shard 2/8", text));
  }
  return Shard{static_cast<uint32_t>(i.value()), static_cast<uint32_t>(n.value())};
}

std::vector<SweepShape::Run> SweepShape::runs() const {
  std::vector<Run> out;
  for (size_t p = 0; p < points.size(); ++p) {
    for (uint32_t r = 0; r < replications; ++r) {
      for (size_t k = 0; k < points[p].patterns.size(); ++k) out.push_back({p, r, k});
    }
  }
  return out;
}

size_t SweepShape::run_count() const {
  size_t n = 0;
  for (const SweepPoint& p : points) n += p.patterns.size() * replications;
  return n;
}

const std::string& SweepShape::request_type_of_line(size_t k) const {
  static const std::string all = "all";
  return k == 0 ? all : request_types.at(k - 1);
}

std::string SweepShape::id() const {
  std::string key = fmt::format("{}\n{}\n{}\n{}\n{}\n", version, scenario_name, scenario_hash,
                                seed, replications);
  for (const std::string& o : overrides) key += "set " + o + "\n";
  for (const SweepAxis& a : axes) key += fmt::format("axis {}={}\n", a.path, fmt::join(a.values, ","));
  for (const SweepPoint& p : points) key += fmt::format("patterns {}\n", fmt::join(p.patterns, ","));
  if (!request_types.empty()) key += fmt::format("request types {}\n", fmt::join(request_types, ","));
  if (!services.empty()) key += fmt::format("services {}\n", fmt::join(services, ","));
  return fmt::format("{:016x}", sim::hash_name(key));
}

sim::Result<SweepPlan> plan_sweep(const Scenario& base, const std::vector<Override>& overrides,
                                  const std::vector<SweepAxis>& cli_axes,
                                  uint32_t replications) {
  std::vector<SweepAxis> axes = base.sweep.axes;
  for (size_t i = 0; i < cli_axes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (cli_axes[i].path != cli_axes[j].path) continue;
      return sim::Status::invalid(fmt::format(
          "--sweep {} is given twice (the second would replace the first): give all its values "
          "in one, e.g. --sweep {}={},{}",
          cli_axes[i].path, cli_axes[i].path, cli_axes[j].values.front(), cli_axes[i].values.front()));
    }
  }
  for (const SweepAxis& a : cli_axes) {
    bool replaced = false;
    for (SweepAxis& b : axes) {
      if (b.path == a.path) {
        b = a;
        replaced = true;
      }
    }
    if (!replaced) axes.push_back(a);
  }

  // The axes are set at every point after the overrides: an override of a swept field would
  // be replaced at every point, without a word.
  for (const Override& o : overrides) {
    for (const SweepAxis& a : axes) {
      if (o.path != a.path && o.path.rfind(a.path + ".", 0) != 0) continue;
      const bool cli = std::any_of(cli_axes.begin(), cli_axes.end(), [&](const SweepAxis& c) { return c.path == a.path; });
      return sim::Status::invalid(fmt::format(
          "{}: {} is swept ({}), which sets it at every grid point and so would replace this; "
          "leave out one of the two (to hold it at one value, --sweep {}={})",
          o.where(), a.path, cli ? "by --sweep" : fmt::format("by the sweep block of {}", base.file),
          a.path, o.path == a.path ? o.value : "VALUE"));
    }
  }

  // Every grid point is a scenario loaded and kept: a grid beyond kMaxSweepPoints would take
  // minutes and gigabytes before the first run, and is refused at once.
  double points = 1;  // (a double: the product of many axes overflows no integer here)
  std::string sizes;
  for (const SweepAxis& a : axes) {
    points *= static_cast<double>(a.values.size());
    sizes += fmt::format("{}{}", sizes.empty() ? "" : " x ", a.values.size());
  }
  if (points > static_cast<double>(kMaxSweepPoints)) {
    return sim::Status::invalid(fmt::format(
        "{}: the sweep's axes make a grid of {:.0f} points ({} values); at most {} are allowed: "
        "sweep fewer values, or split the sweep into several",
        base.file, points, sizes, kMaxSweepPoints));
  }

  // The grid: the cartesian product of the axes, first axis slowest.
  std::vector<std::vector<Override>> grid{{}};
  for (const SweepAxis& a : axes) {
    std::vector<std::vector<Override>> next;
    for (const auto& partial : grid) {
      for (const std::string& v : a.values) {
        auto p = partial;
        p.push_back({a.path, v});
        next.push_back(std::move(p));
      }
    }
    grid = std::move(next);
  }

  SweepPlan plan;
  SweepShape& shape = plan.shape;
  shape.version = kCoordsimVersion;
  shape.scenario_file = base.file;
  shape.scenario_hash = scenario_hash(base.text);
  shape.axes = axes;
  shape.replications = replications > 0 ? replications : base.sweep.replications;
  for (const Override& o : overrides) shape.overrides.push_back(o.path + (o.append ? "+=" : "=") + o.value);
  for (const auto& values : grid) {
    std::vector<Override> all = overrides;
    all.insert(all.end(), values.begin(), values.end());
    auto s = load_scenario_text(base.text, base.file, all);
    if (!s.ok()) return s.status();
    SweepPoint point{values, {}};
    for (const models::PatternChoice& k : s.value().config.patterns) {
      point.patterns.emplace_back(k.label());
    }
    std::vector<std::string> types;
    if (s.value().config.workflows.size() > 1) {
      for (const models::WorkflowConfig& w : s.value().config.workflows) types.push_back(w.name);
    }
    if (shape.points.empty()) {
      shape.request_types = types;
    } else if (types != shape.request_types) {
      std::string where;
      for (const Override& o : values) where += (where.empty() ? "" : " ") + o.path + "=" + o.value;
      return sim::Status::invalid(fmt::format(
          "{}: the sweep point {} has the request types [{}], the first point [{}]: an axis "
          "may not add, remove or rename workflows",
          base.file, where, fmt::join(types, ", "), fmt::join(shape.request_types, ", ")));
    }
    shape.points.push_back(std::move(point));
    plan.scenarios.push_back(std::move(s).value());
  }
  shape.scenario_name = plan.scenarios.front().config.name;
  shape.seed = plan.scenarios.front().config.seed;
  shape.services = csv_services(plan.scenarios.front().config);
  if (const size_t runs = shape.run_count(); runs > kMaxSweepRuns) {
    return sim::Status::invalid(fmt::format(
        "{}: the sweep has {} runs ({} grid points, their patterns, {} replications each); at "
        "most {} are allowed: use fewer replications (or --precision to stop where the "
        "intervals are narrow enough), or split the sweep into several",
        base.file, runs, shape.points.size(), shape.replications, kMaxSweepRuns));
  }
  plan.runs = shape.runs();
  return plan;
}

namespace {

// An axis whose every value is a duration or a rate gets a numeric twin column in SI units
// (seconds, or events per second) beside the text the user wrote: "services.payment.mttf_s".
struct SiTwin {
  std::string suffix;          // "_s", "_per_s"; "" for an axis without a twin
  std::vector<double> values;  // by the axis's value index
};
std::vector<SiTwin> si_twins(const SweepShape& shape) {
  std::vector<SiTwin> out;
  for (const SweepAxis& a : shape.axes) {
    SiTwin durations{"_s", {}}, rates{"_per_s", {}};
    for (const std::string& v : a.values) {
      if (auto d = sim::parse_duration(v); d.ok() && sim::looks_like_duration(v)) durations.values.push_back(d.value().seconds());
      if (auto r = sim::parse_rate(v); r.ok()) rates.values.push_back(r.value());
    }
    if (durations.values.size() == a.values.size()) {
      out.push_back(std::move(durations));
    } else if (rates.values.size() == a.values.size()) {
      out.push_back(std::move(rates));
    } else {
      out.push_back({});
    }
  }
  return out;
}
// The leading columns of a summary line: each axis's text, and its twin's number.
std::string axis_header(const SweepShape& shape) {
  std::string h;
  const auto twins = si_twins(shape);
  for (size_t i = 0; i < shape.axes.size(); ++i) {
    h += csv_escape(shape.axes[i].path) + ",";
    if (!twins[i].suffix.empty()) h += csv_escape(shape.axes[i].path + twins[i].suffix) + ",";
  }
  return h;
}
std::string axis_fields(const SweepShape& shape, size_t point, const std::vector<SiTwin>& twins) {
  std::string f;
  const auto& values = shape.points[point].values;
  for (size_t i = 0; i < values.size() && i < shape.axes.size(); ++i) {
    f += csv_escape(values[i].value) + ",";
    if (twins[i].suffix.empty()) continue;
    const auto& texts = shape.axes[i].values;
    const size_t k = static_cast<size_t>(std::find(texts.begin(), texts.end(), values[i].value) - texts.begin());
    // (12 digits: 1min is 60, not the 60.00000000000001 of its sum of parts.)
    f += (k < twins[i].values.size() ? fmt::format("{:.12g}", twins[i].values[k]) : std::string()) + ",";
  }
  return f;
}

}  // namespace

std::vector<size_t> SweepShape::axis_columns() const {
  std::vector<size_t> at;
  size_t next = 1;  // after the run number
  for (const SiTwin& t : si_twins(*this)) {
    at.push_back(next);
    next += t.suffix.empty() ? size_t{1} : size_t{2};
  }
  at.push_back(next);
  return at;
}

size_t SweepShape::lead_columns() const { return axis_columns().back(); }

std::string time_series_header(const SweepShape& shape) {
  return "run," + axis_header(shape) + "replication," + timeseries_header();
}

std::string make_run(const SweepPlan& plan, size_t index) {
  const SweepShape::Run& run = plan.runs.at(index);
  const Scenario& sc = plan.scenarios[run.point];
  std::optional<models::TimeSeriesProbe> series;
  if (plan.series_every != sim::Time::max()) series.emplace(plan.series_every);
  MemoryGuard guard;
  const models::RunResult result = models::run(sc.config, sc.config.patterns[run.pattern], run.replication,
                                               series ? &*series : nullptr, &guard);
  // Stopped before its end: its row says drained = false.
  if (const std::string why = stopped_text(result, guard); !why.empty()) fmt::print(stderr, "warning: run {}: {}\n", index, why);
  // The run's number, then each axis's value and SI twin.
  const std::string prefix = std::to_string(index) + "," + axis_fields(plan.shape, run.point, si_twins(plan.shape));
  if (series && plan.series_sink) {
    plan.series_sink(index, timeseries_rows(series->rows(), prefix + std::to_string(run.replication) + ","));
  }
  std::string block;
  for (const std::string& row : csv_rows(sc, result, plan.shape.services)) {
    // The row without its newline, then its checksum (run_line_checksum).
    const std::string line = prefix + row.substr(0, row.size() - 1);
    block += line + "," + run_line_checksum(line) + "\n";
  }
  return block;
}

std::string run_line_checksum(const std::string& content) { return scenario_hash(content); }

void make_runs(const SweepPlan& plan, RunQueue& queue, unsigned jobs,
               const std::function<void(size_t, std::string)>& done) {
  std::mutex mu;
  auto worker = [&] {
    while (const auto i = queue.next()) {
      std::string line = make_run(plan, *i);
      const std::lock_guard<std::mutex> lock(mu);
      done(*i, std::move(line));
    }
  };
  const unsigned n = std::max(1u, jobs);
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
}

sim::Result<SweepOutput> run_sweep(const Scenario& base, const std::vector<Override>& overrides,
                                   const std::vector<SweepAxis>& axes, uint32_t replications,
                                   unsigned jobs) {
  auto plan = plan_sweep(base, overrides, axes, replications);
  if (!plan.ok()) return plan.status();
  SweepOutput out{plan.value().shape, SweepRows(plan.value().runs.size())};
  std::vector<size_t> todo(out.rows.size());
  for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  RunQueue queue(std::move(todo));
  make_runs(plan.value(), queue, jobs,
            [&](size_t i, std::string line) { out.rows[i] = std::move(line); });
  return out;
}

std::string sweep_runs_header(const SweepShape& shape) {
  std::string text = "run," + axis_header(shape);
  const std::string header = csv_header(shape.services);
  return text + header.substr(0, header.size() - 1) + ",checksum\n";
}

std::string sweep_runs_csv(const SweepShape& shape, const SweepRows& rows) {
  std::string text = sweep_runs_header(shape);
  for (const std::string& r : rows) text += r;
  return text;
}

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\n' && c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

std::optional<size_t> run_index_of(const std::string& line) {
  size_t v = 0;
  const char* end = line.data() + line.size();
  auto [p, ec] = std::from_chars(line.data(), end, v);
  if (ec != std::errc() || p == line.data() || p == end || *p != ',') return std::nullopt;
  return v;
}

std::vector<std::string> block_lines(const std::string& block) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < block.size()) {
    const size_t nl = block.find('\n', pos);
    const size_t stop = nl == std::string::npos ? block.size() : nl + 1;
    out.push_back(block.substr(pos, stop - pos));
    pos = stop;
  }
  return out;
}

std::pair<double, double> wilson95(double x, double n) {
  if (!(n > 0)) return {NAN, NAN};
  // Wilson (1927): the p whose score test at 95% does not reject x of n; always in [0, 1].
  const double z = 1.959963984540054;  // the standard normal's 97.5% quantile
  const double p = std::clamp(x / n, 0.0, 1.0), z2n = z * z / n;
  const double centre = (p + z2n / 2) / (1 + z2n);
  const double half = z / (1 + z2n) * std::sqrt(p * (1 - p) / n + z2n / (4 * n));
  // (At x = 0 or x = n one bound is exactly 0 or 1; rounding would leave 1e-21.)
  return {x <= 0 ? 0.0 : std::max(0.0, centre - half), x >= n ? 1.0 : std::min(1.0, centre + half)};
}

std::vector<SummaryRow> summarize_sweep(const SweepShape& shape, const SweepRows& rows) {
  // Where each metric sits in a runs line; a rate per transaction is a count column over
  // the `transactions` column.
  const std::vector<std::string>& cols = csv_columns();
  const size_t lead = shape.lead_columns();
  auto column = [&](const std::string& name) {
    return lead + static_cast<size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
  };
  struct Metric {
    std::string name;
    size_t at;
    bool per_txn = false;
    bool per_s = false;  // over the measured span of arrivals (window_s)
    bool per_run_s = false;  // over the whole run's simulated time (sim_end_s)
  };
  std::vector<Metric> metrics;
  for (const std::string& m : metric_columns()) metrics.push_back({m, column(m)});
  for (const auto* list : {&outcome_counts(), &event_counts()}) {
    for (const std::string& c : *list) metrics.push_back({c + "_per_txn", column(c), true});
  }
  for (const auto* list : {&outcome_counts(), &event_counts()}) {
    for (const std::string& c : *list) metrics.push_back({c + "_per_s", column(c), false, true});
  }
  // Each service's figures (service_figures(), after the scenario columns), and its jobs
  // served per second.
  const size_t nf = service_figures().size();
  for (size_t v = 0; v < shape.services.size(); ++v) {
    for (size_t i = 0; i < nf; ++i) {
      metrics.push_back({shape.services[v] + "." + service_figures()[i], lead + cols.size() + v * nf + i});
    }
    metrics.push_back(
        {shape.services[v] + ".served_per_s", lead + cols.size() + v * nf + nf - 1, false, false, true});
  }
  const size_t txns_at = column("transactions");
  const size_t window_at = column("window_s");
  const size_t end_at = column("sim_end_s");
  auto value = [](const std::vector<std::string>& f, size_t at) -> double {
    if (at >= f.size() || f[at].empty()) return NAN;
    return std::strtod(f[at].c_str(), nullptr);
  };
  const size_t nt = shape.lines_per_run();

  std::vector<SummaryRow> out;
  size_t first = 0;  // the index of the point's first run
  for (size_t p = 0; p < shape.points.size(); ++p) {
    const auto& patterns = shape.points[p].patterns;
    const size_t np = patterns.size();
    // vals[t][k][r][m]: request type t (0 = all), pattern k, replication r, metric m; and the
    // transactions of each (t, k, r), for pooled proportions.
    std::vector<std::vector<std::vector<std::vector<double>>>> vals(
        nt, std::vector<std::vector<std::vector<double>>>(
                np, std::vector<std::vector<double>>(shape.replications)));
    std::vector<std::vector<std::vector<double>>> txns(
        nt, std::vector<std::vector<double>>(np, std::vector<double>(shape.replications)));
    for (uint32_t r = 0; r < shape.replications; ++r) {
      for (size_t k = 0; k < np; ++k) {
        const auto lines = block_lines(rows.at(first + r * np + k));
        for (size_t t = 0; t < nt; ++t) {
          const auto f = t < lines.size() ? csv_fields(lines[t]) : std::vector<std::string>{};
          const double n = value(f, txns_at), window = value(f, window_at), end = value(f, end_at);
          txns[t][k][r] = n;
          for (const Metric& m : metrics) {
            const double v = value(f, m.at);
            vals[t][k][r].push_back(m.per_txn     ? (n > 0 ? v / n : NAN)
                                    : m.per_s     ? (window > 0 ? v / window : NAN)
                                    : m.per_run_s ? (end > 0 ? v / end : NAN)
                                                  : v);
          }
        }
      }
    }
    for (size_t t = 0; t < nt; ++t) {
      const std::string& type = shape.request_type_of_line(t);
      for (size_t k = 0; k < np; ++k) {
        for (size_t m = 0; m < metrics.size(); ++m) {
          std::vector<double> xs;
          double successes = 0, trials = 0;
          for (uint32_t r = 0; r < shape.replications; ++r) {
            const double x = vals[t][k][r][m];
            xs.push_back(x);
            // A proportion of the transactions: its count (rounded back from the 6
            // significant digits of the fraction columns).
            if (std::isnan(x)) continue;  // (undefined: no transactions)
            successes += std::round(x * txns[t][k][r]);
            trials += txns[t][k][r];
          }
          const std::string& name = metrics[m].name;
          const Stats st = pools(name)         ? describe_proportion(xs, successes, trials)
                           : is_fraction(name) ? describe(xs, {0, 1})
                                               : describe(xs, {0, INFINITY});
          out.push_back({p, patterns[k], type, name, st, xs});
        }
      }
      // Paired differences against the first pattern, replication by replication.
      for (size_t k = 1; k < np; ++k) {
        const std::string label = fmt::format("{} - {}", patterns[k], patterns[0]);
        for (size_t m = 0; m < metrics.size(); ++m) {
          std::vector<double> ds;
          for (uint32_t r = 0; r < shape.replications; ++r) {
            ds.push_back(vals[t][k][r][m] - vals[t][0][r][m]);
          }
          const Range range = is_fraction(metrics[m].name) ? Range{-1, 1} : Range{-INFINITY, INFINITY};
          out.push_back({p, label, type, metrics[m].name, describe(ds, range), ds});
        }
      }
    }
    first += np * shape.replications;
  }
  return out;
}

std::string sweep_summary_csv(const SweepShape& shape, const SweepRows& rows) {
  std::string text = axis_header(shape);
  const auto twins = si_twins(shape);
  text += "pattern,request_type,metric,n,mean,sd,ci95_low,ci95_high,interval,t95_low,t95_high\n";
  for (const SummaryRow& r : summarize_sweep(shape, rows)) {
    if (r.label.find(" - ") != std::string::npos) continue;  // sweep_differences_csv's
    const std::string axes = axis_fields(shape, r.point, twins);
    text += fmt::format("{}{},{},{},{},{},{},{},{},{},{},{}\n", axes, csv_escape(r.label),
                        csv_escape(r.request_type), r.metric, r.stats.n, num(r.stats.mean),
                        num(r.stats.sd), num(r.stats.lo), num(r.stats.hi), r.stats.interval,
                        num(r.stats.t_lo), num(r.stats.t_hi));
  }
  return text;
}

std::string sweep_differences_csv(const SweepShape& shape, const SweepRows& rows) {
  std::string text = axis_header(shape);
  const auto twins = si_twins(shape);
  text += "pattern,baseline,request_type,metric,n,mean,sd,ci95_low,ci95_high,interval\n";
  for (const SummaryRow& r : summarize_sweep(shape, rows)) {
    const size_t dash = r.label.find(" - ");
    if (dash == std::string::npos) continue;
    const std::string axes = axis_fields(shape, r.point, twins);
    text += fmt::format("{}{},{},{},{},{},{},{},{},{},{}\n", axes, csv_escape(r.label.substr(0, dash)),
                        csv_escape(r.label.substr(dash + 3)), csv_escape(r.request_type), r.metric, r.stats.n,
                        num(r.stats.mean), num(r.stats.sd), num(r.stats.lo), num(r.stats.hi), r.stats.interval);
  }
  return text;
}

std::string sweep_table(const SweepShape& shape, const SweepRows& rows) {
  const std::vector<std::string> shown{"violated_per_txn", "availability", "completion_mean_ms",
                                       "messages_per_txn"};
  std::string text = fmt::format("{:<40} {:<38} {:<22} {}\n", "point", "pattern", "metric",
                                 "mean [95% interval]");
  for (const SummaryRow& r : summarize_sweep(shape, rows)) {
    if (r.request_type != "all") continue;
    if (std::find(shown.begin(), shown.end(), r.metric) == shown.end()) continue;
    std::string point;
    for (const Override& o : shape.points[r.point].values) {
      point += (point.empty() ? "" : " ") + o.path + "=" + o.value;
    }
    text += fmt::format("{:<40} {:<38} {:<22} {}{}\n", point.empty() ? "-" : point, r.label,
                        r.metric, r.stats.n == 0 ? std::string("-") : num(r.stats.mean),
                        r.stats.n == 0  ? std::string(" (no transactions in any replication)")
                        : r.stats.n < 2 ? std::string(" (one replication: no interval)")
                                        : fmt::format(" [{}, {}]", num(r.stats.lo), num(r.stats.hi)));
  }
  return text;
}

namespace {
bool higher_is_better(const std::string& m) {
  return m == "availability" || m == "throughput_per_s" || m == "committed" || m == "committed_per_txn";
}
}  // namespace

std::string point_text(const SweepShape& shape, size_t p) {
  std::string point;
  for (const Override& o : shape.points[p].values) point += (point.empty() ? "" : " ") + o.path + "=" + o.value;
  return point.empty() ? "-" : point;
}

const std::vector<std::string>& summary_metric_names() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> names = metric_columns();
    for (const auto* list : {&outcome_counts(), &event_counts()}) {
      for (const std::string& c : *list) names.push_back(c + "_per_txn");
    }
    for (const auto* list : {&outcome_counts(), &event_counts()}) {
      for (const std::string& c : *list) names.push_back(c + "_per_s");
    }
    return names;
  }();
  return v;
}

const std::vector<std::string>& default_verdict_metrics() {
  static const std::vector<std::string> v{"violated_per_txn", "availability", "acceptance_p99_ms",
                                          "completion_p99_ms", "messages_per_txn"};
  return v;
}

std::vector<VerdictRow> sweep_verdict(const SweepShape& shape, const SweepRows& rows,
                                      const std::vector<std::string>& metrics) {
  // (point, metric) -> the patterns' rows, in the point's pattern order.
  std::map<std::pair<size_t, std::string>, std::vector<SummaryRow>> by;
  for (SummaryRow& r : summarize_sweep(shape, rows)) {
    if (r.request_type != "all" || r.label.find(" - ") != std::string::npos) continue;
    if (std::find(metrics.begin(), metrics.end(), r.metric) == metrics.end()) continue;
    by[{r.point, r.metric}].push_back(std::move(r));
  }
  std::vector<VerdictRow> out;
  for (size_t p = 0; p < shape.points.size(); ++p) {
    for (const std::string& m : metrics) {
      const auto it = by.find({p, m});
      if (it == by.end() || it->second.size() < 2) continue;
      const auto& pats = it->second;
      // A pattern whose figure is undefined in every replication (no transactions) is not
      // compared.
      auto defined = [&](size_t k) { return !std::isnan(pats[k].stats.mean); };
      size_t best = pats.size();
      for (size_t k = 0; k < pats.size(); ++k) {
        if (!defined(k)) continue;
        const bool better = best == pats.size() ||
                            (higher_is_better(m) ? pats[k].stats.mean > pats[best].stats.mean
                                                 : pats[k].stats.mean < pats[best].stats.mean);
        if (better) best = k;
      }
      if (best == pats.size()) continue;
      for (size_t k = 0; k < pats.size(); ++k) {
        if (k == best || !defined(k)) continue;
        std::vector<double> ds;
        for (size_t r = 0; r < pats[k].values.size() && r < pats[best].values.size(); ++r) {
          ds.push_back(pats[k].values[r] - pats[best].values[r]);
        }
        VerdictRow v{p, m, pats[best].label, pats[k].label, describe(ds, {-INFINITY, INFINITY}), false};
        v.significant = v.diff.n >= 2 && (v.diff.lo > 0 || v.diff.hi < 0);
        out.push_back(std::move(v));
      }
    }
  }
  return out;
}

std::string verdict_text(const SweepShape& shape, const std::vector<VerdictRow>& verdict) {
  std::string text = "\nverdict (paired differences over the replications, 95%):\n";
  // point -> metric -> the patterns the best beats significantly, does not, and equals in
  // every replication.
  struct Group {
    std::vector<std::string> beaten, close, equal;
  };
  std::map<std::pair<size_t, std::string>, Group> groups;
  std::map<std::pair<size_t, std::string>, std::string> best;
  std::vector<std::pair<size_t, std::string>> order;
  for (const VerdictRow& v : verdict) {
    const auto key = std::make_pair(v.point, v.metric);
    if (!best.count(key)) order.push_back(key);
    best[key] = v.best;
    Group& g = groups[key];
    const bool equal = v.diff.n >= 1 && v.diff.mean == 0 && v.diff.sd == 0;
    (equal ? g.equal : v.significant ? g.beaten : g.close).push_back(v.other);
  }
  for (const auto& key : order) {
    const Group& g = groups[key];
    const std::string who = g.equal.empty() ? best[key]
                                            : fmt::format("{} (equal to {})", best[key], fmt::join(g.equal, ", "));
    text += fmt::format("  {:<40} {:<20} best {}{}{}\n", point_text(shape, key.first), key.second, who,
                        g.beaten.empty() ? "" : fmt::format("; better than {}", fmt::join(g.beaten, ", ")),
                        g.close.empty() ? "" : fmt::format("; not significantly better than {}", fmt::join(g.close, ", ")));
  }
  // Along the grid, in its order: where the best pattern of a metric changes.
  for (const std::string& m : [&] {
         std::vector<std::string> ms;
         for (const auto& key : order) {
           if (std::find(ms.begin(), ms.end(), key.second) == ms.end()) ms.push_back(key.second);
         }
         return ms;
       }()) {
    // A change: the best pattern before is significantly worse here than the best here. (A
    // new best that ties with it, or beats it by less than the noise, is no change.)
    std::string prev;
    size_t prev_point = 0;
    for (size_t p = 0; p < shape.points.size(); ++p) {
      const auto it = best.find({p, m});
      if (it == best.end()) continue;
      const Group& g = groups[{p, m}];
      const bool beaten = std::find(g.beaten.begin(), g.beaten.end(), prev) != g.beaten.end();
      if (!prev.empty() && beaten) {
        text += fmt::format("  {}: the best pattern changes from {} to {} between {} and {} ({} is significantly "
                            "worse there)\n",
                            m, prev, it->second, point_text(shape, prev_point), point_text(shape, p), prev);
      }
      if (prev.empty() || beaten) prev = it->second;
      prev_point = p;
    }
  }
  return text;
}

std::string verdict_csv(const SweepShape& shape, const std::vector<VerdictRow>& verdict) {
  std::string text;
  for (const SweepAxis& a : shape.axes) text += csv_escape(a.path) + ",";
  text += "metric,best,other,n,difference_mean,ci95_low,ci95_high,significant\n";
  for (const VerdictRow& v : verdict) {
    std::string axes;
    for (const Override& o : shape.points[v.point].values) axes += csv_escape(o.value) + ",";
    text += fmt::format("{}{},{},{},{},{},{},{},{}\n", axes, v.metric, v.best, v.other, v.diff.n,
                        num(v.diff.mean), num(v.diff.lo), num(v.diff.hi), v.significant ? "true" : "false");
  }
  return text;
}

}  // namespace app
