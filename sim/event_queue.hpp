// sim::EventQueue: the pending-event set, a binary min-heap over a std::vector<Event>.
//
// Order: by (time, seq); seq is assigned by the caller (Simulation) in insertion order, so
// equal times pop in insertion order and a run is deterministic.
//
// Why binary: a 4-ary heap (half the depth, four children in one 128-byte span) was
// measured against it in alternating runs of scripts/bench's workloads on this VM. Binary
// was 25% faster on PHOLD with 1,000 pending events (ratio to the reference 1.14 against
// 0.90), 4% faster on TWOPC (about 13 pending), and level with it on PHOLD with a million
// pending (0.85-0.99 against 0.74-0.95): one comparison per level that the branch
// predictor mostly gets right costs less than the 4-ary's three per level.
//
//   operation   cost            allocation
//   push        O(log2 n)       amortized only (vector growth; reserve() avoids it)
//   pop         O(2 log2 n)     none (paid by the next operation; see pop())
//   top         O(1), or the pop's sift
//   size        O(1)
//
// Branchy or not: choosing the earlier of two children is a coin toss that the branch
// predictor loses half the time. While the heap fits in the cache, a mispredict costs more
// than the load it lets the CPU start early, so sift_down() compares the children without a
// branch (earlier_flat). Once the heap spills out of the cache the loads dominate and the
// branchy comparison wins. Measured in alternating runs on this VM (coordsim bench phold,
// 5 M events): 1,000 pending 16.4 -> 21.0 M events/s, 10,000 pending 11.7 -> 13.0, 30,000
// 9.9 -> 10.1, but 100,000 pending 8.0 -> 6.4 and a million 3.5 -> 1.5; TWOPC (about 15
// pending) gained 3%. Hence the branch-free choice below kSmallHeap events only.
// Where a sift stops is another matter: that branch is predicted well enough that making it
// branch-free too (walking on to a leaf or the root, copying e's slot onto itself, the same
// moves) lost 8% on TWOPC in sift_down and nothing in sift_up: the CPU runs ahead on the
// prediction, where a branch-free walk waits for every comparison.
//
// Two heaps: timeouts (push_far: the Simulation's cancellable timers) wait in a heap of
// their own, apart from the events that will run (message deliveries, job completions).
// A protocol keeps a timeout armed for most of a transaction's life, and nearly all of
// them are cancelled or re-armed before they are due: in the main heap they would sit at
// its leaves and make every sift a level longer. pop() takes the earlier of the two roots,
// so the order is still (time, seq) over all events; the cost is one more comparison per
// pop, which the predictor gets right (timeouts are rarely first).
//
// Cancellation is not done here: Simulation cancels lazily (a flag checked when the event
// is popped) and, when cancelled events come to outnumber live ones, asks for them to be
// dropped all at once (remove_if: O(n), so O(1) amortized per cancel), which keeps the
// heap as small as the live events even when long timeouts are armed and cancelled at a
// high rate (2PC, sagas).
#pragma once

#include <cstddef>
#include <vector>

#include "sim/assert.hpp"
#include "sim/event.hpp"

namespace sim {

class EventQueue {
 public:
  void reserve(size_t n) { near_.reserve(n); }
  bool empty() const { return size() == 0; }
  size_t size() const { return near_.size() - (hole_ ? 1 : 0) + far_.size(); }
  // REQUIRES: !empty()
  const Event& top() {
    fill_hole();
    return far_first() ? far_.front() : near_.front();
  }

  void push(const Event& e) {
    if (hole_) {  // the root is free: e goes down from there, not up from a new leaf
      hole_ = false;
      sift_down(near_, 0, e);
      return;
    }
    sift_up(near_, e);
  }
  // The same, for an event that will most likely be cancelled long before it is due (a
  // timeout): it waits in a heap of its own (see the file comment).
  void push_far(const Event& e) { sift_up(far_, e); }

  // Removes and returns the earliest event. REQUIRES: !empty()
  //
  // The root is left empty (a hole) until the next operation: a push then fills it and
  // sifts down once, where pop-then-push would sift down the last leaf and then sift the
  // new event up. Most handlers schedule one event (a message's delivery starts a job, a
  // finished job sends a message, a PHOLD event makes the next), so most pops are paid
  // for by one sift instead of two. The order of pops is unchanged: it is (time, seq).
  Event pop() {
    fill_hole();
    SIM_ASSERT(!empty(), "pop() on an empty event queue");
    if (far_first()) [[unlikely]] return pop_far();
    hole_ = true;
    return near_[0];
  }

  // The run loop's step: if the earliest event is due by `until`, removes it into `out` and
  // returns true (as pop()); otherwise (or when empty) leaves the queue as it is and returns
  // false. One look at the roots instead of empty(), top() and pop() each checking the hole.
  bool pop_due(Time until, Event& out) {
    fill_hole();
    if (far_first()) [[unlikely]] {
      if (far_.front().time > until) return false;
      out = pop_far();
      return true;
    }
    if (near_.empty() || near_.front().time > until) return false;
    hole_ = true;
    out = near_.front();
    return true;
  }

  // Drops every event for which pred(event) is true and restores the heaps (Floyd's
  // bottom-up construction, O(n)). The order of what remains is unchanged: it only ever
  // depends on (time, seq).
  template <typename Pred>
  void remove_if(Pred pred) {
    fill_hole();
    remove_if(near_, pred);
    remove_if(far_, pred);
  }

  void clear() {
    near_.clear();
    far_.clear();
    hole_ = false;
  }

 private:
  using Heap = std::vector<Event>;

  // Whether the earliest event is in far_ (near_ has no hole open).
  bool far_first() const {
    return !far_.empty() && (near_.empty() || earlier(far_.front(), near_.front()));
  }
  Event pop_far() {
    const Event e = far_.front();
    drop_root(far_);
    return e;
  }
  // Closes the hole pop() left at the root of near_.
  void fill_hole() {
    if (!hole_) return;
    hole_ = false;
    drop_root(near_);
  }
  // Replaces the root with the last leaf and sifts it down. REQUIRES: !heap.empty()
  static void drop_root(Heap& heap) {
    const Event last = heap.back();
    heap.pop_back();
    if (!heap.empty()) sift_down(heap, 0, last);
  }
  template <typename Pred>
  static void remove_if(Heap& heap, Pred pred) {
    size_t kept = 0;
    for (size_t i = 0; i < heap.size(); ++i) {
      if (!pred(heap[i])) heap[kept++] = heap[i];
    }
    heap.resize(kept);
    if (kept < 2) return;
    for (size_t i = (kept - 2) / 2 + 1; i-- > 0;) sift_down(heap, i, heap[i]);
  }

  // Adds e as a new leaf and moves it up to where it belongs.
  static void sift_up(Heap& heap, const Event& e) {
    size_t i = heap.size();
    heap.push_back(e);
    Event* h = heap.data();
    while (i > 0) {
      const size_t parent = (i - 1) >> 1;
      if (!earlier(e, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = e;
  }

  // Places e at the hole i and moves it down to where it belongs: the children compared
  // without a branch while the heap fits in the cache, with one above (file comment).
  static void sift_down(Heap& heap, size_t i, const Event e) {
    if (heap.size() <= kSmallHeap) {
      sift_down_with<true>(heap, i, e);
    } else {
      sift_down_with<false>(heap, i, e);
    }
  }
  template <bool kFlat>
  static void sift_down_with(Heap& heap, size_t i, const Event e) {
    Event* h = heap.data();
    const size_t n = heap.size();
    for (;;) {
      const size_t first = 2 * i + 1;
      if (first >= n) break;
      size_t best = first;
      if constexpr (kFlat) {
        best += first + 1 < n && earlier_flat(h[first + 1], h[first]);
      } else {
        if (first + 1 < n && earlier(h[first + 1], h[first])) best = first + 1;
      }
      if (!earlier(h[best], e)) break;
      h[i] = h[best];
      i = best;
    }
    h[i] = e;
  }

  // Up to this many events (512 KiB, this machine's L2) the children are compared without
  // a branch; above it, with one (see the file comment).
  static constexpr size_t kSmallHeap = 16384;
  Heap near_;
  Heap far_;
  bool hole_ = false;  // near_[0] is popped already (see pop())
};

}  // namespace sim
