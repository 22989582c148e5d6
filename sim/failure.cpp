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
                  Rng(seed_, "failure/" + nodes_[node]->name(), replication_)};
  const Time first = spec.ttf.sample(spec.rng);
  random_.push_back(std::move(spec));
  const Time at = Time::saturating_add(sim_.now(), first);
  if (at < horizon_) sim_.schedule(at, self_, kRandomCrash, random_.size() - 1);
}

void FailureInjector::add_crash(NodeId node, Time at, Time duration) {
  SIM_ASSERT(node < nodes_.size(), "crash of an unknown node");
  sim_.schedule(at, self_, kCrash, node);
  sim_.schedule(Time::saturating_add(at, duration), self_, kRecover, node);
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
      const Time at = Time::saturating_add(sim_.now(), s.ttf.sample(s.rng));
      if (at < horizon_) sim_.schedule(at, self_, kRandomCrash, e.payload);
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
