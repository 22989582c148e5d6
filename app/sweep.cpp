#include "app/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <map>
#include <optional>
#include <thread>

#include "app/patterns.hpp"
#include "app/report.hpp"
#include "sim/units.hpp"

namespace app {
namespace {

// Mean, sample standard deviation and the 95% Student-t interval of the mean.
Stats describe(const std::vector<double>& xs) {
  Stats s;
  s.n = xs.size();
  if (s.n == 0) return s;
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
  s.lo = s.mean - half;
  s.hi = s.mean + half;
  return s;
}

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : ""; }


// The CSV fields of a grid point's axis values, each followed by a comma.
std::string axis_values(const SweepOutput& out, size_t point) {
  std::string s;
  for (const SweepRun& r : out.runs) {
    if (r.point != point) continue;
    for (const Override& o : r.values) s += csv_escape(o.value) + ",";
    return s;
  }
  return s;
}

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
  if (list.find(':') != std::string::npos && list.find(',') == std::string::npos) {
    auto values = expand_range(arg, list);
    if (!values.ok()) return values.status();
    axis.values = values.value();
    return axis;
  }
  std::string cur;
  for (char c : arg.substr(eq + 1) + ",") {
    if (c == ',') {
      if (cur.empty()) {
        return sim::Status::invalid(fmt::format("--sweep {}: an empty value in the list", arg));
      }
      axis.values.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return axis;
}

sim::Result<SweepOutput> run_sweep(const Scenario& base, const std::vector<Override>& overrides,
                                   const std::vector<SweepAxis>& cli_axes, uint32_t replications,
                                   unsigned jobs) {
  std::vector<SweepAxis> axes = base.sweep.axes;
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
  const uint32_t reps = replications > 0 ? replications : base.sweep.replications;

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

  SweepOutput out;
  for (const SweepAxis& a : axes) out.axes.push_back(a.path);
  for (const auto& values : grid) {
    std::vector<Override> all = overrides;
    all.insert(all.end(), values.begin(), values.end());
    auto s = load_scenario_text(base.text, base.file, all);
    if (!s.ok()) return s.status();
    out.points.push_back(std::move(s).value());
  }
  for (size_t p = 0; p < grid.size(); ++p) {
    for (uint64_t r = 0; r < reps; ++r) {
      for (models::PatternKind k : out.points[p].config.patterns) {
        SweepRun run;
        run.point = p;
        run.values = grid[p];
        run.replication = r;
        run.result.pattern = k;
        out.runs.push_back(std::move(run));
      }
    }
  }

  // Independent runs over `jobs` threads; each result lands at its own index.
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < out.runs.size(); i = next++) {
      SweepRun& run = out.runs[i];
      auto pattern = make_pattern(run.result.pattern);
      run.result = models::run(out.points[run.point].config, run.result.pattern, *pattern,
                               run.replication);
    }
  };
  const unsigned n = std::max(1u, jobs);
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  return out;
}

std::string sweep_runs_csv(const SweepOutput& out) {
  std::string text;
  for (const std::string& a : out.axes) text += csv_escape(a) + ",";
  text += csv_header();
  for (const SweepRun& r : out.runs) {
    for (const Override& o : r.values) text += csv_escape(o.value) + ",";
    text += csv_row(out.points[r.point], r.result);
  }
  return text;
}

std::vector<SummaryRow> summarize_sweep(const SweepOutput& out) {
  std::vector<SummaryRow> rows;
  for (size_t p = 0; p < out.points.size(); ++p) {
    const Scenario& sc = out.points[p];
    const auto& patterns = sc.config.patterns;
    // Per pattern, per replication (in order), the numeric metrics of the run.
    std::map<models::PatternKind, std::vector<std::vector<std::pair<std::string, double>>>> by;
    for (const SweepRun& r : out.runs) {
      if (r.point == p) by[r.result.pattern].push_back(numeric_metrics(sc, r.result));
    }
    for (models::PatternKind k : patterns) {
      const auto& reps = by[k];
      for (size_t m = 0; !reps.empty() && m < reps[0].size(); ++m) {
        std::vector<double> xs;
        for (const auto& rep : reps) xs.push_back(rep[m].second);
        rows.push_back({p, models::pattern_name(k), reps[0][m].first, describe(xs)});
      }
    }
    // Paired differences against the first pattern, replication by replication.
    for (size_t i = 1; i < patterns.size(); ++i) {
      const auto& a = by[patterns[i]];
      const auto& b = by[patterns[0]];
      const std::string label = fmt::format("{} - {}", models::pattern_name(patterns[i]),
                                            models::pattern_name(patterns[0]));
      for (size_t m = 0; !a.empty() && m < a[0].size(); ++m) {
        std::vector<double> ds;
        for (size_t r = 0; r < a.size() && r < b.size(); ++r) {
          ds.push_back(a[r][m].second - b[r][m].second);
        }
        rows.push_back({p, label, a[0][m].first, describe(ds)});
      }
    }
  }
  return rows;
}

std::string sweep_summary_csv(const SweepOutput& out) {
  std::string text;
  for (const std::string& a : out.axes) text += csv_escape(a) + ",";
  text += "pattern,metric,n,mean,sd,ci95_low,ci95_high\n";
  for (const SummaryRow& r : summarize_sweep(out)) {
    text += fmt::format("{}{},{},{},{},{},{},{}\n", axis_values(out, r.point), csv_escape(r.label),
                        r.metric, r.stats.n, num(r.stats.mean), num(r.stats.sd),
                        num(r.stats.lo), num(r.stats.hi));
  }
  return text;
}

std::string sweep_table(const SweepOutput& out) {
  const std::vector<std::string> shown{"violated", "availability", "completion_mean_ms",
                                       "messages_per_txn"};
  std::string text = fmt::format("{:<40} {:<38} {:<22} {}\n", "point",
                                 "pattern", "metric", "mean [95% interval]");
  for (const SummaryRow& r : summarize_sweep(out)) {
    if (std::find(shown.begin(), shown.end(), r.metric) == shown.end()) continue;
    std::string point;
    for (const SweepRun& run : out.runs) {
      if (run.point != r.point) continue;
      for (const Override& o : run.values) point += (point.empty() ? "" : " ") + o.path + "=" + o.value;
      break;
    }
    text += fmt::format("{:<40} {:<38} {:<22} {} [{}, {}]\n", point.empty() ? "-" : point,
                        r.label, r.metric, num(r.stats.mean), num(r.stats.lo), num(r.stats.hi));
  }
  return text;
}

}  // namespace app
