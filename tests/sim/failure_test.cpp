#include <catch2/catch.hpp>

#include "sim/failure.hpp"
#include "test_behaviors.hpp"

using namespace sim;
using namespace sim::time_literals;

TEST_CASE("FailureInjector: random crashes give availability MTTF / (MTTF + MTTR)",
          "[sim][failure]") {
  Simulation sim;
  NetworkConfig cfg;
  Network net(sim, {"a"}, cfg, 1);
  Node a(sim, net, 0, test::named("a"), 1);
  test::Sink sink;
  a.set_behavior(&sink);
  FailureInjector f(sim, {&a}, 3);
  f.set_horizon(Time::from_h(2000));
  f.add_random(0, Distribution::exponential(1_h), Distribution::exponential(15_min));
  sim.run();
  CHECK(a.availability() == Approx(0.8).margin(0.01));
  CHECK(static_cast<double>(f.crashes()) == Approx(2000 / 1.25).epsilon(0.05));
  CHECK(a.up());  // the horizon lets the run drain: it ends up
}

TEST_CASE("FailureInjector: failure times do not depend on anything else in the run",
          "[sim][failure][determinism]") {
  auto crash_times = [](bool busy) {
    Simulation sim;
    NetworkConfig cfg;
    Network net(sim, {"a", "b"}, cfg, 1);
    Node a(sim, net, 0, test::named("a"), 5);
    Node b(sim, net, 1, test::named("b"), 5);
    test::Sink sa, sb;
    a.set_behavior(&sa);
    b.set_behavior(&sb);
    FailureInjector f(sim, {&a, &b}, 5);
    f.set_horizon(10_h);
    f.add_random(0, Distribution::exponential(1_h), Distribution::exponential(1_min));
    if (busy) f.add_random(1, Distribution::exponential(10_min), Distribution::exponential(1_min));
    std::vector<int64_t> times;
    struct Watch final : Handler {
      Node* a;
      std::vector<int64_t>* t;
      bool was_up = true;
      HandlerId self = 0;
      void on_event(Simulation& s, const Event&) override {
        if (was_up && !a->up()) t->push_back(s.now().ns());
        was_up = a->up();
        if (s.now() < 10_h) s.schedule_after(1_s, self, 0, 0);
      }
    } w;
    w.a = &a;
    w.t = &times;
    w.self = sim.add_handler(&w);
    sim.schedule(Time::zero(), w.self, 0, 0);
    sim.run();
    return times;
  };
  const auto quiet = crash_times(false);
  CHECK(!quiet.empty());
  CHECK(crash_times(true) == quiet);
}

TEST_CASE("FailureInjector: a scheduled crash takes the node down for its duration",
          "[sim][failure]") {
  Simulation sim;
  NetworkConfig cfg;
  Network net(sim, {"a"}, cfg, 1);
  Node a(sim, net, 0, test::named("a"), 1);
  test::Sink sink;
  a.set_behavior(&sink);
  FailureInjector f(sim, {&a}, 1);
  f.add_crash(0, 10_s, 5_s);
  sim.run_until(12_s);
  CHECK_FALSE(a.up());
  sim.run_until(15_s);
  CHECK(a.up());
  sim.run_until(20_s);
  CHECK(a.availability() == Approx(0.75));
}
