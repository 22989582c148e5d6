#include "models/balancer.hpp"

namespace models {

Balancer::Balancer(World& w, sim::NodeId caller)
    : w_(w), rng_(w.config().seed, "balance/" + w.node(caller).name(), w.replication()) {}

Balancer::Service& Balancer::state(ServiceId s) {
  Service& st = services_[s];
  if (st.load.empty()) st.load.assign(w_.replicas(s), 0);
  return st;
}

sim::NodeId Balancer::pick_replica(ServiceId s, sim::NodeId previous) {
  const uint32_t k = w_.replicas(s);
  const sim::NodeId first = w_.first_replica(s);
  const ServiceConfig& cfg = w_.service_config(s);
  const bool retry = previous != sim::kNoNode;
  if (retry && !cfg.failover) return previous;
  const uint32_t avoid = retry ? previous - first : k;  // k: avoid none
  Service& st = state(s);
  uint32_t r = 0;
  switch (cfg.balance) {
    case Balance::kRoundRobin:
      r = retry ? (avoid + 1) % k : st.next++ % k;
      break;
    case Balance::kRandom:
      if (retry) {
        r = static_cast<uint32_t>(rng_.below(k - 1));
        if (r >= avoid) ++r;
      } else {
        r = static_cast<uint32_t>(rng_.below(k));
      }
      break;
    case Balance::kLeastOutstanding: {
      const uint32_t start = st.next++ % k;
      uint32_t best = k;
      for (uint32_t i = 0; i < k; ++i) {
        const uint32_t c = (start + i) % k;
        if (c == avoid) continue;
        if (best == k || st.load[c] < st.load[best]) best = c;
      }
      r = best;
      break;
    }
  }
  return first + r;
}

void Balancer::started(sim::NodeId n) {
  const ServiceId s = w_.service_of(n);
  if (s == kNoService || w_.replicas(s) == 1 ||
      w_.service_config(s).balance != Balance::kLeastOutstanding) {
    return;
  }
  ++state(s).load[w_.replica_index(n)];
}

void Balancer::ended(sim::NodeId n) {
  const ServiceId s = w_.service_of(n);
  if (s == kNoService || w_.replicas(s) == 1 ||
      w_.service_config(s).balance != Balance::kLeastOutstanding) {
    return;
  }
  uint32_t& c = state(s).load[w_.replica_index(n)];
  if (c > 0) --c;
}

}  // namespace models
