#include "app/runner.hpp"

#include "app/progress.hpp"
#include "sim/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace app {
namespace {

// Says on stderr, while a run goes on, that it is going long: once when it makes more than
// kEventsPerTxn events per transaction (the sign of a storm, or of failures far more frequent
// than the work), and every kEvery seconds of wall time after the first kEvery.
class StderrMonitor final : public models::RunMonitor {
 public:
  explicit StderrMonitor(const Scenario& s)
      : s_(s), bar_(Progress::mode_for_stderr(false) == Progress::Mode::kBar) {}
  ~StderrMonitor() override {
    if (drawn_) fmt::print(stderr, "\r\033[K");  // the bar's line is cleared at the end
  }
  bool progress(models::PatternChoice choice, uint64_t events, uint64_t transactions, sim::Time now,
                double wall_s) override {
    const double per = static_cast<double>(events) / static_cast<double>(std::max<uint64_t>(transactions, 1));
    if (!warned_ && per > kEventsPerTxn) {
      warned_ = true;
      if (drawn_) fmt::print(stderr, "\r\033[K");
      fmt::print(stderr,
                 "note: {}: {} events for {} transactions so far ({:.0f} per transaction, at "
                 "simulated time {}): something multiplies the work (retries or redeliveries "
                 "that feed each other, failures far more frequent than the work, or clients "
                 "that never pause); the run goes on\n",
                 choice.label(), events, transactions, per, now);
    }
    // On a terminal, a run longer than a few seconds shows how far it is, on one line.
    if (bar_ && wall_s >= kBarAfter) {
      fmt::print(stderr, "\r{}\033[K", run_progress_text(s_.config, choice, transactions, now, wall_s));
      std::fflush(stderr);
      drawn_ = true;
      return true;
    }
    if (wall_s >= next_report_s_) {
      next_report_s_ = wall_s + kEvery;
      const std::string horizon =
          s_.config.duration ? fmt::format(" of {}", *s_.config.duration) : std::string();
      fmt::print(stderr,
                 "note: {}: still running after {:.0f} s of wall time: {} events, {} "
                 "transactions, simulated time {}{}\n",
                 choice.label(), wall_s, events, transactions, now, horizon);
    }
    return true;
  }

 private:
  static constexpr double kEventsPerTxn = 5000;
  static constexpr double kBarAfter = 3;
  static constexpr double kEvery = 30;
  const Scenario& s_;
  bool warned_ = false;
  bool bar_ = false, drawn_ = false;
  double next_report_s_ = kEvery;
};

}  // namespace

sim::Result<sim::Time> positive_duration_option(const std::string& option, const std::string& text,
                                                const std::string& example) {
  const auto d = sim::parse_duration(text);
  if (d.ok() && d.value() > sim::Time::zero()) return d.value();
  return sim::Status::invalid(fmt::format("{} {}: expected a positive duration such as {}{}", option, text, example,
                                          d.ok() ? "" : fmt::format(" ({})", d.status().message())));
}

std::string clock_stuck_text(const models::RunResult& r) {
  return fmt::format(
      "{}: the simulated clock stood still at {} for {} events in a row, so the run could never "
      "reach its end and was stopped: something repeats without taking any time (a closed-loop "
      "client with no think time whose request takes no time at all, with no network latency "
      "and no service time; or a retry, redelivery or timeout of 0). Give one of them a "
      "positive duration",
      r.pattern.label(), r.end, models::RunResult::kStillEvents);
}

std::string run_progress_text(const models::ScenarioConfig& c, const models::PatternChoice& choice,
                              uint64_t transactions, sim::Time now, double wall_s) {
  std::string where;
  if (c.duration && now <= *c.duration) {
    where = fmt::format("simulated {} of {} ({:.0f}%)", now, *c.duration,
                        100.0 * now.seconds() / std::max(c.duration->seconds(), 1e-9));
  } else if (!c.duration && c.transactions && transactions < *c.transactions) {
    where = fmt::format("{} of {} transactions ({:.0f}%)", transactions, *c.transactions,
                        100.0 * static_cast<double>(transactions) / static_cast<double>(*c.transactions));
  } else {
    where = fmt::format("draining at simulated {}", now);
  }
  return fmt::format("{}: {}, {:.0f} s", choice.label(), where, wall_s);
}

sim::Result<std::vector<models::RunResult>> run_scenario(const Scenario& s,
                                                         std::vector<models::PatternChoice> patterns,
                                                         uint64_t replication,
                                                         models::RunProbe* probe) {
  if (patterns.empty()) patterns = s.config.patterns;
  std::vector<models::RunResult> out;
  for (const models::PatternChoice& p : patterns) {
    if (!p.info->supports(p.transport)) {
      return sim::Status::invalid(fmt::format("pattern {} does not run over {}", p.info->name,
                                              models::transport_name(p.transport)));
    }
    StderrMonitor monitor(s);
    out.push_back(models::run(s.config, p, replication, probe, &monitor));
    if (out.back().clock_stuck) return sim::Status::invalid(clock_stuck_text(out.back()));
  }
  return out;
}

}  // namespace app
