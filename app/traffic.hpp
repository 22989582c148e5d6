// A before-the-run estimate of each service's load, from the open-loop arrival rate and the
// workflow, by the traffic equations of an open queueing network:
//   lambda = gamma + P^T lambda   =>   (I - P^T) lambda = gamma
// Stations are the entry's own operation and the workflow's stages; a stage is reached
// when every step of the stage before succeeded, so P[k][k+1] is the product of (1 - fails)
// over stage k. A service's utilisation is the sum over its stations of
// lambda x mean service time, divided by its workers. The estimate covers the forward work
// (not retries or compensations) at the peak arrival rate; it exists to warn before a run
// that could never reach a steady state.
#pragma once

#include <string>
#include <vector>

#include "models/config.hpp"

namespace app {

struct Load {
  std::string service;
  double arrival_rate = 0;    // requests per second reaching it
  double mean_service_s = 0;  // weighted mean service time of those requests
  uint32_t workers = 1;
  double utilisation = 0;
};

// One entry per service, in scenario order. Empty for a closed-loop workload (its rate
// depends on the latency it meets).
std::vector<Load> estimate_load(const models::ScenarioConfig& c);

}  // namespace app
