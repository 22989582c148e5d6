#include "app/sweep_command.hpp"

#include "sim/suggest.hpp"
#include "sim/units.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <tuple>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include "app/exit_codes.hpp"
#include "app/progress.hpp"
#include "app/report.hpp"
#include "app/runner.hpp"
#include "app/sweep_files.hpp"

namespace app {
namespace {

// Ctrl-C stops handing out runs; the runs in progress finish and are kept. A second
// Ctrl-C kills the process as usual.
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sa.sa_flags = static_cast<int>(SA_RESETHAND);
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Writes the runs file, the summary (whole sweeps only) and the manifest.
int write_outputs(const SweepShape& shape, const Shard& shard, const SweepRows& rows,
                  const std::string& csv, const std::string& summary,
                  const std::string& manifest, const std::string& differences) {
  auto fail = [](const sim::Status& st) {
    fmt::print(stderr, "coordsim: {}\n", st.message());
    return kExitRunError;
  };
  if (!csv.empty()) {
    if (auto st = write_file_atomic(csv, sweep_runs_csv(shape, rows)); !st.ok()) return fail(st);
  }
  if (!summary.empty()) {
    if (auto st = write_file_atomic(summary, sweep_summary_csv(shape, rows)); !st.ok()) return fail(st);
  }
  if (!differences.empty()) {
    if (auto st = write_file_atomic(differences, sweep_differences_csv(shape, rows)); !st.ok()) return fail(st);
  }
  const std::string m = !manifest.empty() ? manifest : csv.empty() ? "" : default_manifest_path(csv);
  if (!m.empty()) {
    const ManifestFiles files{csv.empty() ? "" : base_name(csv), summary.empty() ? "" : base_name(summary),
                              differences.empty() ? "" : base_name(differences)};
    if (auto st = write_file_atomic(m, sweep_manifest(shape, shard, files)); !st.ok()) return fail(st);
  }
  return kExitOk;
}

int usage(const std::string& message) {
  fmt::print(stderr, "coordsim: {}\n", message);
  return kExitUsage;
}

// Prints the verdict on `metrics` (the default ones if empty), and writes it as CSV to
// `file` unless that is "".
int show_verdict(const SweepShape& shape, const SweepRows& rows, const std::vector<std::string>& metrics,
                 const std::string& file) {
  const auto verdict = sweep_verdict(shape, rows, metrics.empty() ? default_verdict_metrics() : metrics);
  if (!verdict.empty()) fmt::print("{}", verdict_text(shape, verdict));
  if (file.empty()) return kExitOk;
  if (auto st = write_file_atomic(file, verdict_csv(shape, verdict)); !st.ok()) {
    fmt::print(stderr, "coordsim: {}\n", st.message());
    return kExitRunError;
  }
  return kExitOk;
}

// A run's lines under a new run index: the index field and the checksum redone.
std::string renumber(const std::string& block, size_t index) {
  std::string out;
  size_t at = 0;
  while (at < block.size()) {
    const size_t end = block.find('\n', at);
    const std::string line = block.substr(at, end - at);
    const std::string content = line.substr(0, line.rfind(','));
    const std::string renumbered = std::to_string(index) + content.substr(content.find(','));
    out += renumbered + "," + run_line_checksum(renumbered) + "\n";
    at = end + 1;
  }
  return out;
}

// --precision: the sweep with R = 2, 3, ... replications (every point alike, so that the
// result is exactly `--replications R`), until every target is met at every point and
// pattern; replication r keeps its seed, so the runs of a round are kept for the next.
int precision_sweep(const Scenario& base, const std::vector<Override>& overrides, const SweepOptions& opt,
                    const std::vector<PrecisionTarget>& targets) {
  auto first = plan_sweep(base, overrides, opt.axes, opt.replications);
  if (!first.ok()) return usage(first.status().message());
  uint32_t r = std::max<uint32_t>(2, first.value().shape.replications);
  if (r > opt.max_replications) {
    return usage(fmt::format("--max-replications {}: below the sweep's {} replications", opt.max_replications, r));
  }
  std::map<std::tuple<size_t, uint32_t, size_t>, std::string> made;  // (point, replication, pattern)
  std::vector<uint32_t> needed;  // by point: the first R that met every target there (0: not yet)
  size_t shown = SIZE_MAX;       // points meeting the targets, as last said on stderr
  for (;; ++r) {
    auto planned = plan_sweep(base, overrides, opt.axes, r);
    if (!planned.ok()) return usage(planned.status().message());
    const SweepPlan& plan = planned.value();
    SweepRows rows(plan.runs.size());
    std::vector<size_t> todo;
    for (size_t i = 0; i < plan.runs.size(); ++i) {
      const auto& run = plan.runs[i];
      const auto it = made.find({run.point, run.replication, run.pattern});
      if (it != made.end()) {
        rows[i] = renumber(it->second, i);
      } else {
        todo.push_back(i);
      }
    }
    RunQueue queue(todo);
    make_runs(plan, queue, opt.jobs, [&](size_t i, std::string line) { rows[i] = std::move(line); });
    for (size_t i : todo) {
      const auto& run = plan.runs[i];
      made[{run.point, run.replication, run.pattern}] = rows[i];
    }
    // Which points meet every target now.
    const auto summary = summarize_sweep(plan.shape, rows);
    needed.resize(plan.shape.points.size(), 0);
    std::vector<bool> met(plan.shape.points.size(), true);
    std::vector<std::string> zero(plan.shape.points.size());  // by point: a metric of mean 0 with a relative target
    for (const SummaryRow& row : summary) {
      if (row.request_type != "all" || row.label.find(" - ") != std::string::npos) continue;
      for (const PrecisionTarget& t : targets) {
        if (row.metric != t.metric) continue;
        const double half = t_half_width(row.stats.n, row.stats.sd);
        const double target = std::max(t.rel * std::fabs(row.stats.mean), t.abs);
        // A mean of 0 leaves a relative target nothing to be relative to: replications that
        // all say 0 agree (half-width 0), but say nothing of how rare the event is.
        if (target <= 0) {
          met[row.point] = false;
          zero[row.point] = t.metric;
        } else if (!(half <= target)) {
          met[row.point] = false;
        }
      }
    }
    bool all = true;
    for (size_t p = 0; p < met.size(); ++p) {
      if (met[p] && needed[p] == 0) needed[p] = r;
      if (needed[p] == 0) all = false;
    }
    size_t ok = 0;
    for (uint32_t n : needed) ok += n != 0 ? 1 : 0;
    if (!opt.quiet && (ok != shown || r % 10 == 0)) {  // when it changes, and every 10 rounds
      fmt::print(stderr, "precision: {} replications: {} of {} points meet the targets\n", r, ok, needed.size());
      shown = ok;
    }
    if (!all && r < opt.max_replications) continue;
    // The last round is the sweep: write it as such.
    if (int rc = write_outputs(plan.shape, opt.shard, rows, opt.csv, opt.summary, opt.manifest, opt.differences); rc != kExitOk) {
      return rc;
    }
    fmt::print("{}", sweep_table(plan.shape, rows));
    std::vector<std::string> said;
    for (const auto& t : targets) {
      said.push_back(t.abs > 0 ? fmt::format("{} half-width <= max({} x mean, {})", t.metric, t.rel, t.abs)
                               : fmt::format("{} half-width <= {} x mean", t.metric, t.rel));
    }
    std::string report = fmt::format("\nprecision ({}): {} replications per point{}\n", fmt::join(said, "; "), r,
                                     all ? "" : fmt::format(" (--max-replications {} reached)", opt.max_replications));
    for (size_t p = 0; p < needed.size(); ++p) {
      const std::string where = point_text(plan.shape, p);
      std::string why;
      if (!needed[p] && !zero[p].empty()) {
        why = fmt::format(" ({} has mean 0 here, where only an absolute half-width can be met: "
                          "give one, as in --precision {}=0.1:0.0005)",
                          zero[p], zero[p]);
      }
      report += fmt::format("  {}: {}\n", where == "-" ? "(the scenario)" : where,
                            needed[p] ? fmt::format("met with {} replications", needed[p])
                                      : fmt::format("not met with {}{}", r, why));
    }
    fmt::print("{}", report);
    return show_verdict(plan.shape, rows, opt.verdict_metrics, opt.verdict);
  }
}

}  // namespace

sim::Result<PrecisionTarget> parse_precision(const std::string& arg) {
  const std::string usage_text = fmt::format(
      "--precision {}: expected METRIC=REL or METRIC=REL:ABS, e.g. availability=0.001 or "
      "violated_per_txn=0.1:0.0005 (the 95% half-width at most REL times the mean, or ABS)",
      arg);
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) return sim::Status::invalid(usage_text);
  PrecisionTarget t;
  t.metric = arg.substr(0, eq);
  const auto& names = summary_metric_names();
  if (std::find(names.begin(), names.end(), t.metric) == names.end()) {
    const auto near = sim::closest_match(t.metric, names);
    return sim::Status::invalid(fmt::format("--precision {}: not a metric of the summary{}", arg,
                                            near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
  }
  const std::string rest = arg.substr(eq + 1);
  const size_t colon = rest.find(':');
  auto number = [](const std::string& text, double& out) {
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return !text.empty() && end != text.c_str() && *end == '\0' && std::isfinite(out) && out >= 0;
  };
  if (!number(rest.substr(0, colon), t.rel) || t.rel <= 0) return sim::Status::invalid(usage_text);
  if (colon != std::string::npos && !number(rest.substr(colon + 1), t.abs)) return sim::Status::invalid(usage_text);
  return t;
}

double t_half_width(size_t n, double sd) {
  if (n < 2) return INFINITY;
  const boost::math::students_t t(static_cast<double>(n - 1));
  return boost::math::quantile(boost::math::complement(t, 0.025)) * sd / std::sqrt(static_cast<double>(n));
}

int sweep_command(const Scenario& base, const std::vector<Override>& overrides,
                  const SweepOptions& opt, const mpi::Session* session) {
  const bool worker = session && session->rank() != 0;
  const bool distributed = session && session->size() > 1;
  auto planned = plan_sweep(base, overrides, opt.axes, opt.replications);
  if (!planned.ok()) {
    fmt::print(stderr, "{}\n", planned.status().message());
    return kExitUsage;
  }
  SweepPlan& plan = planned.value();
  const SweepShape& shape = plan.shape;
  const size_t total = plan.runs.size();

  if (worker) {
    if (mpi::agree(false)) mpi::work(plan);
    return kExitOk;
  }
  // Rank 0 (or the only process) from here on. On an error before the runs start, the other
  // ranks are let go first.
  auto refuse = [&](const std::string& message) {
    if (distributed) mpi::agree(false);
    return usage(message);
  };
  if (!opt.shard.whole() && opt.csv.empty()) {
    return refuse("--shard needs --csv FILE: a shard's runs are merged later from that file");
  }
  if (!opt.shard.whole() && !opt.summary.empty()) {
    return refuse(
        "--summary needs every run of the sweep: write it with `coordsim merge` once all "
        "shards are done");
  }
  if (opt.resume && opt.csv.empty()) {
    return refuse("--resume needs --csv FILE: the finished runs are kept beside that file");
  }
  if (!opt.shard.whole() && !opt.differences.empty()) {
    return refuse("--differences needs every run of the sweep: write it with `coordsim merge` once all "
                  "shards are done");
  }
  if (!opt.shard.whole() && !opt.verdict.empty()) {
    return refuse("--verdict needs every run of the sweep: judge the merged sweep instead");
  }
  for (const std::string& m : opt.verdict_metrics) {
    const auto& names = summary_metric_names();
    if (std::find(names.begin(), names.end(), m) == names.end()) {
      const auto near = sim::closest_match(m, names);
      return refuse(fmt::format("--metric {}: not a metric of the summary{}", m,
                                near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
    }
  }

  if (!opt.precision.empty()) {
    if (opt.resume || !opt.shard.whole() || distributed || !opt.timeseries.empty()) {
      return refuse("--precision grows the sweep round by round in one process: it does not combine with "
                    "--resume, --shard, MPI or --timeseries (run the replications it reports with "
                    "--replications R for those)");
    }
    std::vector<PrecisionTarget> targets;
    for (const std::string& p : opt.precision) {
      auto t = parse_precision(p);
      if (!t.ok()) return refuse(t.status().message());
      targets.push_back(t.value());
    }
    return precision_sweep(base, overrides, opt, targets);
  }

  // --timeseries: the series of the runs made by this command, in run order. Each run's rows
  // go to the file as soon as every run before it has gone; only those that finish ahead of
  // an earlier one wait here.
  std::mutex series_mu;
  std::map<size_t, std::string> series;
  size_t series_next = 0;
  std::optional<AtomicFile> series_file;
  if (!opt.timeseries.empty()) {
    if (opt.resume || !opt.shard.whole() || distributed) {
      return refuse("--timeseries writes the runs this command makes, in one process: it does "
                    "not combine with --resume, --shard or MPI");
    }
    const auto every = positive_duration_option("--interval", opt.interval, "1s");
    if (!every.ok()) return refuse(every.status().message());
    plan.series_every = every.value();
    series_file.emplace(opt.timeseries);
    series_file->out() << time_series_header(shape);
    plan.series_sink = [&](size_t run, std::string rows) {
      const std::lock_guard<std::mutex> lock(series_mu);
      series[run] = std::move(rows);
      for (auto it = series.begin(); it != series.end() && it->first == series_next; it = series.erase(it)) {
        series_file->out() << it->second;
        ++series_next;
      }
    };
  }

  // What is already done (with --resume) and what is left.
  SweepRows rows(total);
  std::vector<std::pair<size_t, std::string>> kept;
  const std::string journal_file = opt.csv.empty() ? "" : journal_path(opt.csv);
  if (opt.resume) {
    auto from = read_journal(journal_file, shape, opt.shard);
    if (from.ok() && !file_exists(journal_file) && file_exists(opt.csv)) {
      // A finished sweep: its manifest says which sweep wrote it.
      const std::string m = opt.manifest.empty() ? default_manifest_path(opt.csv) : opt.manifest;
      auto manifest = read_manifest(m);
      if (!manifest.ok()) {
        return refuse(fmt::format("{}: cannot tell which sweep wrote {} to resume it: {}", opt.csv,
                                  opt.csv, manifest.status().message()));
      }
      if (manifest.value().shape.id() != shape.id()) {
        return refuse(fmt::format(
            "{}: written by a different sweep (its manifest {} names sweep {}, this command is "
            "sweep {}); delete it or choose another --csv",
            opt.csv, m, manifest.value().shape.id(), shape.id()));
      }
      from = read_runs_file(opt.csv, shape, opt.shard);
    }
    if (!from.ok()) return refuse(from.status().message());
    kept = std::move(from).value();
  } else if (!journal_file.empty() && file_exists(journal_file)) {
    return refuse(fmt::format(
        "{}: an interrupted sweep left its finished runs here; add --resume to finish it, or "
        "delete the file to start afresh",
        journal_file));
  }
  for (auto& [i, line] : kept) rows[i] = line;
  std::vector<size_t> todo;
  size_t held = 0;
  for (size_t i = 0; i < total; ++i) {
    if (!opt.shard.holds(i)) continue;
    ++held;
    if (rows[i].empty()) todo.push_back(i);
  }

  std::unique_ptr<Journal> journal;
  if (!journal_file.empty()) {
    auto j = Journal::start(journal_file, shape, kept);
    if (!j.ok()) {
      if (distributed) mpi::agree(false);
      fmt::print(stderr, "coordsim: {}\n", j.status().message());
      return kExitRunError;
    }
    journal = std::move(j).value();
  }
  if (distributed) mpi::agree(true);

  g_interrupted = false;
  catch_interrupts();
  const std::string what = opt.shard.whole() ? "sweep" : fmt::format("shard {}/{}", opt.shard.index, opt.shard.count);
  Progress progress(Progress::mode_for_stderr(opt.quiet), what, held, held - todo.size());
  std::optional<sim::Status> write_error;
  RunQueue queue(todo, [&] { return g_interrupted.load() || write_error.has_value(); });
  auto done = [&](size_t i, std::string line) {
    if (journal && !write_error) {
      if (auto st = journal->append(line); !st.ok()) write_error = st;
    }
    rows[i] = std::move(line);
    progress.step();
  };
  if (distributed) {
    mpi::serve(plan, queue, opt.jobs, done);
  } else {
    make_runs(plan, queue, opt.jobs, done);
  }
  progress.finish();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  if (write_error) {
    fmt::print(stderr, "coordsim: {}\n", write_error->message());
    return kExitRunError;
  }
  size_t made = 0;
  for (size_t i : todo) made += rows[i].empty() ? 0u : 1u;
  if (made < todo.size()) {
    fmt::print(stderr, "coordsim: interrupted with {} of {} runs done{}\n",
               held - todo.size() + made, held,
               journal ? fmt::format("; they are kept in {}: run the same command with --resume "
                                     "to finish the sweep",
                                     journal_file)
                       : " (nothing kept: pass --csv FILE to make a sweep resumable)");
    return kExitInterrupted;
  }

  if (int rc = write_outputs(shape, opt.shard, rows, opt.csv, opt.summary, opt.manifest, opt.differences); rc != kExitOk) {
    return rc;
  }
  if (series_file) {
    for (const auto& [run, lines] : series) series_file->out() << lines;  // (none: all made)
    if (auto st = series_file->commit(); !st.ok()) {
      fmt::print(stderr, "coordsim: {}\n", st.message());
      return kExitRunError;
    }
  }
  if (journal) journal->remove();
  if (opt.shard.whole()) {
    fmt::print("{}", sweep_table(shape, rows));
    if (int rc = show_verdict(shape, rows, opt.verdict_metrics, opt.verdict); rc != kExitOk) return rc;
  } else {
    fmt::print("shard {}/{}: {} of the sweep's {} runs written to {}; combine the shards with "
               "coordsim merge\n",
               opt.shard.index, opt.shard.count, held, total, opt.csv);
  }
  return kExitOk;
}

namespace {

// Reads the runs files of a sweep (all its shards, or the one file of a whole sweep), each
// checked against its manifest; the sweep's shape and every run's lines.
sim::Result<SweepOutput> read_sweep_runs(const std::vector<std::string>& shards, const char* command) {
  std::optional<Manifest> first;
  std::vector<Manifest> manifests;
  for (const std::string& file : shards) {
    const std::string m = default_manifest_path(file);
    if (!file_exists(m)) {
      return sim::Status::invalid(fmt::format(
          "{}: cannot read the manifest of {} (coordsim sweep --csv writes it beside the runs "
          "file)",
          m, file));
    }
    auto read = read_manifest(m);
    if (!read.ok()) return read.status();
    const Manifest& got = read.value();
    if (first && got.shape.id() != first->shape.id()) {
      return sim::Status::invalid(fmt::format("{}: expected a shard of the same sweep as {} (sweep {}), found sweep {}",
                                              file, shards.front(), first->shape.id(), got.shape.id()));
    }
    if (first && got.shard.count != first->shard.count) {
      return sim::Status::invalid(fmt::format("{}: expected a shard of {} (like {}), found a shard of {}", file,
                                              first->shard.count, shards.front(), got.shard.count));
    }
    if (!first) first = got;
    manifests.push_back(got);
  }
  SweepOutput out{first->shape, SweepRows(first->shape.run_count())};
  const uint32_t count = first->shard.count;
  std::set<uint32_t> have;
  for (size_t s = 0; s < shards.size(); ++s) {
    const Shard& shard = manifests[s].shard;
    if (!have.insert(shard.index).second) {
      return sim::Status::invalid(fmt::format("{}: shard {}/{} is given twice", shards[s], shard.index, count));
    }
    auto lines = read_runs_file(shards[s], out.shape, shard);
    if (!lines.ok()) return lines.status();
    size_t expected = 0;
    for (size_t i = 0; i < out.rows.size(); ++i) expected += shard.holds(i) ? 1u : 0u;
    if (lines.value().size() != expected) {
      return sim::Status::invalid(fmt::format("{}: expected the shard's {} runs, found {} (finish the shard with "
                                              "--resume)",
                                              shards[s], expected, lines.value().size()));
    }
    for (auto& [i, line] : lines.value()) out.rows[i] = std::move(line);
  }
  if (have.size() != count) {
    std::vector<std::string> missing;
    for (uint32_t i = 1; i <= count; ++i) {
      if (!have.count(i)) missing.push_back(fmt::format("{}/{}", i, count));
    }
    return sim::Status::invalid(fmt::format("{}: expected all {} shards of the sweep; missing {}", command, count,
                                            fmt::join(missing, ", ")));
  }
  return out;
}

}  // namespace

int merge_command(const std::vector<std::string>& shards, const std::string& csv,
                  const std::string& summary, const std::string& manifest, const std::string& differences) {
  auto read = read_sweep_runs(shards, "merge");
  if (!read.ok()) return usage(read.status().message());
  const SweepShape& shape = read.value().shape;
  const SweepRows& rows = read.value().rows;
  if (int rc = write_outputs(shape, Shard{}, rows, csv, summary, manifest, differences); rc != kExitOk) return rc;
  fmt::print("{}", sweep_table(shape, rows));
  const auto verdict = sweep_verdict(shape, rows, default_verdict_metrics());
  if (!verdict.empty()) fmt::print("{}", verdict_text(shape, verdict));
  return kExitOk;
}

int compare_command(const std::vector<std::string>& runs, const std::vector<std::string>& metrics,
                    const std::string& verdict_file) {
  for (const std::string& m : metrics) {
    const auto& names = summary_metric_names();
    if (std::find(names.begin(), names.end(), m) == names.end()) {
      const auto near = sim::closest_match(m, names);
      return usage(fmt::format("--metric {}: not a metric of the summary{}", m,
                               near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
    }
  }
  auto read = read_sweep_runs(runs, "compare");
  if (!read.ok()) return usage(read.status().message());
  for (const SweepPoint& p : read.value().shape.points) {
    if (p.patterns.size() > 1) return show_verdict(read.value().shape, read.value().rows, metrics, verdict_file);
  }
  fmt::print("compare: every point has a single pattern: nothing to compare\n");
  return kExitOk;
}

}  // namespace app
