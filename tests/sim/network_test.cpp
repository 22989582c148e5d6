#include <catch2/catch.hpp>

#include "sim/network.hpp"
#include "sim/node.hpp"
#include "test_behaviors.hpp"

using namespace sim;
using namespace sim::time_literals;

namespace {
struct Net {
  Simulation sim;
  Network net;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<test::Sink> sinks;
  Net(std::vector<std::string> names, const NetworkConfig& cfg)
      : net(sim, names, cfg, 1), sinks(names.size()) {
    for (NodeId i = 0; i < names.size(); ++i) {
      nodes.push_back(std::make_unique<Node>(sim, net, i, test::named(names[i]), 1));
      nodes.back()->set_behavior(&sinks[i]);
    }
  }
  void send(NodeId a, NodeId b, uint64_t txn = 0) {
    Message m;
    m.src = a;
    m.dst = b;
    m.txn = txn;
    net.send(a, m);
  }
};
}  // namespace

TEST_CASE("Network: full mesh delivers with the default latency", "[sim][network]") {
  NetworkConfig cfg;
  cfg.latency = Distribution::constant(3_ms);
  Net n({"a", "b", "c"}, cfg);
  n.send(0, 2);
  n.sim.run();
  REQUIRE(n.sinks[2].got.size() == 1);
  CHECK(n.sinks[2].got[0].first == 3_ms);
  CHECK(n.sinks[2].got[0].second.src == 0);
}

TEST_CASE("Network: nodes that are not adjacent use the shortest path", "[sim][network]") {
  NetworkConfig cfg;
  cfg.full_mesh = false;
  // a - b - d is 1 + 1 ms; a - c - d is 5 + 5 ms; a and d are not linked.
  cfg.links = {{0, 1, Distribution::constant(1_ms)},
               {1, 3, Distribution::constant(1_ms)},
               {0, 2, Distribution::constant(5_ms)},
               {2, 3, Distribution::constant(5_ms)}};
  Net n({"a", "b", "c", "d"}, cfg);
  CHECK(n.net.path(0, 3) == std::vector<NodeId>{0, 1, 3});
  CHECK(n.net.mean_delay(0, 3) == 2_ms);
  n.send(0, 3);
  n.send(3, 0);  // links are both ways by default
  n.sim.run();
  REQUIRE(n.sinks[3].got.size() == 1);
  CHECK(n.sinks[3].got[0].first == 2_ms);
  REQUIRE(n.sinks[0].got.size() == 1);
}

TEST_CASE("Network: a one-way link routes only one way", "[sim][network]") {
  NetworkConfig cfg;
  cfg.full_mesh = false;
  LinkConfig l{0, 1, Distribution::constant(1_ms)};
  l.both_ways = false;
  cfg.links = {l};
  Net n({"a", "b"}, cfg);
  CHECK(n.net.reachable(0, 1));
  CHECK_FALSE(n.net.reachable(1, 0));
  n.send(1, 0);
  n.sim.run();
  CHECK(n.sinks[0].got.empty());
  CHECK(n.net.counters().unroutable == 1);
}

TEST_CASE("Network: loss and duplication happen at their configured rates", "[sim][network]") {
  NetworkConfig cfg;
  cfg.latency = Distribution::exponential(1_ms);
  cfg.loss = 0.1;
  cfg.duplicate = 0.05;
  Net n({"a", "b"}, cfg);
  const int N = 100000;
  for (int i = 0; i < N; ++i) n.send(0, 1, static_cast<uint64_t>(i));
  n.sim.run();
  const auto& c = n.net.counters();
  CHECK(static_cast<double>(c.lost) / N == Approx(0.1).margin(0.005));
  // Duplication is drawn for messages that were not lost.
  CHECK(static_cast<double>(c.duplicated) / (N - static_cast<double>(c.lost)) ==
        Approx(0.05).margin(0.004));
  CHECK(n.sinks[1].got.size() == N - c.lost + c.duplicated);
}

TEST_CASE("Network: a partition stops the directions it cuts, only during its window",
          "[sim][network][partition]") {
  NetworkConfig cfg;
  cfg.latency = Distribution::constant(1_ms);
  Net n({"a", "b", "c"}, cfg);
  // Symmetric: {a} | {b} during [10ms, 20ms). c is not named: unaffected.
  Partition sym;
  sym.groups = {{0}, {1}};
  sym.start = 10_ms;
  sym.end = 20_ms;
  n.net.add_partition(sym);
  // One-way: c -> a cut during [30ms, 40ms); a -> c flows.
  Partition one;
  one.from = {2};
  one.to = {0};
  one.start = 30_ms;
  one.end = 40_ms;
  n.net.add_partition(one);

  struct Probe final : Handler {
    Net* n;
    void on_event(Simulation&, const Event& e) override {
      const auto a = static_cast<NodeId>(e.payload >> 8), b = static_cast<NodeId>(e.payload & 0xff);
      n->send(a, b, static_cast<uint64_t>(n->sim.now().ns()));
    }
  } probe;
  probe.n = &n;
  const HandlerId h = n.sim.add_handler(&probe);
  auto at = [&](Time t, NodeId a, NodeId b) { n.sim.schedule(t, h, 0, (uint64_t{a} << 8) | b); };
  at(5_ms, 0, 1);   // before: delivered
  at(12_ms, 0, 1);  // during: dropped
  at(12_ms, 1, 0);  // during, other direction: dropped
  at(12_ms, 0, 2);  // to an unnamed node: delivered
  at(12_ms, 2, 1);  // from an unnamed node: delivered
  at(9500_us, 0, 1);  // sent before, arrives during the window: dropped
  at(20_ms, 0, 1);  // at the end (exclusive): delivered
  at(35_ms, 2, 0);  // one-way cut direction: dropped
  at(35_ms, 0, 2);  // other direction: delivered
  at(45_ms, 2, 0);  // after: delivered
  n.sim.run();

  auto times = [&](NodeId dst, NodeId src) {
    std::vector<int64_t> t;
    for (auto& [when, m] : n.sinks[dst].got) {
      if (m.src == src) t.push_back(static_cast<int64_t>(m.txn) / 1000'000);
    }
    return t;
  };
  CHECK(times(1, 0) == std::vector<int64_t>{5, 20});
  CHECK(times(0, 1).empty());
  CHECK(times(2, 0) == std::vector<int64_t>{12, 35});
  CHECK(times(1, 2) == std::vector<int64_t>{12});
  CHECK(times(0, 2) == std::vector<int64_t>{45});
  CHECK(n.net.counters().partitioned == 4);
}
