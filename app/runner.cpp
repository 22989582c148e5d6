#include "app/runner.hpp"

#include "app/progress.hpp"
#include "sim/units.hpp"

#include <fmt/format.h>

#include <sys/resource.h>  // getrlimit
#include <unistd.h>        // sysconf

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <utility>

namespace app {
namespace {

// The process's size and resident memory in bytes (Linux: /proc/self/statm), or zeros.
std::pair<uint64_t, uint64_t> process_memory() {
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(f >> size >> resident)) return {0, 0};
  const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return {size * page, resident * page};
}

// Says on stderr, while a run goes on, that it is going long: once when it makes more than
// kEventsPerTxn events per transaction (the sign of a storm, or of failures far more frequent
// than the work), and every kEvery seconds of wall time after the first kEvery. It guards
// the process's memory as MemoryGuard does.
class StderrMonitor final : public MemoryGuard {
 public:
  explicit StderrMonitor(const Scenario& s)
      : s_(s), bar_(Progress::mode_for_stderr(false) == Progress::Mode::kBar) {}
  ~StderrMonitor() override {
    if (drawn_) fmt::print(stderr, "\r\033[K");  // the bar's line is cleared at the end
  }
  bool progress(models::PatternChoice choice, uint64_t events, uint64_t transactions, sim::Time now,
                double wall_s) override {
    if (!MemoryGuard::progress(choice, events, transactions, now, wall_s)) return false;
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

MemoryBudget MemoryBudget::of_this_machine() {
  uint64_t machine = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");  // "max", or a number of bytes
  if (uint64_t limit = 0; cgroup >> limit && limit > 0) machine = machine > 0 ? std::min(machine, limit) : limit;
  MemoryBudget b;
  b.resident = machine / 5 * 4;
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) b.size = as.rlim_cur / 5 * 4;
  return b;
}

bool MemoryGuard::progress(models::PatternChoice choice, uint64_t events, uint64_t transactions,
                           sim::Time now, double wall_s) {
  (void)events, (void)wall_s;
  const auto [size, resident] = process_memory();
  const bool over_resident = budget_.resident > 0 && resident > budget_.resident;
  const bool over_size = budget_.size > 0 && size > budget_.size;
  if (!over_resident && !over_size) return true;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  stopped_ = fmt::format(
      "{}: stopped at simulated time {} after {} transactions: the process {} {:.2f} GiB, over "
      "its budget of {:.2f} GiB ({}). The work in flight grows without end: a service loaded "
      "beyond what it can serve (see the load warnings), with no bound on its queue, or a storm "
      "of retries. Lower the load, give the service more workers or replicas, or bound its "
      "queue (services.NAME.queue)",
      choice.label(), now, transactions, over_resident ? "holds" : "has mapped",
      static_cast<double>(over_resident ? resident : size) / kGiB,
      static_cast<double>(over_resident ? budget_.resident : budget_.size) / kGiB,
      over_resident ? MemoryBudget::kResidentText : MemoryBudget::kSizeText);
  return false;
}

std::string stopped_text(const models::RunResult& r, const MemoryGuard& guard) {
  if (!r.clock_stuck) return guard.stopped();
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
    if (const std::string why = stopped_text(out.back(), monitor); !why.empty()) return sim::Status::invalid(why);
  }
  return out;
}

}  // namespace app
