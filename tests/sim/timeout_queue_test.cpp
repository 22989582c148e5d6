#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "sim/timeout_queue.hpp"
#include "test_behaviors.hpp"

using namespace sim;
using namespace sim::time_literals;

namespace {
// A behavior whose timeouts all go through one queue, and which records what expires.
struct Expiring final : Behavior {
  TimeoutQueue queue{10_ms, 77};
  std::vector<std::pair<Time, uint64_t>> fired;  // (when, key)
  void on_message(Node&, const Message&) override {}
  void on_timer(Node& self, uint64_t payload) override {
    if (payload != queue.tag()) return;
    queue.expire(self, [&](uint64_t key) { fired.emplace_back(self.now(), key); });
  }
};

// Calls f at time t.
struct At final : Handler {
  Simulation& sim;
  HandlerId self;
  std::vector<std::function<void()>> fs;
  explicit At(Simulation& s) : sim(s), self(s.add_handler(this)) {}
  void at(Time t, std::function<void()> f) {
    fs.push_back(std::move(f));
    sim.schedule(t, self, 0, fs.size() - 1);
  }
  void on_event(Simulation&, const Event& e) override { fs[e.payload](); }
};

struct Rig {
  Simulation sim;
  NetworkConfig net_cfg;
  Network net{sim, {"n"}, net_cfg, 1};
  Node node{sim, net, 0, test::named("n"), 1};
  Expiring b;
  At at{sim};
  Rig() { node.set_behavior(&b); }
};
}  // namespace

// Thousands of timeouts armed close together (so that dozens are pending at once and the
// ring grows and wraps), half of them cancelled at random times, some before they are due
// and some after: every timeout not cancelled before it is due fires once, exactly at its
// arming time plus the length, in the order armed; none that was cancelled in time fires.
TEST_CASE("TimeoutQueue: fires what was not cancelled, on time and in order",
          "[sim][timeout]") {
  Rig r;
  Rng rng(5, "timeouts");
  std::map<uint64_t, uint64_t> id_of;  // key -> id
  std::vector<std::pair<Time, uint64_t>> expected;
  Time t = 1_ms;
  uint64_t last_id = 0;
  for (uint64_t key = 0; key < 5000; ++key) {
    t = t + Time::from_ns(static_cast<int64_t>(rng.below(500'000)));  // 0-0.5 ms apart
    const Time armed = t;
    r.at.at(armed, [&r, &id_of, &last_id, key] {
      const uint64_t id = r.b.queue.arm(r.node, key);
      CHECK(id > last_id);  // ids are never reused
      last_id = id;
      id_of[key] = id;
    });
    bool cancelled_in_time = false;
    if (rng.below(2) == 0) {
      // Cancel between 1 us and 15 ms after arming, never exactly at the due time.
      Time c = armed + Time::from_ns(1000 + static_cast<int64_t>(rng.below(15'000)) * 1000);
      if (c == armed + 10_ms) c = c + 1_us;
      cancelled_in_time = c < armed + 10_ms;
      r.at.at(c, [&r, &id_of, key] { r.b.queue.cancel(id_of.at(key)); });
    }
    if (!cancelled_in_time) expected.emplace_back(armed + 10_ms, key);
  }
  r.sim.run();
  CHECK(r.b.queue.size() == 0);
  REQUIRE(r.b.fired.size() == expected.size());
  CHECK(r.b.fired == expected);
  CHECK(expected.size() > 2000);  // (the draw above cancels about a third in time)
}

TEST_CASE("TimeoutQueue: unknown, expired and repeated cancels are ignored, and clear() drops all",
          "[sim][timeout]") {
  Rig r;
  uint64_t a = 0, b = 0, c = 0;
  r.at.at(1_ms, [&] {
    a = r.b.queue.arm(r.node, 1);
    b = r.b.queue.arm(r.node, 2);
    r.b.queue.cancel(b);
    r.b.queue.cancel(b);            // again
    r.b.queue.cancel(b + 1000);     // never armed
    r.b.queue.cancel(0);            // before every id
  });
  r.at.at(20_ms, [&] {
    r.b.queue.cancel(a);  // already fired
    c = r.b.queue.arm(r.node, 3);
    r.b.queue.arm(r.node, 4);
    r.b.queue.clear();  // a crash: both forgotten
    r.b.queue.arm(r.node, 5);
  });
  r.sim.run();
  CHECK(a < b);
  CHECK(b < c);
  REQUIRE(r.b.fired.size() == 2);
  CHECK(r.b.fired[0] == std::make_pair(11_ms, uint64_t{1}));
  CHECK(r.b.fired[1] == std::make_pair(30_ms, uint64_t{5}));
}

namespace {
// A behavior that re-arms each key from its own expiry, one level up: a resend that backs off.
struct Backing final : Behavior {
  BackoffTimeouts queue{3_ms, 20_ms, 100, 1000};
  std::map<uint64_t, std::vector<Time>> fired;  // key -> when, each time
  std::map<uint64_t, BackoffTimeouts::Id> id;
  void on_message(Node&, const Message&) override {}
  void on_timer(Node& self, uint64_t payload) override {
    const bool ours = queue.expire(self, payload, [&](uint64_t key, uint32_t level) {
      fired[key].push_back(self.now());
      id[key] = queue.arm(self, key, level + 1);
    });
    REQUIRE(ours);
  }
};
}  // namespace

// Waits of 3, 6, 12, then 20 ms (the most) for good: a key armed at 1 ms fires at 4, 10, 22,
// 42, 62 ms...; one armed at 2 ms, cancelled after its third firing, fires no more; every
// level's queue has its own tag (100, 1100, 2100, 3100), and a payload of none is not its.
TEST_CASE("BackoffTimeouts: each wait doubles up to the most, and cancelling stops it",
          "[sim][timeout]") {
  Simulation sim;
  NetworkConfig net_cfg;
  Network net{sim, {"n"}, net_cfg, 1};
  Node node{sim, net, 0, test::named("n"), 1};
  Backing b;
  node.set_behavior(&b);
  At at{sim};
  at.at(1_ms, [&] { b.id[1] = b.queue.arm(node, 1, 0); });
  at.at(2_ms, [&] { b.id[2] = b.queue.arm(node, 2, 0); });
  at.at(25_ms, [&] { b.queue.cancel(b.id[2]); });  // key 2 fired at 5, 11 and 23 ms
  at.at(70_ms, [&] { b.queue.clear(); });
  sim.run();
  CHECK(b.fired[1] == std::vector<Time>{4_ms, 10_ms, 22_ms, 42_ms, 62_ms});
  CHECK(b.fired[2] == std::vector<Time>{5_ms, 11_ms, 23_ms});
  CHECK(b.id[1].level == 3);  // past the last level: the last (20 ms)
  CHECK_FALSE(b.queue.expire(node, 4100, [](uint64_t, uint32_t) { FAIL("no such level"); }));
  // A base longer than the most: one level, of the base.
  BackoffTimeouts flat{50_ms, 10_ms, 7, 1};
  Simulation sim2;
  Network net2{sim2, {"n"}, net_cfg, 1};
  Node node2{sim2, net2, 0, test::named("n"), 1};
  Expiring e;
  node2.set_behavior(&e);
  const BackoffTimeouts::Id id = flat.arm(node2, 9, 5);
  CHECK(id.level == 0);
}
