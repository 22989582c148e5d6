// coordsim: the command line. Exceptions and errors stop here: one line on stderr and a
// documented exit code (0 ok, 1 the run failed or an output could not be written, 2 bad
// usage or a bad scenario).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "app/bench_phold.hpp"
#include "app/bench_setup.hpp"
#include "app/report.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"
#include "app/scenario_fields.hpp"
#include "app/sweep_files.hpp"
#include "app/exit_codes.hpp"
#include "app/explain_command.hpp"
#include "app/explore_command.hpp"
#include "app/files.hpp"
#include "app/sweep.hpp"
#include "app/sweep_command.hpp"
#include "app/sweep_mpi.hpp"
#include "app/trace_command.hpp"
#include "app/trace_file.hpp"
#include "models/config.hpp"
#include "models/registry.hpp"
#include "models/timeseries.hpp"
#include "sim/suggest.hpp"
#include "sim/units.hpp"

namespace {

using app::kExitOk;
using app::kExitRunError;
using app::kExitUsage;


struct ScenarioArgs {
  std::string file;
  std::vector<std::string> sets;
  std::string seed;
};

void add_scenario_args(CLI::App* cmd, ScenarioArgs& a) {
  cmd->add_option("scenario", a.file, "The scenario file (YAML); see docs/scenarios.md")
      ->required();
  cmd->add_option("--set", a.sets,
                  "Override a field of the scenario, e.g. --set services.payment.mttf=5min "
                  "(repeatable)")
      ->type_name("PATH=VALUE");
  cmd->add_option("--seed", a.seed, "Use this master seed instead of the scenario's")
      ->type_name("N");
}

// Loads the scenario with its overrides (and `extra`, last); prints the error or the
// warnings.
std::optional<app::Scenario> load(const ScenarioArgs& a,
                                  const std::optional<app::Override>& extra = std::nullopt) {
  std::vector<app::Override> overrides;
  for (const std::string& s : a.sets) {
    auto o = app::parse_override(s);
    if (!o.ok()) {
      fmt::print(stderr, "coordsim: {}\n", o.status().message());
      return std::nullopt;
    }
    overrides.push_back(o.value());
  }
  if (!a.seed.empty()) overrides.push_back({"seed", a.seed});
  if (extra) overrides.push_back(*extra);
  auto s = app::load_scenario_file(a.file, overrides);
  if (!s.ok()) {
    fmt::print(stderr, "{}\n", s.status().message());
    return std::nullopt;
  }
  for (const std::string& w : s.value().warnings) fmt::print(stderr, "{}: {}\n", a.file, w);
  return std::move(s).value();
}

int cmd_validate(const ScenarioArgs& a) {
  auto s = load(a);
  if (!s) return kExitUsage;
  const auto& c = s->config;
  std::vector<std::string> patterns;
  for (const auto& p : c.patterns) patterns.emplace_back(p.label());
  size_t steps = 0, replicas = 0;
  for (const auto& wf : c.workflows) steps += wf.steps.size();
  for (const auto& sv : c.services) replicas += sv.replicas;
  auto plural = [](size_t n, const char* one, const char* many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
  };
  const std::string workflows =
      c.workflows.size() == 1
          ? plural(steps, "workflow step", "workflow steps")
          : fmt::format("{} request types with {} in all", c.workflows.size(),
                        plural(steps, "step", "steps"));
  const std::string nodes =
      replicas == c.services.size() ? "" : fmt::format(" on {} replicas", replicas);
  fmt::print("{}: ok: scenario \"{}\", {}{}, {}, {} {}\n", a.file, c.name,
             plural(c.services.size(), "service", "services"), nodes, workflows,
             patterns.size() == 1 ? "pattern" : "patterns", sim::join_all(patterns, false));
  return kExitOk;
}

// --pattern NAME[/TRANSPORT]...: an override of the scenario's list (nullopt: keep it), or
// a message and false for an unknown name.
bool patterns_override(const std::vector<std::string>& pattern_args, std::optional<app::Override>& chosen) {
  for (const std::string& p : pattern_args) {
    // The name before any /TRANSPORT; the loader checks the transport.
    if (models::find_pattern(p.substr(0, p.find('/'))) == nullptr) {
      auto near = sim::closest_match(p.substr(0, p.find('/')), models::pattern_names());
      fmt::print(stderr, "coordsim: --pattern {}: unknown pattern{}; valid values are {}\n", p,
                 near ? fmt::format(" (did you mean \"{}\"?)", *near) : "",
                 sim::join_alternatives(models::pattern_names()));
      return false;
    }
  }
  // --pattern replaces the scenario's list, checked by the loader like the file's own.
  if (!pattern_args.empty()) {
    chosen = app::Override{"patterns", fmt::format("[{}]", fmt::join(pattern_args, ", ")),
                           fmt::format("--pattern {}", fmt::join(pattern_args, " --pattern "))};
  }
  return true;
}

int cmd_explore(const ScenarioArgs& a, const std::vector<std::string>& pattern_args,
                const std::string& faults, const std::string& recover_after, app::ExploreArgs e) {
  std::optional<app::Override> chosen;
  if (!patterns_override(pattern_args, chosen)) return kExitUsage;
  const auto back = app::positive_duration_option("--recover-after", recover_after, "5s");
  if (!back.ok()) {
    fmt::print(stderr, "coordsim: {}\n", back.status().message());
    return kExitUsage;
  }
  e.options.recover_after = back.value();
  e.options.crashes = faults != "loss";
  e.options.losses = faults != "crash";
  auto s = load(a, chosen);
  if (!s) return kExitUsage;
  return app::explore_command(*s, e);
}

struct TraceArgs {
  std::string timeseries, interval = "1s";
  std::string file;
  std::vector<uint64_t> txns;
  std::optional<double> sample;
  std::string outcome;
  size_t first = 100;
  bool any_selection() const { return !txns.empty() || sample || !outcome.empty(); }
};

int cmd_explain(const ScenarioArgs& a, const std::vector<std::string>& pattern_args,
                const std::string& outcome, app::ExplainArgs e) {
  if (e.txns.empty() && outcome.empty()) {
    fmt::print(stderr, "coordsim: explain needs --txn N (repeatable) or --outcome OUTCOME: "
                       "which transaction to explain\n");
    return kExitUsage;
  }
  if (!outcome.empty()) {
    auto o = app::parse_outcome(outcome, "--outcome");
    if (!o.ok()) {
      fmt::print(stderr, "coordsim: {}\n", o.status().message());
      return kExitUsage;
    }
    e.outcome = o.value();
  }
  std::optional<app::Override> chosen;
  if (!patterns_override(pattern_args, chosen)) return kExitUsage;
  auto s = load(a, chosen);
  if (!s) return kExitUsage;
  return app::explain_command(*s, e);
}

int cmd_run(ScenarioArgs a, const std::vector<std::string>& pattern_args,
            uint64_t replication, const std::string& csv, const std::string& json, bool timing,
            const TraceArgs& trace) {
  if (trace.file.empty() && trace.any_selection()) {
    fmt::print(stderr, "coordsim: --trace-txn, --trace-sample and --trace-outcome choose what "
                       "--trace FILE follows: give --trace FILE too\n");
    return kExitUsage;
  }
  app::TraceSelection sel;
  sel.txns = trace.txns;
  sel.sample = trace.sample;
  sel.first = trace.first;
  if (!trace.outcome.empty()) {
    auto o = app::parse_outcome(trace.outcome, "--trace-outcome");
    if (!o.ok()) {
      fmt::print(stderr, "coordsim: {}\n", o.status().message());
      return kExitUsage;
    }
    sel.outcome = o.value();
  }
  std::optional<app::Override> chosen;
  if (!patterns_override(pattern_args, chosen)) return kExitUsage;
  auto s = load(a, chosen);
  if (!s) return kExitUsage;
  std::optional<app::PerfettoTrace> trace_file;
  std::optional<models::TraceRecorder> recorder;
  if (!trace.file.empty()) {
    if (!trace.any_selection()) {
      for (uint64_t t = 0; t < 100; ++t) sel.txns.push_back(t);
      fmt::print(stderr, "note: tracing transactions 0 to 99 (choose others with --trace-txn, "
                         "--trace-sample or --trace-outcome)\n");
    }
    const models::TxnFilter filter = app::resolve_selection(*s, s->config.patterns, replication, sel);
    if (sel.outcome && !filter.selects_any()) {
      fmt::print(stderr, "note: no transaction ended {} under these patterns: the trace holds "
                         "only the faults\n", trace.outcome);
    }
    trace_file.emplace(trace.file);
    if (!trace_file->status().ok()) {
      fmt::print(stderr, "coordsim: {}\n", trace_file->status().message());
      return kExitRunError;
    }
    recorder.emplace(*trace_file, filter);
  }
  std::optional<models::TimeSeriesProbe> series;
  if (!trace.timeseries.empty()) {
    const auto every = app::positive_duration_option("--interval", trace.interval, "1s");
    if (!every.ok()) {
      fmt::print(stderr, "coordsim: {}\n", every.status().message());
      return kExitUsage;
    }
    if (s->config.duration &&
        static_cast<uint64_t>(sim::Time::saturating_add(*s->config.duration, s->config.drain).ns() / every.value().ns()) >
            models::TimeSeriesProbe::kMaxIntervals) {
      fmt::print(stderr, "coordsim: --interval {}: more than {} intervals in the run's {} and {} of drain; "
                         "choose a longer interval\n",
                 trace.interval, models::TimeSeriesProbe::kMaxIntervals, *s->config.duration, s->config.drain);
      return kExitUsage;
    }
    series.emplace(every.value());
  }
  models::ProbeList probes;
  if (recorder) probes.add(&*recorder);
  if (series) probes.add(&*series);
  auto results = app::run_scenario(*s, {}, replication, probes.empty() ? nullptr : &probes);
  if (!results.ok()) {
    fmt::print(stderr, "coordsim: {}\n", results.status().message());
    return kExitRunError;
  }
  if (series) {
    if (series->truncated()) {
      fmt::print(stderr, "note: the time series stops after {} intervals: choose a longer --interval\n",
                 models::TimeSeriesProbe::kMaxIntervals);
    }
    auto write = [&](std::ostream& out) { app::write_timeseries_csv(out, series->rows()); };
    if (auto st = app::write_file_atomic(trace.timeseries, write); !st.ok()) {
      fmt::print(stderr, "coordsim: {}\n", st.message());
      return kExitRunError;
    }
  }
  // A transaction asked for by id that no run reached is not in the trace: say so.
  for (uint64_t id : trace.txns) {
    for (const models::RunResult& r : results.value()) {
      if (id < r.transactions_simulated) continue;
      fmt::print(stderr, "note: --trace-txn {}: {} made only {} transaction{} (numbered from 0), so the "
                         "trace has nothing of it there\n",
                 id, r.pattern.label(), r.transactions_simulated, r.transactions_simulated == 1 ? "" : "s");
    }
  }
  if (trace_file) {
    if (auto st = trace_file->close(); !st.ok()) {
      fmt::print(stderr, "coordsim: {}\n", st.message());
      return kExitRunError;
    }
    fmt::print(stderr, "note: trace written to {} (open it at https://ui.perfetto.dev or in "
                       "chrome://tracing)\n", trace.file);
  }
  fmt::print("{}", app::summary_table(*s, results.value()));
  if (timing) {
    for (const auto& r : results.value()) {
      fmt::print("timing {}: {} transactions, {} events in {:.3f} s of wall time: {:.0f} "
                 "transactions/s, {:.2f} M events/s; peak memory {:.1f} MiB\n",
                 r.pattern.label(), r.transactions_simulated, r.events, r.wall_s,
                 r.wall_s > 0 ? static_cast<double>(r.transactions_simulated) / r.wall_s : 0.0,
                 r.wall_s > 0 ? static_cast<double>(r.events) / r.wall_s / 1e6 : 0.0,
                 app::peak_rss_mib());
    }
  }
  if (!csv.empty()) {
    const std::vector<std::string> services = app::csv_services(s->config);
    if (services.empty() && !s->config.services.empty()) {
      fmt::print(stderr, "note: {} services: the CSV has per-service columns for at most {}; --json has them all\n",
                 s->config.services.size(), app::kMaxServiceColumns);
    }
    std::string text = app::csv_header(services);
    for (const auto& r : results.value()) {
      for (const std::string& row : app::csv_rows(*s, r, services)) text += row;
    }
    if (auto st = app::write_file_atomic(csv, text); !st.ok()) {
      fmt::print(stderr, "coordsim: {}\n", st.message());
      return kExitRunError;
    }
  }
  if (!json.empty()) {
    if (auto st = app::write_file_atomic(json, app::to_json(*s, results.value())); !st.ok()) {
      fmt::print(stderr, "coordsim: {}\n", st.message());
      return kExitRunError;
    }
  }
  return kExitOk;
}

int cmd_sweep(const ScenarioArgs& a, const std::vector<std::string>& sweep_args,
              const std::string& shard, app::SweepOptions opt, const app::mpi::Session* session) {
  auto s = load(a);
  if (!s) return kExitUsage;
  for (const std::string& arg : sweep_args) {
    auto axis = app::parse_sweep_axis(arg);
    if (!axis.ok()) {
      fmt::print(stderr, "coordsim: {}\n", axis.status().message());
      return kExitUsage;
    }
    opt.axes.push_back(axis.value());
  }
  if (!shard.empty()) {
    auto sh = app::parse_shard(shard);
    if (!sh.ok()) {
      fmt::print(stderr, "coordsim: {}\n", sh.status().message());
      return kExitUsage;
    }
    opt.shard = sh.value();
  }
  std::vector<app::Override> overrides;
  for (const std::string& set : a.sets) overrides.push_back(app::parse_override(set).value());
  if (!a.seed.empty()) overrides.push_back({"seed", a.seed});
  return app::sweep_command(*s, overrides, opt, session);
}

// The patterns and their one-line summaries, from the pattern table.
std::string pattern_list() {
  std::string out =
      "Patterns (docs/patterns.md), and the transports each runs over (the first is its "
      "default;\nname another as PATTERN/TRANSPORT, e.g. orchestration/broker):\n";
  size_t width = 0, twidth = 0;
  auto transports = [](const models::PatternInfo& p) {
    std::vector<std::string> t{models::transport_name(p.default_transport)};
    for (auto k : {models::Transport::kRpc, models::Transport::kBroker}) {
      if (k != p.default_transport && p.supports(k)) t.emplace_back(models::transport_name(k));
    }
    return fmt::format("{}", fmt::join(t, ", "));
  };
  for (const models::PatternInfo* p : models::patterns()) {
    width = std::max(width, std::string(p->name).size());
    twidth = std::max(twidth, transports(*p).size());
  }
  for (const models::PatternInfo* p : models::patterns()) {
    out += fmt::format("  {:<{}}  {:<{}}  {}\n", p->name, width, transports(*p), twidth, p->summary);
  }
  return out;
}

// The exit code `rc`, or kExitRunError with a message if the standard output refused any of
// its bytes (a full disk, /dev/full): its last bytes leave here, at exit. `why`: the reason
// when known already.
int with_output_checked(int rc, std::string why = "") {
  // A write that failed already (std::endl's flush) left its reason in errno.
  const int earlier = std::ferror(stdout) != 0 || !std::cout ? errno : 0;
  errno = 0;
  std::cout.flush();  // (which flushes stdout too: the two are in sync)
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0 || !std::cout) {
    const int e = errno != 0 ? errno : earlier;
    if (why.empty()) why = e != 0 ? std::strerror(e) : "a write failed";
    fmt::print(stderr, "coordsim: cannot write the standard output ({})\n", why);
    return kExitRunError;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "coordsim: a discrete-event simulator that compares how microservices coordinate a "
      "business function (orchestration, choreography, two-phase commit, sagas) under "
      "network delays and failures.\n\n"
      "Exit codes: 0 success, 1 the run failed or an output could not be written, 2 bad usage "
      "or an invalid scenario, 130 interrupted (a sweep with --csv keeps its finished runs: "
      "finish it with --resume)."};
  cli.set_version_flag("--version", app::kCoordsimVersion);
  cli.footer(pattern_list());
  cli.require_subcommand(1);

  ScenarioArgs run_args;
  std::vector<std::string> pattern_args;
  uint64_t replication = 0;
  std::string csv, json;
  CLI::App* run = cli.add_subcommand(
      "run", "Run a scenario under its patterns and print a summary table per pattern");
  add_scenario_args(run, run_args);
  run->add_option("--pattern,-p", pattern_args,
                  fmt::format("Run only this pattern (repeatable) instead of the scenario's "
                              "list: {}, optionally with /TRANSPORT (rpc or broker)",
                              sim::join_alternatives(models::pattern_names(), false)))
      ->type_name("NAME[/TRANSPORT]");
  run->footer(pattern_list());
  run->add_option("--replication", replication,
                  "Replication index: the same seed with an independent set of random streams")
      ->type_name("R")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 62));
  run->add_option("--csv", csv, "Also write one CSV row per pattern to FILE (docs/output.md)")
      ->type_name("FILE");
  run->add_option("--json", json, "Also write the results as JSON to FILE")->type_name("FILE");
  bool timing = false;
  run->add_flag("--timing", timing,
                "Also print the wall time of each run's simulation loop, its rate and peak memory");
  TraceArgs trace;
  CLI::Option* run_series = run->add_option("--timeseries", trace.timeseries,
                  "Also write the run interval by interval to FILE (tidy CSV: arrivals, outcomes, "
                  "latency percentiles, in flight, and per node up, queue, utilisation)")
      ->type_name("FILE");
  run->add_option("--interval", trace.interval, "The time series' interval (default 1s)")
      ->type_name("DURATION")
      ->needs(run_series);
  run->add_option("--trace", trace.file,
                  "Write what happened to chosen transactions as a trace (Chrome / Perfetto JSON) "
                  "to FILE: messages, jobs, crashes, log writes")
      ->type_name("FILE");
  run->add_option("--trace-txn", trace.txns, "Follow this transaction id (repeatable)")
      ->type_name("N")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 62));
  run->add_option("--trace-sample", trace.sample,
                  "Follow this fraction of transactions, the same ones under every pattern")
      ->type_name("P")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            char* end = nullptr;
            const double p = std::strtod(v.c_str(), &end);
            if (end == v.c_str() || *end != '\0' || !(p > 0 && p <= 1)) {  // (0 would trace nothing)
              return fmt::format("{}: expected a fraction above 0 and at most 1, such as 0.01", v);
            }
            return "";
          },
          "FRACTION"));
  run->add_option("--trace-outcome", trace.outcome,
                  "Follow transactions that end so (committed, aborted, failed, blocked, "
                  "violated) under some pattern: the first --trace-first of each")
      ->type_name("OUTCOME");
  run->add_option("--trace-first", trace.first, "With --trace-outcome: how many per pattern (default 100)")
      ->type_name("K")
      ->check(CLI::Range(size_t{1}, size_t{1000000}));

  ScenarioArgs validate_args;
  CLI::App* validate =
      cli.add_subcommand("validate", "Check a scenario file without running it");
  add_scenario_args(validate, validate_args);

  std::string fields_prefix;
  bool fields_markdown = false;
  CLI::App* fields = cli.add_subcommand(
      "fields", "List the scenario fields: path, type, default and meaning (docs/scenarios.md)");
  fields->add_option("PREFIX", fields_prefix, "Only the fields whose path starts so, e.g. broker or services.NAME")
      ->type_name("PREFIX");
  fields->add_flag("--markdown", fields_markdown,
                   "Print the docs' table of one group instead (PREFIX is the group: \"\" for the "
                   "top level, workload, service, step, ...)");

  ScenarioArgs sweep_args;
  std::vector<std::string> sweep_axes;
  app::SweepOptions sweep_opt;
  std::string sweep_shard;
  CLI::App* sweep = cli.add_subcommand(
      "sweep",
      "Run the scenario's sweep grid x patterns x replications and report means with 95% "
      "confidence intervals and paired differences between patterns");
  add_scenario_args(sweep, sweep_args);
  sweep->add_option("--sweep", sweep_axes,
                    "Sweep a field over values, e.g. --sweep services.payment.mttf=1h,10min,1min "
                    "(repeatable; replaces the file's axis of the same field)")
      ->type_name("PATH=V1,V2,...");
  sweep->add_option("--replications", sweep_opt.replications,
                    "Independent replications per grid point (default: the file's, else 1)")
      ->type_name("R")
      ->check(CLI::Range(1u, 1000000u));
  sweep->add_option("--jobs,-j", sweep_opt.jobs,
                    "Runs in parallel on this many threads; the output is the same for any N "
                    "(under mpirun: threads of rank 0, besides the other ranks)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  sweep->add_option("--csv", sweep_opt.csv,
                    "Write one row per run to FILE (docs/output.md), and the sweep's manifest "
                    "beside it (FILE without .csv, plus .manifest.json). Runs are journaled to "
                    "FILE.partial as they finish, so an interrupted sweep can be resumed")
      ->type_name("FILE");
  sweep->add_option("--summary", sweep_opt.summary,
                    "Write means, standard deviations and 95% intervals per grid point, "
                    "pattern and metric to FILE")
      ->type_name("FILE");
  sweep->add_option("--differences", sweep_opt.differences,
                    "Write the paired differences between patterns (each minus the point's first, "
                    "replication by replication) with their 95% intervals to FILE")
      ->type_name("FILE");
  sweep->add_option("--manifest", sweep_opt.manifest,
                    "Write the JSON manifest of the sweep (its axes, points, patterns, "
                    "replications, seed and files) to FILE instead")
      ->type_name("FILE");
  sweep->add_flag("--resume", sweep_opt.resume,
                  "Finish an interrupted sweep: keep the runs already in FILE.partial (or FILE) "
                  "of --csv and make only the others; the output is the same as in one go");
  sweep->add_option("--shard", sweep_shard,
                    "Make only slice I of N of the runs (round robin, I from 1 to N), e.g. "
                    "--shard $SLURM_ARRAY_TASK_ID/8; needs --csv; combine with coordsim merge")
      ->type_name("I/N");
  sweep->add_option("--verdict", sweep_opt.verdict,
                    "Write the verdict (per grid point and metric, the best pattern and whether "
                    "its paired difference to each other pattern is significant at 95%) to FILE")
      ->type_name("FILE");
  sweep->add_option("--metric", sweep_opt.verdict_metrics,
                    "A metric the verdict judges (repeatable; default violated_per_txn, "
                    "availability, acceptance_p99_ms, completion_p99_ms, messages_per_txn)")
      ->type_name("METRIC");
  CLI::Option* precision_opt = sweep->add_option("--precision", sweep_opt.precision,
                    "Add replications until METRIC's 95% half-width is at most REL times its mean "
                    "(or ABS) at every point (repeatable), e.g. availability=0.001")
      ->type_name("METRIC=REL[:ABS]");
  sweep->add_option("--max-replications", sweep_opt.max_replications,
                    "With --precision: stop adding replications here (default 100)")
      ->type_name("R")
      ->check(CLI::Range(2u, 100000u))
      ->needs(precision_opt);
  CLI::Option* sweep_series = sweep->add_option("--timeseries", sweep_opt.timeseries,
                    "Also write every run interval by interval to FILE (tidy CSV, as run --timeseries, "
                    "with the run, the axes and the replication)")
      ->type_name("FILE");
  sweep->add_option("--interval", sweep_opt.interval, "The time series' interval (default 1s)")
      ->type_name("DURATION")
      ->needs(sweep_series);
  sweep->add_flag("--quiet,-q", sweep_opt.quiet,
                  "No progress on stderr (a bar on a terminal, a line per 10% otherwise)");

  std::vector<std::string> merge_inputs;
  std::string merge_csv, merge_summary, merge_manifest, merge_differences;
  CLI::App* merge = cli.add_subcommand(
      "merge",
      "Combine the runs files of all shards of a sweep (coordsim sweep --shard I/N --csv) "
      "into exactly the files one machine would have written");
  merge->add_option("shards", merge_inputs,
                    "The shards' runs files; each one's manifest is read from beside it")
      ->required()
      ->type_name("SHARD.csv...");
  merge->add_option("--csv", merge_csv, "Write the merged runs file to FILE")
      ->required()
      ->type_name("FILE");
  merge->add_option("--summary", merge_summary, "Write the summary (as coordsim sweep --summary)")
      ->type_name("FILE");
  merge->add_option("--differences", merge_differences,
                    "Write the paired differences (as coordsim sweep --differences)")
      ->type_name("FILE");
  merge->add_option("--manifest", merge_manifest,
                    "Write the manifest to FILE (default: beside --csv)")
      ->type_name("FILE");

  std::vector<std::string> compare_inputs, compare_metrics;
  std::string compare_verdict;
  CLI::App* compare = cli.add_subcommand(
      "compare",
      "Say, from a finished sweep's runs file (or its shards), which pattern is best at each point "
      "and whether the differences are significant (paired over the replications)");
  compare->add_option("runs", compare_inputs, "The runs file that coordsim sweep --csv wrote (or every shard's)")
      ->required()
      ->type_name("RUNS.csv");
  compare->add_option("--metric", compare_metrics, "Judge this metric (repeatable; default: the main ones)")
      ->type_name("M");
  compare->add_option("--verdict", compare_verdict, "Also write the verdict as CSV to FILE")->type_name("FILE");

  ScenarioArgs explore_args;
  std::vector<std::string> explore_patterns;
  std::string explore_faults = "both", explore_recover = "5s";
  app::ExploreArgs explore_opt;
  CLI::App* explore = cli.add_subcommand(
      "explore",
      "Inject one fault at every point of one transaction (a crash after each send and each "
      "delivery, the loss of each message), under each pattern, and count the outcomes");
  add_scenario_args(explore, explore_args);
  explore->add_option("--pattern,-p", explore_patterns,
                      "Explore only this pattern (repeatable) instead of the scenario's list")
      ->type_name("NAME[/TRANSPORT]");
  explore->add_option("--faults", explore_faults, "Which faults: crash, loss or both")
      ->check(CLI::IsMember({"crash", "loss", "both"}))
      ->type_name("KIND");
  CLI::Option* explore_recover_opt =
      explore->add_option("--recover-after", explore_recover, "How long a crashed node stays down")
      ->type_name("DURATION");
  explore->add_option("--csv", explore_opt.csv, "Write the counts of points by outcome per pattern to FILE")
      ->type_name("FILE");
  explore->add_option("--points", explore_opt.points, "Write every point and its outcome to FILE (CSV)")
      ->type_name("FILE");
  explore->add_option("--list", explore_opt.list,
                      "How many violated and blocking points to print per pattern")
      ->type_name("K")
      ->check(CLI::Range(size_t{0}, size_t{1000000}));

  ScenarioArgs explain_args;
  std::vector<std::string> explain_patterns;
  std::string explain_outcome;
  app::ExplainArgs explain_opt;
  CLI::App* explain = cli.add_subcommand(
      "explain",
      "Tell what happened to one transaction under each pattern (messages, jobs, faults, why it "
      "ended as it did), with its Mermaid sequence diagram");
  add_scenario_args(explain, explain_args);
  explain->add_option("--pattern,-p", explain_patterns,
                      "Explain under this pattern (repeatable) instead of the scenario's list")
      ->type_name("NAME[/TRANSPORT]");
  explain->add_option("--txn", explain_opt.txns, "The transaction id to explain (repeatable)")
      ->type_name("N")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 62));
  CLI::Option* explain_outcome_opt = explain->add_option("--outcome", explain_outcome,
                      "Explain transactions that end so (committed, aborted, failed, blocked, violated)")
      ->type_name("OUTCOME");
  explain->add_option("--first", explain_opt.first, "With --outcome: how many per pattern (default 1)")
      ->type_name("K")
      ->check(CLI::Range(size_t{1}, size_t{1000}))
      ->needs(explain_outcome_opt);
  explain->add_option("--mermaid", explain_opt.mermaid, "Also write the sequence diagrams alone to FILE")
      ->type_name("FILE");

  CLI::App* bench = cli.add_subcommand("bench", "Kernel benchmarks: rates and peak memory, not pass/fail");
  bench->require_subcommand(1);
  app::PholdParams phold;
  CLI::App* ph = bench->add_subcommand(
      "phold", "PHOLD: LPs exchanging events at random; prints events per second and peak memory");
  ph->add_option("--lps", phold.lps, "Number of logical processes")->check(CLI::Range(1u, 100'000'000u));
  ph->add_option("--per-lp", phold.per_lp, "Initial events per LP")->check(CLI::Range(1u, 1000u));
  ph->add_option("--events", phold.events, "Events to handle")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  ph->add_option("--seed", phold.seed, "Seed")
      ->type_name("N")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {  // (CLI11 would wrap -1 and saturate 2^64)
            uint64_t n = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
              return fmt::format("{}: expected a whole number from 0 to 18446744073709551615", v);
            }
            return "";
          },
          ""));
  app::SetupParams setup;
  CLI::App* su = bench->add_subcommand(
      "setup", "Set up a call-tree scenario of N services; prints load and build times and peak memory");
  su->add_option("--services", setup.services, "Number of services")->check(CLI::Range(1u, app::kMaxSetupServices));
  su->add_option("--transactions", setup.transactions, "Transactions to run once set up (0: none)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{10'000'000}));

  // A file name given empty (an unset shell variable: --csv "$OUT") would read as "not
  // given" and the file would silently not be written: every file option refuses it.
  const CLI::Validator non_empty(
      [](std::string& v) { return v.empty() ? std::string("the file name is empty") : std::string(); }, "");
  std::vector<CLI::App*> apps{&cli};
  for (size_t i = 0; i < apps.size(); ++i) {
    for (CLI::App* sub : apps[i]->get_subcommands({})) apps.push_back(sub);
    for (CLI::Option* o : apps[i]->get_options()) {
      const std::string type = o->get_type_name();
      const std::string name = o->get_name();
      if (type.find("FILE") != std::string::npos || type.find("RUNS") != std::string::npos ||
          name == "scenario" || name == "shards" || name == "runs") {
        o->check(non_empty);
      }
    }
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return with_output_checked(cli.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return with_output_checked(cli.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return with_output_checked(cli.exit(e));
  } catch (const CLI::ParseError& e) {
    cli.exit(e);
    return kExitUsage;
  }

  if (const auto ranks = app::mpi::launcher_size(); ranks && *ranks > 1) {
    if (app::mpi::launcher_rank() != 0) std::freopen("/dev/null", "w", stderr);  // one message
    if (!*sweep) {
      fmt::print(stderr, "coordsim: only `coordsim sweep` runs over MPI ranks; start the other "
                         "commands without mpirun\n");
      return kExitUsage;
    }
    if (!app::mpi::built_with_mpi()) {
      fmt::print(stderr,
                 "coordsim: started by an MPI launcher with {} ranks, but this coordsim was built "
                 "without MPI (install libopenmpi-dev and rebuild; SIM_MPI=ON)\n",
                 *ranks);
      return kExitUsage;
    }
  }

  // The files a command will write are checked before it runs anything: a long run must not
  // end on an output it cannot write.
  // Each is named by its option, to say which two clash.
  using Named = std::vector<std::pair<std::string, std::string>>;  // (option, file)
  Named outputs, inputs;
  if (*run) outputs = {{"--csv", csv}, {"--json", json}, {"--timeseries", trace.timeseries}, {"--trace", trace.file}};
  if (*sweep) {
    outputs = {{"--csv", sweep_opt.csv}, {"--summary", sweep_opt.summary}, {"--manifest", sweep_opt.manifest},
               {"--differences", sweep_opt.differences}, {"--verdict", sweep_opt.verdict},
               {"--timeseries", sweep_opt.timeseries}};
    if (!sweep_opt.csv.empty()) {  // written beside the runs file
      if (sweep_opt.manifest.empty()) outputs.push_back({"--csv's manifest", app::default_manifest_path(sweep_opt.csv)});
      outputs.push_back({"--csv's journal", app::journal_path(sweep_opt.csv)});
    }
  }
  if (*merge) {
    outputs = {{"--csv", merge_csv}, {"--summary", merge_summary}, {"--manifest", merge_manifest},
               {"--differences", merge_differences}};
    if (merge_manifest.empty()) outputs.push_back({"--csv's manifest", app::default_manifest_path(merge_csv)});
    for (const std::string& f : merge_inputs) {
      inputs.push_back({"a shard", f});
      inputs.push_back({"a shard's manifest", app::default_manifest_path(f)});
    }
  }
  if (*compare) {
    outputs = {{"--verdict", compare_verdict}};
    for (const std::string& f : compare_inputs) {
      inputs.push_back({"a runs file", f});
      inputs.push_back({"a runs file's manifest", app::default_manifest_path(f)});
    }
  }
  if (*explore) outputs = {{"--csv", explore_opt.csv}, {"--points", explore_opt.points}};
  if (*explain) outputs = {{"--mermaid", explain_opt.mermaid}};
  for (const ScenarioArgs* a : {&run_args, &sweep_args, &explore_args, &explain_args}) {
    if (!a->file.empty()) inputs.push_back({"the scenario", a->file});
  }
  std::erase_if(outputs, [](const auto& o) { return o.second.empty(); });
  for (const auto& [option, path] : outputs) {
    if (const sim::Status st = app::check_writable(path); !st.ok()) {
      fmt::print(stderr, "coordsim: {}\n", st.message());
      return kExitUsage;
    }
  }
  // Two outputs in one file, or an output over an input: one would destroy the other.
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [option, path] = outputs[i];
    for (size_t j = 0; j < i; ++j) {
      if (!app::same_file(path, outputs[j].second)) continue;
      fmt::print(stderr, "coordsim: {}: {} and {} would write the same file; give each a file of its own\n",
                 path, outputs[j].first, option);
      return kExitUsage;
    }
    for (const auto& [what, file] : inputs) {
      if (!app::same_file(path, file)) continue;
      fmt::print(stderr, "coordsim: {}: {} would overwrite {}, which it reads; give {} another file\n", path,
                 option, what, option);
      return kExitUsage;
    }
  }
  // A sweep's runs file has files beside it (its manifest, its journal) and is read back by
  // --resume, merge and compare: a device, a pipe or a link (/dev/stdout) cannot be one.
  for (const std::string& path : {*sweep ? sweep_opt.csv : std::string(), *merge ? merge_csv : std::string()}) {
    if (path.empty() || !app::written_in_place(path)) continue;
    fmt::print(stderr,
               "coordsim: {}: the runs file must be a regular file, not a device, a pipe or a "
               "link (its manifest is written beside it, and --resume, merge and compare read "
               "it back); give a file name, or leave out --csv and read the table\n",
               path);
    return kExitUsage;
  }

  // The command; then its standard output, whose last bytes leave at exit: a full disk or
  // a closed pipe there is the command's failure, not a silent exit 0.
  auto command = [&]() -> int {
    if (*run) return cmd_run(run_args, pattern_args, replication, csv, json, timing, trace);
    if (*validate) return cmd_validate(validate_args);
    if (*fields) return app::print_fields(fields_prefix, fields_markdown) ? kExitOk : kExitUsage;
    if (*compare) return app::compare_command(compare_inputs, compare_metrics, compare_verdict);
    if (*explain) return cmd_explain(explain_args, explain_patterns, explain_outcome, explain_opt);
    if (*explore) {
      if (explore_recover_opt->count() > 0 && explore_faults == "loss") {
        fmt::print(stderr, "coordsim: --recover-after: --faults loss crashes no node, so none "
                           "recovers; leave it out, or give --faults crash or both\n");
        return kExitUsage;
      }
      return cmd_explore(explore_args, explore_patterns, explore_faults, explore_recover, explore_opt);
    }
    if (*sweep) {
      // Under an MPI launcher: one session for the whole command; only rank 0 speaks.
      std::optional<app::mpi::Session> session;
      if (app::mpi::launcher_size()) {
        session.emplace();
        if (session->rank() != 0) {
          std::freopen("/dev/null", "w", stdout);
          std::freopen("/dev/null", "w", stderr);
        }
      }
      return cmd_sweep(sweep_args, sweep_axes, sweep_shard, sweep_opt,
                       session ? &*session : nullptr);
    }
    if (*merge) return app::merge_command(merge_inputs, merge_csv, merge_summary, merge_manifest, merge_differences);
    if (*ph) {
      // Every LP's first events are pending from the start: refuse what cannot fit before
      // allocating it, rather than fail with a message about transactions.
      if (const sim::Status st = app::phold_fits(phold, app::MemoryBudget::of_this_machine()); !st.ok()) {
        fmt::print(stderr, "{}\n", st.message());
        return kExitUsage;
      }
      const auto r = app::run_phold(phold);
      fmt::print("{}\n", app::format_phold(phold, r));
      return kExitOk;
    }
    if (*su) {
      const auto r = app::run_setup(setup);
      fmt::print("{}\n", app::format_setup(setup, r));
      return kExitOk;
    }
    return kExitUsage;
  };
  int rc = kExitUsage;
  std::string out_error;  // why the standard output refused a write, if it did
  try {
    rc = command();
  } catch (const std::bad_alloc&) {
    if (*ph || *su) {  // a benchmark keeps no transactions: the advice below is not for it
      fmt::print(stderr, "coordsim: out of memory: lower {}\n", *ph ? "--lps or --per-lp" : "--services");
      return kExitRunError;
    }
    fmt::print(stderr,
               "coordsim: out of memory: a run keeps a record of every transaction that may still "
               "change (in flight, or finished less than every wait of the scenario ago), a "
               "trace keeps them all, and a time series a row per interval; lower the arrival "
               "rate, shorten the waits (timeouts, redelivery), or drop --trace or lengthen "
               "--interval\n");
    return kExitRunError;
  } catch (const std::system_error& e) {
    if (std::ferror(stdout) == 0) {
      fmt::print(stderr, "coordsim: internal error: {}\n", e.what());
      return kExitRunError;
    }
    // fmt::print found the standard output refusing its bytes: said below.
    rc = kExitRunError;
    out_error = e.code().message();
  } catch (const std::exception& e) {
    fmt::print(stderr, "coordsim: internal error: {}\n", e.what());
    return kExitRunError;
  }
  return with_output_checked(rc, out_error);
}
