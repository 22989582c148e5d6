// A before-the-run estimate of each service's load, from the open-loop arrival rate and the
// workflows, by the traffic equations of an open queueing network:
//   lambda = gamma + W^T lambda   =>   (I - W^T) lambda = gamma
// where W[i][j] is the expected number of visits to station j per visit to station i.
// Stations, per request type (its share of the arrivals is its weight): the entry's own
// operation; a gate per stage (reached when every step of the stage before succeeded); a
// station per step (its action) and per call of the steps' call trees. The weights count
// retries: a call or step that fails an attempt with probability f and may be tried k times
// is visited (1 - f^k) / (1 - f) times per reach; a stage passes on with the product of its
// steps' success probabilities (not refused, and an attempt succeeding); a call group is
// reached when the groups before it succeeded (fail fast). A service's utilisation is the
// sum over its stations of lambda x mean service time, divided by its workers times its
// replicas (the balancer spreads the load). An optional step's failure does not stop its
// workflow; async steps are visited once the last stage passed, again per failed delivery.
// A client's retries add no work to the workflow (a request already begun is answered from
// the entry's request log). With a broker, a last entry ("broker") counts its messages
// under the listed pattern that sends it the most (broker_load in traffic.cpp). The
// estimate covers the forward work (not compensations or commits) at the peak arrival rate;
// it exists to warn, before a run, of one that could never reach a steady state, and to
// name the service.
#pragma once

#include <string>
#include <vector>

#include "models/config.hpp"

namespace app {

struct Load {
  std::string service;
  double arrival_rate = 0;    // requests per second reaching it (all replicas)
  double mean_service_s = 0;  // weighted mean service time of those requests
  uint32_t workers = 1;       // workers per replica
  uint32_t replicas = 1;
  double utilisation = 0;     // of each replica
  std::string pattern;        // the broker's: the listed pattern that loads it the most
};

// One entry per service, in scenario order, then the broker if there is one. Empty for a
// closed-loop workload (its rate depends on the latency it meets).
std::vector<Load> estimate_load(const models::ScenarioConfig& c);

}  // namespace app
