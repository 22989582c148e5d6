#include <catch2/catch.hpp>

#include "sim/node.hpp"
#include "test_behaviors.hpp"

using namespace sim;
using namespace sim::time_literals;

namespace {
NodeConfig server_config(uint32_t workers, std::optional<uint32_t> capacity = std::nullopt) {
  NodeConfig c;
  c.name = "server";
  c.workers = workers;
  c.queue_capacity = capacity;
  c.ops = {{"work", Distribution::constant(10_ms)}};
  return c;
}

struct Rig {
  Simulation sim;
  NetworkConfig net_cfg;
  Network net{sim, {"client", "server"}, net_cfg, 1};
  Node client{sim, net, 0, test::named("client"), 1};
  Node server;
  test::Sink sink;
  test::EchoServer echo;
  explicit Rig(NodeConfig cfg) : server(sim, net, 1, std::move(cfg), 1) {
    client.set_behavior(&sink);
    server.set_behavior(&echo);
  }
  void request(uint64_t txn) {
    Message m;
    m.dst = 1;
    m.txn = txn;
    client.send(m);
  }
};

// Calls f at time t.
struct At final : Handler {
  std::vector<std::function<void()>> fs;
  void on_event(Simulation&, const Event& e) override { fs[e.payload](); }
};
}  // namespace

TEST_CASE("Node: workers serve in FIFO order and a full queue rejects", "[sim][node]") {
  Rig r(server_config(2, 3));
  for (uint64_t i = 0; i < 7; ++i) r.request(i);  // 2 in service, 3 queued, 2 rejected
  r.sim.run();
  CHECK(r.server.counters().rejected == 2);
  REQUIRE(r.sink.got.size() == 5);
  std::vector<uint64_t> order;
  for (auto& [t, m] : r.sink.got) order.push_back(m.txn);
  CHECK(order == std::vector<uint64_t>{0, 1, 2, 3, 4});
  CHECK(r.sink.got[0].first == 10_ms);
  CHECK(r.sink.got[2].first == 20_ms);
  CHECK(r.sink.got[4].first == 30_ms);
}

// The waiting jobs are a ring that doubles when full: growing while its contents wrap
// around the end must keep them in arrival order.
TEST_CASE("Node: an unbounded queue keeps FIFO order while it grows and wraps",
          "[sim][node]") {
  Rig r(server_config(1));
  At at;
  const HandlerId at_id = r.sim.add_handler(&at);
  for (uint64_t i = 0; i < 12; ++i) r.request(i);  // 1 in service, 11 waiting
  // At 65 ms six are served, so the ring's head has moved on; 30 more make it grow twice
  // with its contents wrapped.
  at.fs.push_back([&] {
    CHECK(r.server.queue_length() == 5);
    for (uint64_t i = 12; i < 42; ++i) r.request(i);
  });
  at.fs.push_back([&] { CHECK(r.server.queue_length() == 35); });  // (all arrived by then)
  r.sim.schedule(65_ms, at_id, 0, 0);
  r.sim.schedule(66_ms, at_id, 0, 1);
  r.sim.run();
  REQUIRE(r.sink.got.size() == 42);
  for (size_t k = 0; k < r.sink.got.size(); ++k) {
    CHECK(r.sink.got[k].second.txn == k);
    CHECK(r.sink.got[k].first == Time::from_ms(10 * static_cast<int64_t>(k + 1)));
  }
  CHECK(r.server.counters().rejected == 0);
}

TEST_CASE("Node: a crash drops queued work and volatile state but keeps the durable log",
          "[sim][node][failure]") {
  Rig r(server_config(1));
  LogRecord rec;
  rec.txn = 7;
  rec.type = 1;
  rec.value = 42;
  r.server.log(rec);
  for (uint64_t i = 0; i < 4; ++i) r.request(i);  // 1 in service, 3 queued
  At at;
  const HandlerId h = r.sim.add_handler(&at);
  at.fs.push_back([&] { r.server.crash(); });
  at.fs.push_back([&] { r.server.recover(); });
  at.fs.push_back([&] { r.request(100); });
  at.fs.push_back([&] { r.request(200); });
  r.sim.schedule(5_ms, h, 0, 0);   // crash while the first job is in service
  r.sim.schedule(6_ms, h, 0, 3);   // arrives while down: dropped
  r.sim.schedule(50_ms, h, 0, 1);  // recover
  r.sim.schedule(60_ms, h, 0, 2);  // served after recovery
  r.sim.run();

  CHECK(r.echo.crashed_seen);
  CHECK(r.echo.recovered_seen);
  CHECK(r.server.counters().lost_in_crash == 4);
  CHECK(r.server.counters().messages_dropped == 1);
  CHECK(r.server.counters().crashes == 1);
  // Nothing from before the crash completes (its completion event is discarded).
  REQUIRE(r.sink.got.size() == 1);
  CHECK(r.sink.got[0].second.txn == 100);
  CHECK(r.sink.got[0].first == 70_ms);
  // The log survived.
  REQUIRE(r.server.durable_log().size() == 1);
  CHECK(r.server.durable_log()[0].value == 42);
  // Up for 5 ms, down for 45 ms, up for 20 ms (until the last event at 70 ms).
  CHECK(r.server.availability() == Approx(25.0 / 70.0));
}

TEST_CASE("Node: timers set before a crash do not fire after it", "[sim][node][failure]") {
  struct TimerBehavior final : Behavior {
    int fired = 0;
    void on_message(Node&, const Message&) override {}
    void on_timer(Node&, uint64_t) override { ++fired; }
  } b;
  Simulation sim;
  NetworkConfig cfg;
  Network net(sim, {"n"}, cfg, 1);
  Node n(sim, net, 0, test::named("n"), 1);
  n.set_behavior(&b);
  n.set_timer(10_ms, 1);
  n.set_timer(30_ms, 2);
  const TimerId cancelled = n.set_timer(5_ms, 3);
  CHECK(n.cancel_timer(cancelled));
  At at;
  const HandlerId h = sim.add_handler(&at);
  at.fs.push_back([&] { n.crash(); });
  at.fs.push_back([&] { n.recover(); });
  sim.schedule(20_ms, h, 0, 0);
  sim.schedule(25_ms, h, 0, 1);
  sim.run();
  CHECK(b.fired == 1);  // only the 10 ms timer
}

TEST_CASE("Node: a blocking worker stays busy until released", "[sim][node]") {
  // Each job holds its worker for 50 ms after its 10 ms of service (a synchronous call).
  struct Blocking final : Behavior {
    Simulation* sim = nullptr;
    std::vector<std::pair<Time, uint64_t>> done;
    std::vector<uint32_t> to_release;
    void on_message(Node& self, const Message& m) override { self.submit(0, m.txn); }
    void on_job_done(Node& self, const Job& job, uint32_t worker) override {
      self.hold(worker);
      done.emplace_back(self.now(), job.token);
      to_release.push_back(worker);
      self.set_timer(50_ms, worker);
    }
    void on_timer(Node& self, uint64_t worker) override {
      self.release(static_cast<uint32_t>(worker));
    }
  } b;
  Simulation sim;
  NetworkConfig cfg;
  Network net(sim, {"c", "s"}, cfg, 1);
  Node c(sim, net, 0, test::named("c"), 1);
  NodeConfig sc = server_config(1);
  sc.call_model = CallModel::kBlocking;
  Node s(sim, net, 1, sc, 1);
  test::Sink sink;
  c.set_behavior(&sink);
  s.set_behavior(&b);
  for (uint64_t i = 0; i < 3; ++i) {
    Message m;
    m.dst = 1;
    m.txn = i;
    c.send(m);
  }
  sim.run();
  REQUIRE(b.done.size() == 3);
  CHECK(b.done[0].first == 10_ms);
  CHECK(b.done[1].first == 70_ms);  // waited for the first worker's 50 ms hold
  CHECK(b.done[2].first == 130_ms);
}
