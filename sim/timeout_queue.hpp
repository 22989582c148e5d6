// sim::TimeoutQueue: many timeouts of one fixed length, backed by a single node timer.
//
// Coordination protocols arm a timeout for nearly every message (a call, a prepare, a
// redelivery) and cancel most of them moments later. When every timeout in a set has the
// same length they expire in the order they were armed, so a FIFO suffices: arming appends,
// cancelling marks the entry dead, and only the oldest live entry has a kernel timer.
// Compared with one kernel timer each, this keeps the event heap small and makes both
// operations O(1) (amortized; dead entries are dropped when they reach the front).
//
// Usage, inside a Behavior: arm() returns an id; cancel(id); from on_timer, when the payload
// is this queue's tag, call expire(node, f) to run f(key) for every entry now due. The
// queue is volatile: call clear() from on_crash.
#pragma once

#include <cstdint>
#include <deque>

#include "sim/node.hpp"

namespace sim {

class TimeoutQueue {
 public:
  // `tag` is the timer payload this queue uses; it must differ from the behavior's others.
  TimeoutQueue(Time length, uint64_t tag) : length_(length), tag_(tag) {}

  Time length() const { return length_; }
  uint64_t tag() const { return tag_; }

  // Arms a timeout for `key`, due at now + length. Returns its id (never 0).
  uint64_t arm(Node& node, uint64_t key) {
    entries_.push_back(Entry{Time::saturating_add(node.now(), length_), key, true});
    const uint64_t id = front_id_ + entries_.size() - 1;
    if (!armed_) rearm(node);
    return id;
  }
  // Cancels a timeout; an unknown, expired or already cancelled id is ignored.
  void cancel(uint64_t id) {
    if (id < front_id_ || id - front_id_ >= entries_.size()) return;
    entries_[id - front_id_].live = false;
  }
  // Runs f(key) for every live timeout now due, oldest first, then re-arms the node timer
  // for the next one. Call it from on_timer when the payload is tag().
  template <typename F>
  void expire(Node& node, F&& f) {
    armed_ = true;  // f may arm new timeouts: re-arm once, below
    while (!entries_.empty() && (!entries_.front().live || entries_.front().due <= node.now())) {
      const Entry e = entries_.front();
      entries_.pop_front();
      ++front_id_;
      if (e.live) f(e.key);
    }
    armed_ = false;
    rearm(node);
  }
  void clear() {
    front_id_ += entries_.size();
    entries_.clear();
    armed_ = false;
  }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Time due;
    uint64_t key;
    bool live;
  };
  void rearm(Node& node) {
    while (!entries_.empty() && !entries_.front().live) {
      entries_.pop_front();
      ++front_id_;
    }
    if (entries_.empty()) return;
    armed_ = true;
    node.set_timer(entries_.front().due - node.now(), tag_);
  }

  Time length_;
  uint64_t tag_;
  std::deque<Entry> entries_;
  uint64_t front_id_ = 1;  // id of entries_.front()
  bool armed_ = false;
};

}  // namespace sim
