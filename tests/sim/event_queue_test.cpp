#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/rng.hpp"
#include "sim/simulation.hpp"

using namespace sim;

TEST_CASE("EventQueue: equal timestamps pop in insertion order", "[sim][queue]") {
  EventQueue q;
  for (uint64_t i = 0; i < 100; ++i) q.push(Event{Time::from_ns(5), i, 0, 0, i});
  for (uint64_t i = 0; i < 100; ++i) CHECK(q.pop().payload == i);
  CHECK(q.empty());
}

TEST_CASE("EventQueue: matches a sorted reference under random pushes and pops",
          "[sim][queue]") {
  Rng rng(7, "queue-test");
  EventQueue q;
  std::vector<Event> shadow;  // kept sorted by (time, seq)
  uint64_t seq = 0;
  for (int op = 0; op < 200000; ++op) {
    const bool push = shadow.empty() || rng.below(100) < 55;
    if (push) {
      // Few distinct times, so that ties are frequent.
      Event e{Time::from_ns(static_cast<int64_t>(rng.below(500))), seq++, 0, 0, rng.next_u64()};
      q.push(e);
      shadow.insert(std::upper_bound(shadow.begin(), shadow.end(), e, earlier), e);
    } else {
      const Event got = q.pop();
      REQUIRE(got.seq == shadow.front().seq);
      REQUIRE(got.payload == shadow.front().payload);
      shadow.erase(shadow.begin());
    }
    REQUIRE(q.size() == shadow.size());
  }
}

TEST_CASE("earlier_flat orders events as earlier does, negative times and ties included",
          "[sim][queue]") {
  Rng rng(11, "flat-order");
  const int64_t edges[] = {std::numeric_limits<int64_t>::min(), -1, 0, 1,
                           std::numeric_limits<int64_t>::max()};
  for (int i = 0; i < 100000; ++i) {
    // Times from a handful of values (ties), the extremes, or anywhere.
    const auto pick = [&]() -> int64_t {
      switch (rng.below(3)) {
        case 0: return static_cast<int64_t>(rng.below(4)) - 2;
        case 1: return edges[rng.below(5)];
        default: return static_cast<int64_t>(rng.next_u64());
      }
    };
    const Event a{Time::from_ns(pick()), rng.below(3), 0, 0, 0};
    const Event b{Time::from_ns(pick()), rng.below(3), 0, 0, 0};
    REQUIRE(earlier_flat(a, b) == earlier(a, b));
  }
}

// sift_down() compares children without a branch up to a size and with one above it: a
// queue that grows through that size and shrinks back must pop in (time, seq) order all
// the way, whichever comparison placed its events.
TEST_CASE("EventQueue: pops in order while growing past the branch-free size and back",
          "[sim][queue]") {
  Rng rng(13, "queue-grow");
  EventQueue q;
  std::set<std::pair<int64_t, uint64_t>> shadow;  // (time, seq), in pop order
  uint64_t seq = 0;
  int64_t now = 0;
  const auto step = [&](unsigned push_percent) {
    if (shadow.empty() || rng.below(100) < push_percent) {
      const Event e{Time::from_ns(now + static_cast<int64_t>(rng.below(1000))), seq++, 0, 0, 0};
      q.push(e);
      shadow.emplace(e.time.ns(), e.seq);
      return;
    }
    const Event got = q.pop();
    REQUIRE(std::make_pair(got.time.ns(), got.seq) == *shadow.begin());
    shadow.erase(shadow.begin());
    now = got.time.ns();
  };
  while (shadow.size() < 40000) step(75);  // well past the branch-free limit
  CHECK(q.size() == shadow.size());
  while (!shadow.empty()) step(25);        // and back down to nothing
  CHECK(q.empty());
}

// Timeouts wait in a heap of their own (push_far); every way of taking events out must
// still see one (time, seq) order over both heaps, ties between them included.
TEST_CASE("EventQueue: near and far events pop in one (time, seq) order", "[sim][queue]") {
  Rng rng(17, "queue-far");
  EventQueue q;
  std::set<std::pair<int64_t, uint64_t>> shadow;  // (time, seq)
  uint64_t seq = 0;
  int far_taken = 0, near_taken = 0;
  std::set<uint64_t> far_seqs;
  for (int op = 0; op < 100000; ++op) {
    const unsigned r = static_cast<unsigned>(rng.below(100));
    if (shadow.empty() || r < 50) {
      const Event e{Time::from_ns(static_cast<int64_t>(rng.below(300))), seq++, 0, 0, 0};
      if (rng.below(3) == 0) {
        q.push_far(e);
        far_seqs.insert(e.seq);
      } else {
        q.push(e);
      }
      shadow.emplace(e.time.ns(), e.seq);
    } else if (r < 70) {
      const Event got = q.pop();
      REQUIRE(std::make_pair(got.time.ns(), got.seq) == *shadow.begin());
      (far_seqs.count(got.seq) ? far_taken : near_taken)++;
      shadow.erase(shadow.begin());
    } else if (r < 85) {
      REQUIRE(std::make_pair(q.top().time.ns(), q.top().seq) == *shadow.begin());
    } else if (r < 99) {
      const Time until = Time::from_ns(static_cast<int64_t>(rng.below(300)));
      Event got;
      const bool due = shadow.begin()->first <= until.ns();
      REQUIRE(q.pop_due(until, got) == due);
      if (due) {
        REQUIRE(std::make_pair(got.time.ns(), got.seq) == *shadow.begin());
        shadow.erase(shadow.begin());
      }
    } else {  // drop every event with an odd seq, near and far
      q.remove_if([](const Event& e) { return e.seq % 2 == 1; });
      std::erase_if(shadow, [](const auto& te) { return te.second % 2 == 1; });
    }
    REQUIRE(q.size() == shadow.size());
  }
  CHECK(far_taken > 1000);  // both heaps gave events
  CHECK(near_taken > 1000);
  q.clear();
  CHECK(q.empty());
}

TEST_CASE("EventQueue: a pop's hole at the root is filled by the next push, top or drop",
          "[sim][queue]") {
  const auto at = [](int64_t ns, uint64_t seq) { return Event{Time::from_ns(ns), seq, 0, 0, seq}; };
  EventQueue q;
  for (uint64_t i = 0; i < 7; ++i) q.push(at(static_cast<int64_t>(10 * i), i));
  CHECK(q.pop().seq == 0);
  CHECK(q.size() == 6);     // the hole is not counted
  q.push(at(5, 7));         // earlier than everything left: fills the hole and stays there
  CHECK(q.size() == 7);
  CHECK(q.top().seq == 7);
  CHECK(q.pop().seq == 7);
  q.push(at(1000, 8));      // later than everything: goes down from the root to a leaf
  CHECK(q.pop().seq == 1);
  CHECK(q.top().seq == 2);  // no push: top() closes the hole with the last leaf
  CHECK(q.size() == 6);
  CHECK(q.pop().seq == 2);
  q.remove_if([](const Event& e) { return e.seq == 3 || e.seq == 8; });  // with a hole open
  CHECK(q.size() == 3);
  CHECK(q.pop().seq == 4);
  CHECK(q.pop().seq == 5);
  CHECK(q.pop().seq == 6);
  CHECK(q.empty());         // only the hole is left
  q.push(at(1, 9));         // fills it: the one event
  CHECK(q.size() == 1);
  CHECK(q.pop().seq == 9);
  q.clear();                // drops the hole too
  CHECK(q.empty());
  q.push(at(2, 10));
  CHECK(q.top().seq == 10);
  CHECK(q.size() == 1);
}

namespace {
// Records what reaches it.
struct Recorder final : Handler {
  std::vector<std::pair<int64_t, uint64_t>> seen;  // (time, payload)
  void on_event(Simulation& s, const Event& e) override { seen.emplace_back(s.now().ns(), e.payload); }
};
}  // namespace

TEST_CASE("Simulation: cancelled timers never run, the rest run in (time, insertion) order",
          "[sim][queue]") {
  Rng rng(11, "cancel-test");
  Simulation s;
  Recorder rec;
  const HandlerId h = s.add_handler(&rec);
  struct Pending {
    int64_t time;
    uint64_t seq;
    uint64_t payload;
  };
  std::vector<Pending> expected;  // the shadow: what must run
  std::vector<std::pair<TimerId, size_t>> timers;
  uint64_t seq = 0;
  for (int i = 0; i < 20000; ++i) {
    const auto t = static_cast<int64_t>(rng.below(1000));
    const uint64_t payload = rng.next_u64();
    if (rng.below(2) == 0) {
      s.schedule(Time::from_ns(t), h, 1, payload);
    } else {
      timers.emplace_back(s.schedule_timer(Time::from_ns(t), h, 1, payload), expected.size());
    }
    expected.push_back({t, seq++, payload});
  }
  // Cancel a random half of the timers, some twice.
  std::vector<bool> cancelled(expected.size(), false);
  for (auto& [id, index] : timers) {
    if (rng.below(2) == 0) {
      CHECK(s.cancel(id));
      CHECK_FALSE(s.cancel(id));  // a second cancel is a no-op
      CHECK_FALSE(s.pending(id));
      cancelled[index] = true;
    } else {
      CHECK(s.pending(id));
    }
  }
  std::vector<std::pair<int64_t, uint64_t>> want;
  std::vector<Pending> live;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!cancelled[i]) live.push_back(expected[i]);
  }
  std::stable_sort(live.begin(), live.end(),
                   [](const Pending& a, const Pending& b) { return a.time < b.time; });
  for (const auto& p : live) want.emplace_back(p.time, p.payload);
  s.run();
  CHECK(rec.seen == want);
  // A timer that ran cannot be cancelled afterwards.
  for (auto& [id, index] : timers) {
    if (!cancelled[index]) CHECK_FALSE(s.cancel(id));
  }
}

TEST_CASE("Simulation: run_until stops at the bound and advances the clock", "[sim][queue]") {
  Simulation s;
  Recorder rec;
  const HandlerId h = s.add_handler(&rec);
  s.schedule(Time::from_ns(10), h, 1, 1);
  s.schedule(Time::from_ns(20), h, 1, 2);
  s.schedule(Time::from_ns(30), h, 1, 3);
  CHECK(s.run_until(Time::from_ns(20)) == 2);
  CHECK(s.now() == Time::from_ns(20));
  CHECK(s.pending_events() == 1);
  CHECK(s.run_until(Time::from_ns(25)) == 0);
  CHECK(s.now() == Time::from_ns(25));
  CHECK(s.run() == 1);
}

namespace {
// A small chaotic model: each event schedules 0-2 more and sometimes cancels a timer.
struct Chaos final : Handler {
  Rng rng{99, "chaos"};
  HandlerId self = 0;
  std::vector<TimerId> timers;
  void on_event(Simulation& s, const Event& e) override {
    (void)e;
    const uint64_t n = rng.below(3);
    for (uint64_t i = 0; i < n && s.events_handled() < 50000; ++i) {
      const Time d = Time::from_ns(static_cast<int64_t>(rng.below(100)));
      if (rng.below(2)) {
        timers.push_back(s.timer_after(d, self, static_cast<uint32_t>(rng.below(4)), rng.next_u64()));
      } else {
        s.schedule_after(d, self, static_cast<uint32_t>(rng.below(4)), rng.next_u64());
      }
    }
    if (!timers.empty() && rng.below(3) == 0) s.cancel(timers[rng.below(timers.size())]);
  }
};
uint64_t chaos_fingerprint() {
  Simulation s;
  Chaos c;
  c.self = s.add_handler(&c);
  for (int i = 0; i < 10; ++i) s.schedule(Time::from_ns(i), c.self, 0, 0);
  s.run();
  return s.fingerprint();
}
}  // namespace

TEST_CASE("Simulation: the same seed gives a bit-identical event-order fingerprint",
          "[sim][queue][determinism]") {
  const uint64_t a = chaos_fingerprint();
  const uint64_t b = chaos_fingerprint();
  CHECK(a == b);
  CHECK(a != Simulation().fingerprint());
}
