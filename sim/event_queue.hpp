// sim::EventQueue: the pending-event set, a 4-ary min-heap over a std::vector<Event>.
//
// Order: by (time, seq); seq is assigned by the caller (Simulation) in insertion order, so
// equal times pop in insertion order and a run is deterministic.
//
// Why 4-ary: a 4-ary heap has half the depth of a binary heap and the four children of a
// node sit in one 128-byte span (two cache lines), so sift-down touches fewer lines. For a
// million pending events (PHOLD 100000 x 10) this is what keeps pop() cheap.
//
//   operation   cost            allocation
//   push        O(log4 n)       amortized only (vector growth; reserve() avoids it)
//   pop         O(4 log4 n)     none
//   top, size   O(1)            none
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
  void reserve(size_t n) { heap_.reserve(n); }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // REQUIRES: !empty()
  const Event& top() const { return heap_.front(); }

  void push(const Event& e) {
    size_t i = heap_.size();
    heap_.push_back(e);
    Event* h = heap_.data();
    while (i > 0) {
      const size_t parent = (i - 1) >> 2;
      if (!earlier(e, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = e;
  }

  // Removes and returns the earliest event. REQUIRES: !empty()
  Event pop() {
    SIM_ASSERT(!heap_.empty(), "pop() on an empty event queue");
    const Event top_event = heap_[0];
    const Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0, last);
    return top_event;
  }

  // Drops every event for which pred(event) is true and restores the heap (Floyd's
  // bottom-up construction, O(n)). The order of what remains is unchanged: it only ever
  // depends on (time, seq).
  template <typename Pred>
  void remove_if(Pred pred) {
    size_t kept = 0;
    for (size_t i = 0; i < heap_.size(); ++i) {
      if (!pred(heap_[i])) heap_[kept++] = heap_[i];
    }
    heap_.resize(kept);
    if (kept < 2) return;
    for (size_t i = (kept - 2) / 4 + 1; i-- > 0;) sift_down(i, heap_[i]);
  }

  void clear() { heap_.clear(); }

 private:
  // Places e at the hole i and moves it down to where it belongs.
  void sift_down(size_t i, const Event e) {
    Event* h = heap_.data();
    const size_t n = heap_.size();
    for (;;) {
      const size_t first = 4 * i + 1;
      if (first >= n) break;
      size_t best = first;
      if (first + 3 < n) {  // all four children: a fixed tournament, no loop bookkeeping
        const size_t b01 = earlier(h[first + 1], h[first]) ? first + 1 : first;
        const size_t b23 = earlier(h[first + 3], h[first + 2]) ? first + 3 : first + 2;
        best = earlier(h[b23], h[b01]) ? b23 : b01;
      } else {
        for (size_t c = first + 1; c < n; ++c) {
          if (earlier(h[c], h[best])) best = c;
        }
      }
      if (!earlier(h[best], e)) break;
      h[i] = h[best];
      i = best;
    }
    h[i] = e;
  }

  std::vector<Event> heap_;
};

}  // namespace sim
