#include "app/runner.hpp"

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
  explicit StderrMonitor(const Scenario& s) : s_(s) {}
  void progress(models::PatternChoice choice, uint64_t events, uint64_t transactions, sim::Time now,
                double wall_s) override {
    const double per = static_cast<double>(events) / static_cast<double>(std::max<uint64_t>(transactions, 1));
    if (!warned_ && per > kEventsPerTxn) {
      warned_ = true;
      fmt::print(stderr,
                 "note: {}: {} events for {} transactions so far ({:.0f} per transaction, at "
                 "simulated time {}): something multiplies the work (retries or redeliveries "
                 "that feed each other, failures far more frequent than the work, or clients "
                 "that never pause); the run goes on\n",
                 choice.label(), events, transactions, per, now);
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
  }

 private:
  static constexpr double kEventsPerTxn = 5000;
  static constexpr double kEvery = 30;
  const Scenario& s_;
  bool warned_ = false;
  double next_report_s_ = kEvery;
};

}  // namespace

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
  }
  return out;
}

}  // namespace app
