// sim::Simulation: the clock, the pending events and the loop that hands each event to its
// handler. One explicit object, no globals: tests build many small simulations side by side.
//
// Invariants:
//  - now() never decreases; an event is never scheduled before now().
//  - Events run in (time, insertion order); a run with the same inputs makes the same calls
//    in the same order, and fingerprint() is the proof (a hash of time, seq, target and kind
//    of every handled event).
//  - A cancelled timer never reaches its handler. Cancelling is O(1) and lazy: the event
//    stays queued and is skipped when popped.
//
// Cost per event: one heap pop, one indirect call, a few arithmetic operations for the
// fingerprint; a timer adds one slab lookup. No allocation except amortized vector growth.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sim/event.hpp"
#include "sim/event_queue.hpp"
#include "sim/time.hpp"

namespace sim {

class Simulation;
class Observer;

// Anything that receives events: a node, a network, a workload source, a PHOLD process.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void on_event(Simulation& sim, const Event& e) = 0;
};

// Names one cancellable timer. A default-constructed TimerId names none.
struct TimerId {
  uint32_t slot = 0;
  uint32_t gen = 0;  // 0 = none; live generations start at 1
  bool valid() const { return gen != 0; }
};

class Simulation {
 public:
  // The top bit of Event::kind marks a cancellable timer; handlers never see it set.
  static constexpr uint32_t kTimerBit = 0x8000'0000u;

  Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Registers a handler and returns the id events use to target it. The handler must
  // outlive the simulation's run.
  HandlerId add_handler(Handler* h);

  Time now() const { return now_; }
  // The clock itself, for a model that dates what it records without being handed the time.
  const Time* clock() const { return &now_; }

  // Schedules an event at absolute time `at`. REQUIRES: at >= now(), kind < kTimerBit.
  void schedule(Time at, HandlerId target, uint32_t kind, uint64_t payload) {
    queue_.push(next_event(at, target, kind, payload));
  }
  void schedule_after(Time delay, HandlerId target, uint32_t kind, uint64_t payload) {
    schedule(Time::saturating_add(now_, delay), target, kind, payload);
  }

  // Like schedule(), but the event can be cancelled until it runs.
  TimerId schedule_timer(Time at, HandlerId target, uint32_t kind, uint64_t payload);
  TimerId timer_after(Time delay, HandlerId target, uint32_t kind, uint64_t payload) {
    return schedule_timer(Time::saturating_add(now_, delay), target, kind, payload);
  }
  // Cancels a pending timer. Returns true iff it was still pending (false for a timer that
  // already ran, was cancelled before, or an invalid id). O(1).
  bool cancel(TimerId id);
  // Returns true iff the timer is scheduled and neither ran nor was cancelled.
  bool pending(TimerId id) const {
    return id.valid() && id.slot < timers_.size() && timers_[id.slot].gen == id.gen;
  }

  // Runs events until none is left or stop() is called. Returns the events handled.
  uint64_t run() { return run_until(Time::max()); }
  // Runs every event with time <= until, then advances the clock to `until` (unless stopped
  // or until == Time::max()). Returns the events handled.
  uint64_t run_until(Time until);
  // The same, but returns after at most max_events handled events (the clock stays at the
  // last one then), so that a caller can look at the run now and then.
  uint64_t run_until(Time until, uint64_t max_events);
  // Runs at most n events. Returns the events handled.
  uint64_t run_events(uint64_t n);
  // Makes the current run_*() return after the event being handled.
  void stop() { stop_requested_ = true; }
  // Whether the last run_*() returned because of stop().
  bool stopped() const { return stop_requested_; }
  // Calls f once, right after the event being handled (before any other event): an
  // intervention between two events, such as an injected crash.
  void after_this_event(std::function<void()> f) { after_ = std::move(f); }

  // The observer that sees this simulation's network, nodes and models (sim/observer.hpp),
  // or nullptr. Not owned; it must outlive the run.
  void set_observer(Observer* o) { observer_ = o; }
  Observer* observer() const { return observer_; }

  size_t pending_events() const { return queue_.size(); }
  // The time of the earliest pending event that will run (cancelled timers at the front
  // are discarded on the way), or nullopt if none is left.
  std::optional<Time> next_event_time();
  uint64_t events_handled() const { return handled_; }
  uint64_t timers_cancelled() const { return cancelled_; }
  // A hash of (time, seq, target, kind) over every handled event, in order. Two runs that
  // behave the same have the same fingerprint; any change of behavior changes it.
  uint64_t fingerprint() const { return fingerprint_; }
  void reserve(size_t events) { queue_.reserve(events); }

 private:
  struct TimerSlot {
    uint32_t gen = 1;
    uint32_t next_free = 0;
    uint64_t payload = 0;
  };
  static constexpr uint32_t kNoSlot = 0xffff'ffffu;

  // The event to queue, numbered in insertion order. REQUIRES: at >= now(), a known target.
  Event next_event(Time at, HandlerId target, uint32_t kind, uint64_t payload) {
    SIM_ASSERT(at >= now_, "event scheduled in the past");
    SIM_ASSERT(target < handlers_.size(), "event for an unknown handler");
    return Event{at, next_seq_++, target, kind, payload};
  }
  // Runs one popped event. Returns false if it was a cancelled timer (skipped).
  bool dispatch(Event e);
  void release_slot(uint32_t slot);
  bool cancelled(const Event& e) const {
    return (e.kind & kTimerBit) &&
           timers_[static_cast<uint32_t>(e.payload)].gen != static_cast<uint32_t>(e.payload >> 32);
  }
  // Drops cancelled timers from the queue once they outnumber the live events.
  void maybe_compact();

  Time now_ = Time::zero();
  uint64_t next_seq_ = 0;
  uint64_t handled_ = 0;
  uint64_t cancelled_ = 0;
  size_t cancelled_in_queue_ = 0;
  uint64_t fingerprint_ = 0xcbf29ce484222325ULL;
  bool stop_requested_ = false;
  std::function<void()> after_;
  Observer* observer_ = nullptr;
  EventQueue queue_;
  std::vector<Handler*> handlers_;
  std::vector<TimerSlot> timers_;
  uint32_t free_slot_ = kNoSlot;
};

}  // namespace sim
