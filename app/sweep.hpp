// Sweeps: a grid of scenario variants (the scenario's `sweep:` block and --sweep), each run
// under every pattern for several replications, aggregated with confidence intervals.
//
// A sweep is described by its shape (SweepShape): the axes and their values, the patterns
// and replications of every grid point. The shape numbers the runs: grid points in the
// order of the axes' cartesian product (first axis slowest), then replications, then
// patterns. Every output is a function of the shape and of one CSV line per run, so it does
// not matter where or in which order the runs were made: on several threads (--jobs), in an
// interrupted and resumed sweep (--resume), in shards merged later (--shard, merge) or on MPI
// ranks. Within a replication every pattern uses the same random streams (common random
// numbers), which is what makes the paired differences between patterns tight.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "sim/status.hpp"

namespace app {

// One grid point: its axis values and the patterns run there.
struct SweepPoint {
  std::vector<Override> values;
  std::vector<std::string> patterns;
};

// What a sweep is, independent of how and where it runs. Written into the manifest and read
// back by `coordsim merge`.
struct SweepShape {
  std::string version;        // coordsim's
  std::string scenario_name;
  std::string scenario_file;  // as given on the command line
  std::string scenario_hash;  // of the file's text
  uint64_t seed = 0;          // the base seed (after overrides)
  std::vector<std::string> overrides;  // --set and --seed, as "path=value"
  std::vector<SweepAxis> axes;
  uint32_t replications = 1;
  std::vector<SweepPoint> points;
  // The scenario's request types when it has several (every point has the same); a run then
  // writes one line for all its transactions (request_type "all") and one per type.
  std::vector<std::string> request_types;
  size_t lines_per_run() const { return 1 + request_types.size(); }
  // The services with columns of their own in the runs lines (csv_services() of the first
  // point; a point without one of them leaves its columns empty).
  std::vector<std::string> services;
  // The columns before a runs line's scenario columns: the run index, then each axis's
  // value and, for an axis of durations or rates, its number in SI units (si_twins()).
  size_t lead_columns() const;
  // The column of each axis's value in a runs line, then the first scenario column.
  std::vector<size_t> axis_columns() const;
  // The request_type of a run's k-th line.
  const std::string& request_type_of_line(size_t k) const;

  // The run with this index.
  struct Run {
    size_t point = 0;
    uint32_t replication = 0;
    size_t pattern = 0;  // index into points[point].patterns
  };
  std::vector<Run> runs() const;
  size_t run_count() const;
  // Identifies the sweep: a hash of everything above but the file name. Resume and merge
  // refuse files written by a different sweep.
  std::string id() const;
};

// A sweep ready to run: its shape and the scenario of every grid point.
struct SweepPlan {
  SweepShape shape;
  std::vector<Scenario> scenarios;  // one per point
  std::vector<SweepShape::Run> runs;  // shape.runs(), once
  // --timeseries: every run made here is sampled at this interval, and its rows (CSV lines
  // that start with the run's identity, time_series_header()) go to the sink, called from
  // the run's thread (the sink locks). Time::max(): no time series.
  sim::Time series_every = sim::Time::max();
  std::function<void(size_t run, std::string rows)> series_sink;
};

// The header of a sweep's time series: run, the axes, replication, then the columns of
// `coordsim run --timeseries`.
std::string time_series_header(const SweepShape& shape);

// `--shard i/n`: the runs whose index is i-1 modulo n (round robin, so every shard gets a
// share of every grid point).
struct Shard {
  uint32_t index = 1, count = 1;
  bool holds(size_t run) const { return run % count == index - 1; }
  bool whole() const { return count == 1; }
};
sim::Result<Shard> parse_shard(const std::string& text);

// One block of CSV lines (each with its newline) per run index: the run's totals, then a
// line per request type when the scenario has several; empty while the run has not been made.
using SweepRows = std::vector<std::string>;

// A metric's statistics over the replications: mean, sample standard deviation, and its
// 95% interval, made to fit the metric (docs/output.md): a Wilson score interval over the
// pooled transactions for a per-transaction proportion, otherwise the Student-t interval of
// the mean clamped to the metric's range. `t_lo`, `t_hi`: for a proportion, the
// replication-level t interval beside the Wilson one. NaN bounds for one replication.
struct Stats {
  size_t n = 0;
  double mean = 0, sd = 0, lo = NAN, hi = NAN;
  double t_lo = NAN, t_hi = NAN;
  const char* interval = "none";  // "wilson", "t" or "none"
};

// The 95% Wilson score interval of a proportion with x successes in n trials (Wilson 1927).
std::pair<double, double> wilson95(double x, double n);

// One aggregate: a grid point, a pattern (or "B - A" for a paired difference against the
// point's first pattern), a request type ("all" for every transaction), a metric and its
// statistics over the replications.
struct SummaryRow {
  size_t point = 0;
  std::string label;
  std::string request_type;
  std::string metric;
  Stats stats;
  std::vector<double> values;  // by replication (for the paired comparisons of the verdict)
};

// Parses "path=v1,v2,v3", "path=START:STOP:STEP" or "path=log:START:STOP:COUNT".
sim::Result<SweepAxis> parse_sweep_axis(const std::string& arg);

// The most grid points and runs a sweep may have: each point is a scenario loaded and kept,
// each run an entry of the plan, all before the first run starts.
constexpr size_t kMaxSweepPoints = 100'000;
constexpr size_t kMaxSweepRuns = 100'000'000;

// The grid: `axes` (from the command line) replace same-path axes of the file and add the
// others; `replications` > 0 replaces the file's count. Every point's scenario is loaded
// and checked here, before anything runs; a grid or a plan beyond the limits above is
// refused.
sim::Result<SweepPlan> plan_sweep(const Scenario& base, const std::vector<Override>& overrides,
                                  const std::vector<SweepAxis>& axes, uint32_t replications);

// Makes one run and returns its block of CSV lines. Each line ends with a checksum of the
// rest of it (run_line_checksum), so that an edited or damaged line is refused on reading.
std::string make_run(const SweepPlan& plan, size_t run);
// The checksum field of a run line: 16 hex digits of FNV-1a over the line's other bytes.
std::string run_line_checksum(const std::string& content);

// Hands out the runs still to make, one at a time, to threads (and MPI ranks) alike.
class RunQueue {
 public:
  explicit RunQueue(std::vector<size_t> todo, std::function<bool()> stop = {})
      : todo_(std::move(todo)), stop_(std::move(stop)) {}
  // The next run to make, or nothing when all are handed out or `stop()` says so.
  std::optional<size_t> next() {
    if (stop_ && stop_()) return std::nullopt;
    const size_t i = next_++;
    if (i >= todo_.size()) return std::nullopt;
    return todo_[i];
  }
  size_t size() const { return todo_.size(); }

 private:
  std::vector<size_t> todo_;
  std::function<bool()> stop_;
  std::atomic<size_t> next_{0};
};

// Makes the queue's runs on `jobs` threads; `done(run, lines)` is called under a lock as
// each finishes.
void make_runs(const SweepPlan& plan, RunQueue& queue, unsigned jobs,
               const std::function<void(size_t, std::string)>& done);

// The convenience of tests and simple callers: the whole grid, in memory.
struct SweepOutput {
  SweepShape shape;
  SweepRows rows;
};
sim::Result<SweepOutput> run_sweep(const Scenario& base, const std::vector<Override>& overrides,
                                   const std::vector<SweepAxis>& axes, uint32_t replications,
                                   unsigned jobs);

// The runs file's header: run, the axis paths, then the run columns (docs/output.md).
std::string sweep_runs_header(const SweepShape& shape);
// The header and the rows made so far, in run order.
std::string sweep_runs_csv(const SweepShape& shape, const SweepRows& rows);
inline std::string sweep_runs_csv(const SweepOutput& out) { return sweep_runs_csv(out.shape, out.rows); }

// Aggregates the runs (all of them must be there), reading each metric back from its CSV
// line, so the summary is the same however the lines were made.
std::vector<SummaryRow> summarize_sweep(const SweepShape& shape, const SweepRows& rows);
inline std::vector<SummaryRow> summarize_sweep(const SweepOutput& out) {
  return summarize_sweep(out.shape, out.rows);
}
// Long format, one row per (point, pattern, request type, metric): n, mean, sd and the 95%
// Student-t interval of the mean over replications; then, for every pattern after the first,
// the paired difference (pattern - first pattern) per replication, with its own interval.
std::string sweep_summary_csv(const SweepShape& shape, const SweepRows& rows);
// The paired differences, in a file of their own: per point, pattern B (`pattern`) minus the
// point's first pattern A (`baseline`), replication by replication, per request type and
// metric: n, mean, sd, the 95% t interval of the differences and `interval` (t or none).
std::string sweep_differences_csv(const SweepShape& shape, const SweepRows& rows);
inline std::string sweep_summary_csv(const SweepOutput& out) { return sweep_summary_csv(out.shape, out.rows); }
// A table of the main metrics (violations, availability, completion, messages) for people,
// for all transactions together.
std::string sweep_table(const SweepShape& shape, const SweepRows& rows);
// A grid point as "path=value path=value", "-" for a sweep without axes.
std::string point_text(const SweepShape& shape, size_t point);

// The verdict of a sweep: per grid point and metric (all transactions), the best pattern
// (lowest, or highest where more is better), and its paired difference to each other
// pattern over the replications (common random numbers), significant at 95% when the t
// interval of the differences excludes 0.
struct VerdictRow {
  size_t point = 0;
  std::string metric;
  std::string best;   // its pattern
  std::string other;  // the pattern compared with it
  Stats diff;         // other minus best, replication by replication
  bool significant = false;
};
// Every metric of a summary: the numeric run columns, then the rates per transaction.
const std::vector<std::string>& summary_metric_names();
// The metrics judged when none are named.
const std::vector<std::string>& default_verdict_metrics();
std::vector<VerdictRow> sweep_verdict(const SweepShape& shape, const SweepRows& rows,
                                      const std::vector<std::string>& metrics);
// The verdict as text: the best pattern per point and metric, with the patterns it beats
// significantly and those it does not, then where along each axis the best pattern changes.
std::string verdict_text(const SweepShape& shape, const std::vector<VerdictRow>& verdict);
std::string verdict_csv(const SweepShape& shape, const std::vector<VerdictRow>& verdict);

// The lines of a run's block, each with its newline.
std::vector<std::string> block_lines(const std::string& block);
// Splits one CSV line into fields (quoted fields may hold commas and doubled quotes).
std::vector<std::string> csv_fields(const std::string& line);
// The run index at the start of a runs line, if it has one.
std::optional<size_t> run_index_of(const std::string& line);

}  // namespace app
