// sim::FailureInjector: crashes and recoveries of nodes, random or scheduled.
//
//  - Random: a node alternates up periods drawn from its time-to-failure distribution
//    (MTTF) and down periods drawn from its time-to-repair distribution (MTTR), on its own
//    stream "failure/<node>", so the failure times are the same whatever the pattern.
//  - Scheduled: crash a node at a time for a duration.
// Partitions are windows on the network (Network::add_partition) and need no events.
//
// No new random failure starts at or after the horizon (set_horizon), so that a run can
// drain: a node down at the horizon still recovers.
#pragma once

#include <vector>

#include "sim/distribution.hpp"
#include "sim/node.hpp"
#include "sim/rng.hpp"
#include "sim/simulation.hpp"

namespace sim {

class FailureInjector final : public Handler {
 public:
  FailureInjector(Simulation& sim, std::vector<Node*> nodes, uint64_t seed,
                  uint64_t replication = 0);

  void add_random(NodeId node, Distribution time_to_failure, Distribution time_to_repair);
  void add_crash(NodeId node, Time at, Time duration);
  // Recovers a node at `at` (one crashed by hand, with Node::crash()).
  void add_recovery(NodeId node, Time at);
  // No random failure starts at or after t; one already scheduled past t is cancelled.
  void set_horizon(Time t);

  uint64_t crashes() const { return crashes_; }
  void on_event(Simulation& sim, const Event& e) override;

 private:
  enum Kind : uint32_t { kRandomCrash = 1, kRandomRecover = 2, kCrash = 3, kRecover = 4 };
  struct RandomSpec {
    NodeId node;
    Distribution ttf, ttr;
    Rng rng;
    TimerId next_crash;
    Time next_at;
  };
  void schedule_crash(size_t spec, Time at);

  Simulation& sim_;
  HandlerId self_;
  std::vector<Node*> nodes_;
  std::vector<RandomSpec> random_;  // payload of random events = index here
  uint64_t seed_, replication_;
  uint64_t crashes_ = 0;
  Time horizon_ = Time::max();
};

}  // namespace sim
