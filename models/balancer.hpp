// models::Balancer: how one caller picks a replica of a service it calls (a client-side
// load balancer, as in a service mesh): round robin, random, or least outstanding requests
// (the caller's own count of requests in flight to each replica; ties go round robin). A
// retry fails over to another replica unless the service says `failover: false`.
//
// A service with one replica costs nothing: no state, no random draw, so a scenario without
// replicas draws exactly what it did before replicas existed.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "models/world.hpp"
#include "sim/rng.hpp"

namespace models {

class Balancer {
 public:
  Balancer(World& w, sim::NodeId caller);

  // The replica for a request to service s; `previous` is the replica that the attempt
  // before went to (kNoNode for a first attempt).
  sim::NodeId pick(ServiceId s, sim::NodeId previous = sim::kNoNode) {
    if (w_.replicas(s) == 1) return w_.first_replica(s);  // (the common case, inline)
    return pick_replica(s, previous);
  }
  // Least outstanding: a request to replica n started or ended.
  void started(sim::NodeId n);
  void ended(sim::NodeId n);

 private:
  struct Service {
    uint32_t next = 0;              // round robin position
    std::vector<uint32_t> load;     // least outstanding: requests in flight, by replica
  };
  Service& state(ServiceId s);
  sim::NodeId pick_replica(ServiceId s, sim::NodeId previous);

  World& w_;
  sim::Rng rng_;
  std::unordered_map<ServiceId, Service> services_;  // only services with replicas
};

}  // namespace models
