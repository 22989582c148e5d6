#include "sim/failure.hpp"

namespace sim {

FailureInjector::FailureInjector(Simulation& sim, std::vector<Node*> nodes, uint64_t seed,
                                 uint64_t replication)
    : sim_(sim),
      self_(sim.add_handler(this)),
      nodes_(std::move(nodes)),
      seed_(seed),
      replication_(replication) {}

void FailureInjector::add_random(NodeId node, Distribution time_to_failure,
                                 Distribution time_to_repair) {
  SIM_ASSERT(node < nodes_.size(), "failures for an unknown node");
  RandomSpec spec{node, std::move(time_to_failure), std::move(time_to_repair),
                  Rng(seed_, "failure/" + nodes_[node]->name(), replication_), {}, {}};
  const Time first = spec.ttf.sample(spec.rng);
  random_.push_back(std::move(spec));
  schedule_crash(random_.size() - 1, Time::saturating_add(sim_.now(), first));
}

void FailureInjector::schedule_crash(size_t spec, Time at) {
  if (at >= horizon_) return;
  random_[spec].next_at = at;
  random_[spec].next_crash = sim_.schedule_timer(at, self_, kRandomCrash, spec);
}

void FailureInjector::set_horizon(Time t) {
  horizon_ = t;
  for (RandomSpec& s : random_) {
    if (sim_.pending(s.next_crash) && s.next_at >= t) sim_.cancel(s.next_crash);
  }
}

void FailureInjector::add_crash(NodeId node, Time at, Time duration) {
  SIM_ASSERT(node < nodes_.size(), "crash of an unknown node");
  sim_.schedule(at, self_, kCrash, node);
  sim_.schedule(Time::saturating_add(at, duration), self_, kRecover, node);
}

void FailureInjector::add_recovery(NodeId node, Time at) {
  SIM_ASSERT(node < nodes_.size(), "recovery of an unknown node");
  sim_.schedule(at, self_, kRecover, node);
}

void FailureInjector::on_event(Simulation& sim, const Event& e) {
  (void)sim;
  switch (e.kind) {
    case kRandomCrash: {
      RandomSpec& s = random_[e.payload];
      ++crashes_;
      nodes_[s.node]->crash();
      sim_.schedule_after(s.ttr.sample(s.rng), self_, kRandomRecover, e.payload);
      break;
    }
    case kRandomRecover: {
      RandomSpec& s = random_[e.payload];
      nodes_[s.node]->recover();
      schedule_crash(e.payload, Time::saturating_add(sim_.now(), s.ttf.sample(s.rng)));
      break;
    }
    case kCrash:
      ++crashes_;
      nodes_[e.payload]->crash();
      break;
    case kRecover:
      nodes_[e.payload]->recover();
      break;
    default:
      SIM_ASSERT(false, "unknown failure event");
  }
}

}  // namespace sim
