#include "sim/simulation.hpp"

namespace sim {
namespace {
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr uint64_t kMix = 0x9e3779b97f4a7c15ULL;
}  // namespace

Simulation::Simulation() { queue_.reserve(1024); }

HandlerId Simulation::add_handler(Handler* h) {
  SIM_ASSERT(h != nullptr, "null handler");
  handlers_.push_back(h);
  return static_cast<HandlerId>(handlers_.size() - 1);
}

TimerId Simulation::schedule_timer(Time at, HandlerId target, uint32_t kind, uint64_t payload) {
  SIM_ASSERT((kind & kTimerBit) == 0, "timer kind uses the reserved top bit");
  uint32_t slot = free_slot_;
  if (slot == kNoSlot) {
    timers_.push_back(TimerSlot{});
    slot = static_cast<uint32_t>(timers_.size() - 1);
  } else {
    free_slot_ = timers_[slot].next_free;
  }
  TimerSlot& ts = timers_[slot];
  ts.payload = payload;
  ts.next_free = kNoSlot;
  // A timer is a timeout that is mostly cancelled before it is due: it waits apart from the
  // events that will run (EventQueue::push_far), in the same (time, seq) order.
  const uint64_t id = (static_cast<uint64_t>(ts.gen) << 32) | slot;
  queue_.push_far(next_event(at, target, kind | kTimerBit, id));
  return TimerId{slot, ts.gen};
}

void Simulation::release_slot(uint32_t slot) {
  TimerSlot& ts = timers_[slot];
  ++ts.gen;
  if (ts.gen == 0) ts.gen = 1;  // 0 means "no timer"
  ts.next_free = free_slot_;
  free_slot_ = slot;
}

bool Simulation::cancel(TimerId id) {
  if (!pending(id)) return false;
  release_slot(id.slot);
  ++cancelled_;
  ++cancelled_in_queue_;
  maybe_compact();
  return true;
}

void Simulation::maybe_compact() {
  if (cancelled_in_queue_ < 32 || 2 * cancelled_in_queue_ < queue_.size()) return;
  queue_.remove_if([this](const Event& e) { return cancelled(e); });
  cancelled_in_queue_ = 0;
}

bool Simulation::dispatch(Event e) {
  if (e.kind & kTimerBit) {
    const auto slot = static_cast<uint32_t>(e.payload);
    const auto gen = static_cast<uint32_t>(e.payload >> 32);
    if (timers_[slot].gen != gen) {  // cancelled
      --cancelled_in_queue_;
      return false;
    }
    e.payload = timers_[slot].payload;
    e.kind &= ~kTimerBit;
    release_slot(slot);
  }
  now_ = e.time;
  ++handled_;
  fingerprint_ = (fingerprint_ ^ static_cast<uint64_t>(e.time.ns())) * kFnvPrime;
  fingerprint_ =
      (fingerprint_ ^ (e.seq * kMix) ^ ((static_cast<uint64_t>(e.target) << 32) | e.kind)) *
      kFnvPrime;
  handlers_[e.target]->on_event(*this, e);
  if (after_) [[unlikely]] {
    const std::function<void()> f = std::move(after_);
    after_ = nullptr;
    f();
  }
  return true;
}

std::optional<Time> Simulation::next_event_time() {
  while (!queue_.empty()) {
    const Event& e = queue_.top();
    if (cancelled(e)) {
      queue_.pop();
      --cancelled_in_queue_;
      continue;
    }
    return e.time;
  }
  return std::nullopt;
}

uint64_t Simulation::run_until(Time until) {
  stop_requested_ = false;
  const uint64_t before = handled_;
  Event e;
  while (!stop_requested_ && queue_.pop_due(until, e)) dispatch(e);
  if (!stop_requested_ && until != Time::max() && until > now_) now_ = until;
  return handled_ - before;
}

uint64_t Simulation::run_until(Time until, uint64_t max_events) {
  stop_requested_ = false;
  const uint64_t before = handled_;
  Event e;
  while (!stop_requested_ && handled_ - before < max_events && queue_.pop_due(until, e)) dispatch(e);
  const bool cut = handled_ - before >= max_events;
  if (!stop_requested_ && !cut && until != Time::max() && until > now_) now_ = until;
  return handled_ - before;
}

uint64_t Simulation::run_events(uint64_t n) {
  stop_requested_ = false;
  const uint64_t before = handled_;
  Event e;
  while (handled_ - before < n && !stop_requested_ && queue_.pop_due(Time::max(), e)) dispatch(e);
  return handled_ - before;
}

}  // namespace sim
