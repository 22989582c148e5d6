#include "app/traffic.hpp"

#include <Eigen/Sparse>

#include <algorithm>
#include <cmath>

namespace app {
namespace {

// Expected tries of something that fails a try with probability f and is tried up to k
// times: 1 + f + ... + f^(k-1).
double expected_tries(double f, uint32_t k) {
  return f >= 1 ? k : (1 - std::pow(f, k)) / (1 - f);
}

class Network {
 public:
  explicit Network(const models::ScenarioConfig& c) : c_(c) {}

  enum class Kind : uint8_t { kGate, kEntry, kStep, kAsync, kCall };
  // A station of `service` (or none: a gate) serving `op` (or nothing); returns its index.
  int station(const std::string& service, const std::string& op, Kind kind = Kind::kCall,
              bool side_effect = false) {
    Station s;
    s.kind = service.empty() ? Kind::kGate : kind;
    s.side_effect = side_effect;
    if (!service.empty()) {
      s.service = static_cast<int>(c_.find_service(service).value());
      for (const auto& o : c_.services[static_cast<size_t>(s.service)].ops) {
        if (o.name == op) s.mean_s = o.service.mean_ns() * 1e-9;
      }
    }
    stations_.push_back(s);
    return static_cast<int>(stations_.size() - 1);
  }
  void edge(int from, int to, double visits) { edges_.emplace_back(to, from, -visits); }
  void arrivals(int at, double rate) { stations_[static_cast<size_t>(at)].gamma += rate; }

  // Adds the calls of a step or call executed at `parent`, made by a fraction `made` of its
  // executions; returns the probability that all of them succeed when they are made.
  double add_calls(int parent, const models::CallGroups& groups, uint32_t default_attempts,
                   double made) {
    double reach = 1;  // the groups before this one all succeeded
    for (const auto& group : groups) {
      double group_ok = 1;
      for (const models::CallConfig& call : group) {
        const int s = station(call.service, call.action);
        const uint32_t k = call.attempts.value_or(default_attempts);
        // An attempt draws its own technical error first; only the others make its calls.
        const double ok_children = add_calls(s, call.calls, default_attempts, 1 - call.errors);
        const double attempt_ok = (1 - call.errors) * ok_children;
        edge(parent, s, made * reach * expected_tries(1 - attempt_ok, k));
        group_ok *= 1 - std::pow(1 - attempt_ok, k);
      }
      reach *= group_ok;
    }
    return reach;
  }

  std::vector<Load> solve() const {
    const auto n = static_cast<Eigen::Index>(stations_.size());
    std::vector<Eigen::Triplet<double>> t;
    for (Eigen::Index i = 0; i < n; ++i) t.emplace_back(i, i, 1.0);
    for (const auto& e : edges_) t.push_back(e);
    Eigen::SparseMatrix<double> a(n, n);
    a.setFromTriplets(t.begin(), t.end());
    Eigen::VectorXd gamma(n);
    for (Eigen::Index i = 0; i < n; ++i) gamma(i) = stations_[static_cast<size_t>(i)].gamma;
    // A station is made after every station that sends to it, so each edge runs from a lower
    // index to a higher one and I - W^T is lower triangular: forward substitution, linear in
    // the edges (a general factorisation of 100,000 stations cost a tenth of the load).
    const bool lower = std::all_of(edges_.begin(), edges_.end(),
                                   [](const Eigen::Triplet<double>& e) { return e.col() < e.row(); });
    Eigen::VectorXd lambda;
    if (lower) {
      lambda = a.triangularView<Eigen::Lower>().solve(gamma);
    } else {
      Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
      lu.compute(a);
      lambda = lu.solve(gamma);
    }

    std::vector<Load> out(c_.services.size());
    std::vector<double> work(c_.services.size(), 0.0);
    for (size_t i = 0; i < c_.services.size(); ++i) {
      out[i].service = c_.services[i].name;
      out[i].workers = c_.services[i].workers;
      out[i].replicas = c_.services[i].replicas;
    }
    for (Eigen::Index i = 0; i < n; ++i) {
      const Station& s = stations_[static_cast<size_t>(i)];
      if (s.service < 0) continue;
      out[static_cast<size_t>(s.service)].arrival_rate += lambda(i);
      work[static_cast<size_t>(s.service)] += lambda(i) * s.mean_s;
    }
    for (size_t i = 0; i < out.size(); ++i) {
      Load& l = out[i];
      l.mean_service_s = l.arrival_rate > 0 ? work[i] / l.arrival_rate : 0;
      l.utilisation = work[i] / (static_cast<double>(l.workers) * l.replicas);
    }
    if (c_.broker.present) out.push_back(broker_load(lambda));
    return out;
  }

  // The broker's messages handled per second (each takes its `latency` on a worker), under
  // the listed pattern that sends it the most: a command and a reply per step tried for the
  // patterns over the broker (and, for TCC, a confirm and its answer per reserving step); the
  // start event and one event per step tried for the choreographed ones; one message per
  // async step fired, under every pattern.
  Load broker_load(const Eigen::VectorXd& lambda) const {
    double entries = 0, steps = 0, reserving = 0, fired = 0;
    for (size_t i = 0; i < stations_.size(); ++i) {
      const double l = lambda(static_cast<Eigen::Index>(i));
      switch (stations_[i].kind) {
        case Kind::kEntry: entries += l; break;
        case Kind::kStep:
          steps += l;
          if (stations_[i].side_effect) reserving += l;
          break;
        case Kind::kAsync: fired += l; break;
        default: break;
      }
    }
    Load b;
    b.service = "broker";
    b.workers = c_.broker.workers;
    b.mean_service_s = c_.broker.latency.mean_ns() * 1e-9;
    for (const models::PatternChoice& p : c_.patterns) {
      double rate = fired;
      const std::string name = p.info->name;
      if (p.transport == models::Transport::kBroker) {
        rate += name.find("choreograph") != std::string::npos ? entries + steps
                                                               : 2 * steps + (name == "tcc" ? 2 * reserving : 0);
      }
      if (rate > b.arrival_rate) {
        b.arrival_rate = rate;
        b.pattern = p.label();
      }
    }
    b.utilisation = b.arrival_rate * b.mean_service_s / b.workers;
    return b;
  }

 private:
  struct Station {
    int service = -1;  // -1: a gate
    Kind kind = Kind::kGate;
    bool side_effect = false;
    double mean_s = 0;
    double gamma = 0;
  };
  const models::ScenarioConfig& c_;
  std::vector<Station> stations_;
  std::vector<Eigen::Triplet<double>> edges_;  // (to, from, -visits): a row of I - W^T
};

}  // namespace

std::vector<Load> estimate_load(const models::ScenarioConfig& c) {
  if (c.workload.arrival != models::WorkloadConfig::Arrival::kPoisson) return {};
  double rate = c.workload.rate;
  for (const auto& p : c.workload.phases) rate = std::max(rate, p.rate);
  double weights = 0;
  for (const auto& wf : c.workflows) weights += wf.weight;

  Network net(c);
  const uint32_t k = c.retry.attempts;
  using Kind = Network::Kind;
  for (const auto& wf : c.workflows) {
    const int entry = net.station(wf.entry, wf.entry_op.value_or(""), Kind::kEntry);
    net.arrivals(entry, rate * wf.weight / weights);
    int gate = net.station("", "");
    net.edge(entry, gate, 1.0);
    std::vector<const models::StepConfig*> fired;
    for (size_t i = 0; i < wf.steps.size();) {
      if (wf.steps[i].async) {  // fired once the stages are done: after them all
        fired.push_back(&wf.steps[i++]);
        continue;
      }
      const uint32_t group = wf.steps[i].group;
      double pass = 1;
      for (; i < wf.steps.size() && wf.steps[i].group == group; ++i) {
        const models::StepConfig& s = wf.steps[i];
        const int st = net.station(s.service, s.action, Kind::kStep, s.side_effect);
        const double calls_ok = net.add_calls(st, s.calls, k, 1.0);
        const double attempt_ok = (1 - s.errors) * calls_ok;
        net.edge(gate, st, expected_tries(1 - attempt_ok, k));
        // An optional step's failure does not stop the workflow.
        if (!s.optional) pass *= (1 - s.fails) * (1 - std::pow(1 - attempt_ok, k));
      }
      const int next = net.station("", "");
      net.edge(gate, next, pass);
      gate = next;
    }
    // Async steps: fired once committed, and delivered again after a technical error
    // until done or given up (broker.max_attempts; 0: without limit).
    const uint32_t deliveries = c.broker.max_attempts;
    for (const models::StepConfig* s : fired) {
      const int st = net.station(s->service, s->action, Kind::kAsync);
      const double calls_ok = net.add_calls(st, s->calls, k, 1.0);
      const double attempt_ok = (1 - s->errors) * calls_ok;
      net.edge(gate, st, deliveries == 0 ? 1 / std::max(attempt_ok, 1e-9) : expected_tries(1 - attempt_ok, deliveries));
    }
  }
  return net.solve();
}

}  // namespace app
