#include "app/traffic.hpp"

#include <Eigen/Dense>

#include <algorithm>

namespace app {

std::vector<Load> estimate_load(const models::ScenarioConfig& c) {
  if (c.workload.arrival != models::WorkloadConfig::Arrival::kPoisson) return {};
  double rate = c.workload.rate;
  for (const auto& p : c.workload.phases) rate = std::max(rate, p.rate);

  // Stages: consecutive steps with the same group.
  std::vector<std::vector<size_t>> stages;
  const auto& steps = c.workflow.steps;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i == 0 || steps[i].group != steps[i - 1].group) stages.emplace_back();
    stages.back().push_back(i);
  }
  // Station 0: the entry operation; station k + 1: stage k.
  const auto n = static_cast<Eigen::Index>(stages.size() + 1);
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(n, n);
  Eigen::VectorXd gamma = Eigen::VectorXd::Zero(n);
  gamma(0) = rate;
  if (!stages.empty()) P(0, 1) = 1.0;  // an entry-only workflow has no stage to reach
  for (size_t k = 0; k + 1 < stages.size(); ++k) {
    double pass = 1.0;
    for (size_t i : stages[k]) pass *= 1.0 - steps[i].fails;
    P(static_cast<Eigen::Index>(k + 1), static_cast<Eigen::Index>(k + 2)) = pass;
  }
  const Eigen::MatrixXd A = Eigen::MatrixXd::Identity(n, n) - P.transpose();
  const Eigen::VectorXd lambda = A.partialPivLu().solve(gamma);

  std::vector<Load> out;
  for (const auto& s : c.services) {
    Load l;
    l.service = s.name;
    l.workers = s.workers;
    auto op_mean = [&](const std::string& op) {
      for (const auto& o : s.ops) {
        if (o.name == op) return o.service.mean_ns() * 1e-9;
      }
      return 0.0;
    };
    double work = 0;  // sum of lambda x mean service time
    if (s.name == c.workflow.entry) {
      l.arrival_rate += lambda(0);
      if (c.workflow.entry_op) work += lambda(0) * op_mean(*c.workflow.entry_op);
    }
    for (size_t k = 0; k < stages.size(); ++k) {
      for (size_t i : stages[k]) {
        if (steps[i].service != s.name) continue;
        const double lk = lambda(static_cast<Eigen::Index>(k + 1));
        l.arrival_rate += lk;
        work += lk * op_mean(steps[i].action);
      }
    }
    l.mean_service_s = l.arrival_rate > 0 ? work / l.arrival_rate : 0;
    l.utilisation = work / s.workers;
    out.push_back(l);
  }
  return out;
}

}  // namespace app
