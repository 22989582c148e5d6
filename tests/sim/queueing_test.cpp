// Validation against closed-form queueing results: the node's queue and workers must
// reproduce M/M/1 and M/M/c exactly in the limit.
#include <catch2/catch.hpp>

#include <cmath>

#include "sim/metrics.hpp"
#include "sim/node.hpp"

using namespace sim;
using namespace sim::time_literals;

namespace {

// A Poisson source feeding one node directly (no network), recording sojourn times.
struct Station final : Handler, Behavior {
  Simulation sim;
  NetworkConfig net_cfg;
  Network net{sim, {"station"}, net_cfg, 1};
  Node node;
  Rng arrivals;
  double rate;
  uint64_t remaining;
  uint64_t warmup;
  HandlerId self = 0;
  LogHistogram sojourn;

  Station(uint32_t workers, double lambda, double mu, uint64_t n, uint64_t seed)
      : node(sim, net, 0, config(workers, mu), seed),
        arrivals(seed, "arrivals"),
        rate(lambda),
        remaining(n),
        warmup(n / 20) {
    node.set_behavior(this);
    self = sim.add_handler(this);
    next_arrival();
  }
  static NodeConfig config(uint32_t workers, double mu) {
    NodeConfig c;
    c.name = "station";
    c.workers = workers;
    c.ops = {{"serve", Distribution::exponential(Time::from_seconds(1.0 / mu))}};
    return c;
  }
  void next_arrival() {
    if (remaining-- == 0) return;
    sim.schedule_after(Time::from_seconds(arrivals.exponential(1.0 / rate)), self, 0, 0);
  }
  void on_event(Simulation& s, const Event&) override {
    node.submit(0, static_cast<uint64_t>(s.now().ns()));
    next_arrival();
  }
  void on_message(Node&, const Message&) override {}
  void on_job_done(Node& n, const Job& job, uint32_t) override {
    if (warmup > 0) {
      --warmup;
      return;
    }
    sojourn.add_ns(n.now().ns() - static_cast<int64_t>(job.token));
  }
};

// Erlang C: probability that an arrival waits in an M/M/c queue with offered load a = l/mu.
double erlang_c(int c, double a) {
  double term = 1, sum = 1;  // k = 0
  for (int k = 1; k < c; ++k) {
    term *= a / k;
    sum += term;
  }
  const double last = term * a / c;  // a^c / c!
  const double rho = a / c;
  const double pc = last / (1 - rho);
  return pc / (sum + pc);
}

}  // namespace

TEST_CASE("Queueing: M/M/1 mean and p99 sojourn match the closed form within 2%",
          "[sim][validation][queueing]") {
  // lambda = 100/s, mu = 200/s: sojourn ~ Exp(mu - lambda), mean 10 ms, p99 = ln(100)/100 s.
  Station st(1, 100.0, 200.0, 2'000'000, 1);
  st.sim.run();
  const double mean = 1.0 / (200.0 - 100.0);
  const double p99 = std::log(100.0) / (200.0 - 100.0);
  CHECK(st.sojourn.mean_ns() * 1e-9 == Approx(mean).epsilon(0.02));
  CHECK(st.sojourn.percentile_ns(0.99) * 1e-9 == Approx(p99).epsilon(0.02));
  CHECK(st.node.utilisation() == Approx(0.5).epsilon(0.02));
}

TEST_CASE("Queueing: M/M/c mean sojourn matches Erlang C within 2%",
          "[sim][validation][queueing]") {
  // c = 4 workers, lambda = 300/s, mu = 100/s per worker: rho = 0.75.
  const int c = 4;
  const double lambda = 300.0, mu = 100.0;
  Station st(c, lambda, mu, 2'000'000, 2);
  st.sim.run();
  const double wait = erlang_c(c, lambda / mu) / (c * mu - lambda);
  const double mean = wait + 1.0 / mu;
  CHECK(st.sojourn.mean_ns() * 1e-9 == Approx(mean).epsilon(0.02));
  CHECK(st.node.utilisation() == Approx(0.75).epsilon(0.02));
}
