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

#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/node.hpp"

namespace sim {

class TimeoutQueue {
 public:
  // `tag` is the timer payload this queue uses; it must differ from the behavior's others.
  TimeoutQueue(Time length, uint64_t tag) : length_(length), tag_(tag) {
    SIM_ASSERT(length >= Time::zero(), "a timeout queue of negative length");
  }

  Time length() const { return length_; }
  uint64_t tag() const { return tag_; }

  // Arms a timeout for `key`, due at now + length. Returns its id (never 0).
  uint64_t arm(Node& node, uint64_t key) {
    if (size_ == ring_.size()) grow();
    ring_[(head_ + size_) & mask_] = Entry{Time::saturating_add(node.now(), length_), key};
    const uint64_t id = front_id_ + size_;
    ++size_;
    if (!armed_) rearm(node);
    return id;
  }
  // Cancels a timeout; an unknown, expired or already cancelled id is ignored.
  void cancel(uint64_t id) {
    const uint64_t i = id - front_id_;  // wraps for ids before the front: out of range
    if (i >= size_) return;
    ring_[(head_ + i) & mask_].due = kDead;
  }
  // Runs f(key) for every live timeout now due, oldest first, then re-arms the node timer
  // for the next one. Call it from on_timer when the payload is tag().
  template <typename F>
  void expire(Node& node, F&& f) {
    armed_ = true;  // f may arm new timeouts: re-arm once, below
    while (size_ > 0 && (!front().live() || front().due <= node.now())) {
      const Entry e = front();
      pop();
      if (e.live()) f(e.key);
    }
    armed_ = false;
    rearm(node);
  }
  void clear() {
    front_id_ += size_;
    head_ = 0;
    size_ = 0;
    armed_ = false;
  }
  size_t size() const { return size_; }

 private:
  // 16 bytes, so that a ring of the many timeouts armed over one timeout length (a 2PC
  // coordinator at 150 transactions/s and a 10 s prepare timeout: 1,500) streams through a
  // third less memory than with a separate flag. Due times are never negative (they are
  // now + length), so a negative one marks an entry cancelled.
  struct Entry {
    Time due;
    uint64_t key;
    bool live() const { return due >= Time::zero(); }
  };
  static_assert(sizeof(Entry) == 16, "a timeout entry stays 16 bytes");
  static constexpr Time kDead = Time::from_ns(-1);
  const Entry& front() const { return ring_[head_]; }
  void pop() {
    head_ = (head_ + 1) & mask_;
    --size_;
    ++front_id_;
  }
  // Doubles the ring (a power of two), keeping the entries in order from index 0.
  void grow() {
    std::vector<Entry> bigger(ring_.empty() ? 16 : ring_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) & mask_];
    ring_ = std::move(bigger);
    head_ = 0;
    mask_ = ring_.size() - 1;
  }
  void rearm(Node& node) {
    while (size_ > 0 && !front().live()) pop();
    if (size_ == 0) return;
    armed_ = true;
    node.set_timer(front().due - node.now(), tag_);
  }

  Time length_;
  uint64_t tag_;
  std::vector<Entry> ring_;  // a ring buffer: entries head_ .. head_ + size_ - 1 (mod size)
  size_t head_ = 0, size_ = 0, mask_ = 0;
  uint64_t front_id_ = 1;  // id of the front entry
  bool armed_ = false;
};

// sim::BackoffTimeouts: timeouts that back off. A key armed again waits twice as long as the
// time before: `base`, 2 x base, 4 x base, ... up to `most` (a resend that must not become a
// storm when `base` is shorter than the round trip it waits for). The caller keeps each
// key's level (how many times it was armed before, from 0). One TimeoutQueue per length, so
// arming and cancelling stay O(1); level k's queue uses the timer payload tag + k x step.
class BackoffTimeouts {
 public:
  // An armed timeout: its queue's id and its level.
  struct Id {
    uint64_t id = 0;
    uint32_t level = 0;
  };

  BackoffTimeouts(Time base, Time most, uint64_t tag, uint64_t step) {
    SIM_ASSERT(base > Time::zero(), "a backoff from a wait of zero never grows");
    Time wait = base;
    for (uint64_t k = 0;; ++k) {
      levels_.emplace_back(std::min(wait, std::max(base, most)), tag + k * step);
      if (wait >= most) break;
      wait = Time::saturating_add(wait, wait);
    }
  }

  // Arms a timeout for `key` at `level` (the last one past it): due after that level's wait.
  Id arm(Node& node, uint64_t key, uint32_t level) {
    level = std::min<uint32_t>(level, static_cast<uint32_t>(levels_.size() - 1));
    return Id{levels_[level].arm(node, key), level};
  }
  void cancel(Id id) { levels_[id.level].cancel(id.id); }
  // If `payload` is the tag of one of the levels, runs f(key, level) for each live timeout
  // of that level now due (as TimeoutQueue::expire) and returns true; else returns false.
  template <typename F>
  bool expire(Node& node, uint64_t payload, F&& f) {
    for (uint32_t k = 0; k < levels_.size(); ++k) {
      if (levels_[k].tag() != payload) continue;
      levels_[k].expire(node, [&](uint64_t key) { f(key, k); });
      return true;
    }
    return false;
  }
  void clear() {
    for (TimeoutQueue& q : levels_) q.clear();
  }

 private:
  std::vector<TimeoutQueue> levels_;
};

}  // namespace sim
