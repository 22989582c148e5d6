// sim::Event: one scheduled happening. 32 bytes, trivially copyable, stored by value in the
// event queue (no allocation per event).
#pragma once

#include <cstdint>

#include "sim/time.hpp"

namespace sim {

using HandlerId = uint32_t;

struct Event {
  Time time;          // when it happens
  uint64_t seq = 0;   // insertion order: breaks ties in time deterministically
  HandlerId target = 0;  // who handles it (Simulation::add_handler)
  uint32_t kind = 0;  // what it is; meaning chosen by the handler (kTimerBit reserved)
  uint64_t payload = 0;  // small argument; meaning chosen by the handler
};

// Returns true iff a happens before b: earlier time, or same time and inserted earlier.
// Only (time, seq) decides the order: never addresses or container internals.
// Deliberately branchy: in a large heap the CPU speculates past the comparison and starts
// loading the next level early; a branch-free (cmov) version serializes those loads and
// was measured 2x slower on PHOLD with a million pending events.
inline bool earlier(const Event& a, const Event& b) {
  return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}

// The same order as earlier(), without a branch: (time, seq) as one 128-bit key, compared
// by a subtract-with-borrow. For a heap that fits in the cache, where a mispredicted branch
// costs more than waiting for a load: choosing between two children is a coin toss the
// predictor loses half the time (see EventQueue::sift_down).
inline bool earlier_flat(const Event& a, const Event& b) {
  // Signed: the time is the high half as it is (two's complement orders like int64) and the
  // seq the low half (unsigned), so the compare needs no bias of the sign bit.
  __extension__ using Key = __int128;          // (GCC and clang; __extension__: not ISO)
  __extension__ using Bits = unsigned __int128;
  const Key ka = static_cast<Key>(Bits{static_cast<uint64_t>(a.time.ns())} << 64 | a.seq);
  const Key kb = static_cast<Key>(Bits{static_cast<uint64_t>(b.time.ns())} << 64 | b.seq);
  return ka < kb;
}

}  // namespace sim
