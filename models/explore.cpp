#include "models/explore.hpp"

#include <fmt/format.h>

#include <functional>

#include "models/messages.hpp"
#include "models/run.hpp"
#include "models/world.hpp"

namespace models {
namespace {

struct Record {
  sim::Time at;
  sim::NodeId src = 0, dst = 0;
  std::string what;
};

// Hands a run's forced log writes to a function (the kernel's observer, of which explore
// needs only this; the probes below tap the network under the same method names).
class ForceWatch final : public sim::Observer {
 public:
  explicit ForceWatch(std::function<void(sim::NodeId, const char*)> f) : f_(std::move(f)) {}
  void on_log_force(sim::NodeId node, uint64_t, const char* record) override { f_(node, record); }

 private:
  std::function<void(sim::NodeId, const char*)> f_;
};

// Records the failure-free run.
class Recorder final : public RunProbe, public sim::NetworkTap {
 public:
  explicit Recorder(const PatternInfo& p) : p_(p) {}
  void attach(World& w) override {
    w_ = &w;
    w.net().set_tap(this);
    w.sim().set_observer(&watch_);
    for (sim::NodeId id = 0; id < w.node_count(); ++id) names.push_back(w.node(id).name());
  }
  bool on_send(sim::NodeId src, const sim::Message& m) override {
    sends.push_back({w_->sim().now(), src, m.dst, message_text(p_, m)});
    return true;
  }
  void on_deliver(const sim::Message& m) override {
    deliveries.push_back({w_->sim().now(), m.src, m.dst, message_text(p_, m)});
  }
  std::vector<Record> sends, deliveries, forces;
  std::vector<std::string> names;  // of the nodes, by id

 private:
  World* w_ = nullptr;  // (during the run only)
  const PatternInfo& p_;
  ForceWatch watch_{[this](sim::NodeId node, const char* record) {
    forces.push_back({w_->sim().now(), node, node, record});
  }};
};

// Injects one fault.
class Injector final : public RunProbe, public sim::NetworkTap {
 public:
  Injector(FaultPoint f, uint64_t index, sim::Time recover_after)
      : fault_(f), index_(index), recover_after_(recover_after) {}
  void attach(World& w) override {
    w_ = &w;
    w.net().set_tap(this);
    w.sim().set_observer(&watch_);
  }
  bool on_send(sim::NodeId src, const sim::Message&) override {
    ++sends_;
    if (src == crashing_) return false;  // lost with the node that is crashing now
    if (sends_ != index_) return true;
    if (fault_ == FaultPoint::kLoss) return false;
    if (fault_ == FaultPoint::kCrashAfterSend) crash_after_this_event(src);
    return true;
  }
  void on_deliver(const sim::Message& m) override {
    ++deliveries_;
    if (fault_ == FaultPoint::kCrashAfterReceive && deliveries_ == index_) crash_after_this_event(m.dst);
  }

 private:
  void crash_after_this_event(sim::NodeId n) {
    crashing_ = n;
    World& w = *w_;
    const sim::Time back = recover_after_;
    w.sim().after_this_event([this, &w, n, back] {
      crashing_ = sim::kNoNode;
      sim::Node& node = w.node(n);
      if (!node.up()) return;
      node.crash();
      w.failures().add_recovery(n, sim::Time::saturating_add(w.sim().now(), back));
    });
  }
  FaultPoint fault_;
  uint64_t index_;
  sim::Time recover_after_;
  World* w_ = nullptr;
  uint64_t sends_ = 0, deliveries_ = 0, forces_ = 0;
  sim::NodeId crashing_ = sim::kNoNode;
  ForceWatch watch_{[this](sim::NodeId node, const char*) {
    if (fault_ == FaultPoint::kCrashAfterForce && ++forces_ == index_) crash_after_this_event(node);
  }};
};

std::string classify(const RunResult& r) {
  const auto& o = r.metrics.outcomes;
  auto n = [&](Outcome k) { return o[static_cast<size_t>(k)]; };
  if (n(Outcome::kViolated) > 0) return "violated";
  if (n(Outcome::kBlocked) > 0) return "blocked";
  if (r.metrics.ever_blocked > 0) return "blocked_then_resolved";
  if (n(Outcome::kCommitted) > 0) return "committed";
  if (n(Outcome::kAborted) > 0) return "aborted";
  return "failed";
}

}  // namespace

const std::vector<std::string>& explore_outcomes() {
  static const std::vector<std::string> v{"committed", "aborted", "failed", "blocked_then_resolved",
                                          "blocked", "violated"};
  return v;
}

ScenarioConfig single_transaction(const ScenarioConfig& cfg) {
  ScenarioConfig c = cfg;
  c.duration.reset();
  c.transactions = 1;
  c.warmup = sim::Time::zero();
  c.faults.clear();
  for (ServiceConfig& s : c.services) {
    s.mttf.reset();
    s.mttr.reset();
  }
  c.broker.mttf.reset();
  c.broker.mttr.reset();
  c.network.loss = c.network.duplicate = 0;
  for (LinkSpec& l : c.network.links) l.loss = l.duplicate = 0;
  return c;
}

ExploreResult explore(const ScenarioConfig& scenario, PatternChoice pattern, const ExploreOptions& o) {
  const ScenarioConfig cfg = single_transaction(scenario);
  ExploreResult res;
  res.pattern = pattern;
  Recorder rec(*pattern.info);
  const RunResult base = run(cfg, pattern, 0, &rec);
  res.baseline = classify(base);
  res.sends = rec.sends.size();
  res.deliveries = rec.deliveries.size();
  res.forces = rec.forces.size();
  auto point = [&](FaultPoint f, uint64_t k, const Record& r) {
    Injector inj(f, k, o.recover_after);
    ExplorePoint p;
    p.fault = f;
    p.index = k;
    p.at = r.at;
    const RunResult out = run(cfg, pattern, 0, &inj);
    p.outcome = classify(out);
    p.in_doubt_max_ms = static_cast<double>(out.metrics.in_doubt.max_ns()) * 1e-6;
    p.unfinished = out.metrics.unfinished > 0;
    return p;
  };
  const std::vector<std::string>& names = rec.names;
  auto crashable = [&](sim::NodeId n) { return n != 0; };  // node 0 is the client
  for (uint64_t k = 1; k <= rec.sends.size(); ++k) {
    const Record& r = rec.sends[k - 1];
    if (o.crashes && crashable(r.src)) {
      ExplorePoint p = point(FaultPoint::kCrashAfterSend, k, r);
      p.node = names[r.src];
      p.text = fmt::format("{} crashes after it sends {} to {}", names[r.src], r.what, names[r.dst]);
      res.points.push_back(std::move(p));
    }
    if (o.losses) {
      ExplorePoint p = point(FaultPoint::kLoss, k, r);
      p.node = names[r.src];
      p.text = fmt::format("{} from {} to {} is lost", r.what, names[r.src], names[r.dst]);
      res.points.push_back(std::move(p));
    }
  }
  if (o.crashes) {
    for (uint64_t k = 1; k <= rec.forces.size(); ++k) {
      const Record& r = rec.forces[k - 1];
      ExplorePoint p = point(FaultPoint::kCrashAfterForce, k, r);
      p.node = names[r.src];
      p.text = fmt::format("{} crashes right after forcing its {} record", names[r.src], r.what);
      res.points.push_back(std::move(p));
    }
    for (uint64_t k = 1; k <= rec.deliveries.size(); ++k) {
      const Record& r = rec.deliveries[k - 1];
      if (!crashable(r.dst)) continue;
      ExplorePoint p = point(FaultPoint::kCrashAfterReceive, k, r);
      p.node = names[r.dst];
      p.text = fmt::format("{} crashes after it receives {} from {}", names[r.dst], r.what, names[r.src]);
      res.points.push_back(std::move(p));
    }
  }
  return res;
}

}  // namespace models
