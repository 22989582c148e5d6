#include "models/run.hpp"

#include "models/tracing.hpp"

#include <chrono>

#include "models/client.hpp"
#include "models/pattern.hpp"
#include "models/world.hpp"
#include "sim/distribution.hpp"

namespace models {
namespace {

// Run control events: the end of the warm-up (node metrics start over) and the periodic
// drain check (stops the run once arrivals have ended and every transaction is done, or
// when nothing is left to happen, or at the drain limit). A coarse periodic check costs less
// than a check at every completion, and draining is not measured.
class RunControl final : public sim::Handler {
 public:
  enum Kind : uint32_t { kWarmupEnd = 1, kDrainCheck = 2 };
  RunControl(World& w, Client& c) : w_(w), c_(c), self_(w.sim().add_handler(this)) {}
  void at_warmup(sim::Time t) {
    if (t > sim::Time::zero()) w_.sim().schedule(t, self_, kWarmupEnd, 0);
  }
  void drain(sim::Time period, sim::Time limit) {
    period_ = period;
    limit_ = limit;
    w_.sim().schedule_after(sim::Time::zero(), self_, kDrainCheck, 0);
  }
  void on_event(sim::Simulation& sim, const sim::Event& e) override {
    if (e.kind == kWarmupEnd) {
      for (sim::NodeId id = 0; id < w_.node_count(); ++id) w_.node(id).reset_metrics();
      w_.ledger().reset_gauges(sim.now());
      return;
    }
    // Done when every transaction is, once the messages still on the wire have landed (the
    // last acknowledgements of a protocol count against their transactions).
    const bool done = c_.arrivals_done() && w_.ledger().all_done();
    if (done && w_.net().in_flight() == 0) {
      sim.stop();
      return;
    }
    const auto next = sim.next_event_time();
    if (!next || *next >= limit_) {  // nothing left to happen before the limit
      limit_hit_ = next.has_value() && !done;
      sim.stop();
      return;
    }
    sim.schedule_after(period_, self_, kDrainCheck, 0);
  }
  bool limit_hit() const { return limit_hit_; }

 private:
  World& w_;
  Client& c_;
  sim::HandlerId self_;
  sim::Time period_, limit_;
  bool limit_hit_ = false;
};

NodeSummary summarize_node(const World& w, const sim::Node& n) {
  NodeSummary s;
  s.name = n.name();
  s.service = w.is_service(n.id()) ? w.service_config(w.service_of(n.id())).name : n.name();
  s.utilisation = n.utilisation();
  s.availability = n.availability();
  s.mean_queue = n.mean_queue_length();
  s.served = n.counters().served;
  s.rejected = n.counters().rejected;
  s.crashes = n.counters().crashes;
  s.lost_in_crash = n.counters().lost_in_crash;
  return s;
}

}  // namespace

RunResult run(const ScenarioConfig& cfg, PatternChoice choice, uint64_t replication,
              RunProbe* probe, RunMonitor* monitor) {
  World w(cfg, replication, choice);
  const std::unique_ptr<Pattern> pattern = choice.info->make(choice.transport);
  pattern->install(w);
  if (probe != nullptr) probe->attach(w);
  // A probe that reads the records after the run (a trace) keeps them all. Otherwise a
  // finished transaction's record is folded into the metrics (and into a time series) and
  // released.
  const sim::Time quiet = w.quiet_period();
  if (probe == nullptr || !probe->keeps_records()) w.ledger().release_after(quiet, w.open_quiet_period());
  Client client(w);
  client.start();
  if (cfg.duration) w.failures().set_horizon(*cfg.duration);

  const uint64_t clamped_before = sim::Distribution::clamped_samples();
  const auto t0 = std::chrono::steady_clock::now();
  sim::Simulation& s = w.sim();
  RunControl control(w, client);
  control.at_warmup(cfg.warmup);
  // Runs to `until` in chunks of events. After each chunk the clock is checked for standing
  // still (RunResult::clock_stuck), and the monitor looks at the run.
  constexpr uint64_t kChunk = 1'000'000;
  const uint64_t chunk = monitor != nullptr ? std::max<uint64_t>(1, monitor->every()) : kChunk;
  uint64_t next_report = chunk;  // the chunks end every `chunk` events, across calls
  bool cut = false;              // the monitor or a stuck clock cut the run short
  bool stuck = false;
  // The clock as seen at the end of a chunk, and the events handled when it was first seen
  // there: every event since then happened at that instant.
  sim::Time clock_seen = s.now();
  uint64_t seen_from = 0;
  auto run_chunks = [&](sim::Time until) -> uint64_t {
    uint64_t n = 0;
    for (;;) {
      if (cut) return n;
      const uint64_t budget = next_report > s.events_handled() ? next_report - s.events_handled() : 1;
      const uint64_t k = s.run_until(until, budget);
      n += k;
      if (s.events_handled() >= next_report) {
        if (s.now() != clock_seen) {
          clock_seen = s.now();
          seen_from = s.events_handled();
        } else if (s.events_handled() - seen_from >= RunResult::kStillEvents) {
          stuck = cut = true;
          return n;
        }
        if (monitor != nullptr) {
          cut = !monitor->progress(choice, s.events_handled(), w.ledger().size(), s.now(),
                                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        next_report = s.events_handled() + chunk;
      }
      if (k < budget || s.stopped()) return n;
    }
  };
  // ... and stops at every sampling time of the probe on the way.
  const sim::Time every = probe != nullptr ? probe->sample_every() : sim::Time::max();
  sim::Time next_sample = every;
  auto run_to = [&](sim::Time until) {
    uint64_t n = 0;
    while (every != sim::Time::max() && next_sample <= until) {
      // Nothing left to happen: no more samples (and the clock stays at the last event).
      if (!s.next_event_time().has_value()) break;
      n += run_chunks(next_sample);
      if (s.stopped() || cut) return n;
      probe->sample(w);
      next_sample = sim::Time::saturating_add(next_sample, every);
    }
    return n + run_chunks(until);
  };
  // Phase 1: arrivals. With a duration, run to it; with a transaction count, run in slices
  // until the client has issued its last transaction.
  if (cfg.duration) {
    run_to(*cfg.duration);
  } else {
    const sim::Time slice = sim::Time::from_ms(100);
    while (!client.arrivals_done() && s.pending_events() > 0 && !cut) run_to(s.now() + slice);
    w.failures().set_horizon(s.now());
  }
  const sim::Time arrivals_end = cfg.duration ? *cfg.duration : client.last_arrival();
  // Node metrics describe the loaded system: they are taken at the end of arrivals.
  std::vector<NodeSummary> nodes;
  for (sim::NodeId id = 1; id < w.node_count(); ++id) nodes.push_back(summarize_node(w, w.node(id)));
  w.ledger().close_gauges(s.now());
  // Phase 2: drain, bounded.
  control.drain(sim::Time::from_ms(10), sim::Time::saturating_add(s.now(), cfg.drain));
  run_to(sim::Time::max());
  const auto t1 = std::chrono::steady_clock::now();

  RunResult r;
  r.pattern = choice;
  r.replication = replication;
  r.seed = cfg.seed;
  Summary summary = w.ledger().summarize();
  r.metrics = std::move(summary.total);
  for (size_t t = 0; t < summary.by_type.size(); ++t) {
    r.types.push_back({w.workflows()[t]->name(), std::move(summary.by_type[t])});
  }
  if (const Tracing* t = w.tracing()) {
    t->add_to(r.metrics);
    for (size_t k = 0; k < r.types.size(); ++k) t->add_to(r.types[k].metrics, static_cast<int>(k));
  }
  r.metrics.window_s = (arrivals_end - cfg.warmup).seconds();
  for (TypeMetrics& t : r.types) t.metrics.window_s = r.metrics.window_s;
  r.nodes = std::move(nodes);
  for (sim::NodeId id = 1; id < w.node_count(); ++id) {
    r.nodes[id - 1].served_to_end = w.node(id).counters().served;
  }
  r.network = w.net().counters();
  r.events = s.events_handled();
  r.transactions_simulated = w.ledger().size();
  r.late_touches = w.ledger().late_touches();
  r.quiet_ns = static_cast<uint64_t>(quiet.ns());
  r.records_released = w.ledger().released_count();
  r.fingerprint = s.fingerprint();
  r.end = s.now();
  r.arrivals_end = arrivals_end;
  r.clock_stuck = stuck;
  // The drain limit cut the run short iff work was left and something was still due then.
  r.drained = !cut && (w.ledger().all_done() || !control.limit_hit() ||
                       !w.sim().next_event_time().has_value());
  r.wall_s = std::chrono::duration<double>(t1 - t0).count();
  r.clamped_samples = sim::Distribution::clamped_samples() - clamped_before;
  if (probe != nullptr) probe->finish(w);
  return r;
}

}  // namespace models
