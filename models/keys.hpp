// Contention: which keys a step touches, exclusive locks (two-phase commit) and exposures
// to partial state (patterns that commit locally).
//
// Key choice is a hashed draw per (transaction, step, k), through the service's Zipf
// distribution (inverse CDF over a table of `count` cumulative weights, O(log count) per
// draw, 8 bytes per key of memory), so every pattern's transaction t touches the same keys.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <unordered_map>
#include <vector>

#include "models/config.hpp"
#include "sim/time.hpp"

namespace models {

class World;

class KeyChooser {
 public:
  explicit KeyChooser(const KeySpace& ks);
  bool enabled() const { return ks_.count > 0; }
  uint32_t per_step() const { return ks_.per_step; }
  // The k-th key (k < per_step) that step `step` of transaction `txn` touches.
  uint64_t key(const World& w, uint64_t txn, uint32_t step, uint32_t k) const;

 private:
  KeySpace ks_;
  std::vector<double> cdf_;  // Zipf only
};

// Exclusive locks with FIFO waiters. A transaction asks for all its keys at once; it is
// granted when it holds every one. Waiting is bounded by the caller (a lock-wait timeout
// calls give_up), which also breaks deadlocks.
//
// Costs: acquire and release are O(keys) hash operations; memory is per key locked or
// waited for, released when free.
class LockTable {
 public:
  // Called when a waiting request is granted (txn).
  using Granted = std::function<void(uint64_t txn)>;
  explicit LockTable(Granted on_granted) : on_granted_(std::move(on_granted)) {}

  // Asks for `keys` for txn. Returns true iff all were granted at once; otherwise the
  // request waits and on_granted(txn) runs when it completes.
  bool acquire(uint64_t txn, const std::vector<uint64_t>& keys);
  // Releases everything txn holds and withdraws it from every queue it waits in.
  void release(uint64_t txn);
  bool holds_all(uint64_t txn) const;
  // Keys held now (O(keys locked or waited for): for sampling, not for the hot path).
  size_t held_keys() const {
    size_t n = 0;
    for (const auto& [key, k] : keys_) n += k.held ? 1 : 0;
    return n;
  }
  void clear() {  // a crash: volatile lock state is lost
    keys_.clear();
    requests_.clear();
  }

 private:
  struct KeyState {
    uint64_t holder = 0;
    bool held = false;
    std::deque<uint64_t> waiters;
  };
  struct Request {
    std::vector<uint64_t> keys;
    uint32_t missing = 0;
  };
  void grant_next(uint64_t key);

  Granted on_granted_;
  std::unordered_map<uint64_t, KeyState> keys_;
  std::unordered_map<uint64_t, Request> requests_;
};

// Remembers, per key, the last transaction that changed it; a transaction that touches a
// key whose last writer has not finished its workflow has seen partial state (an
// exposure, which only locking prevents).
class ExposureTracker {
 public:
  // Records that txn touches key (and, if `write`, is now its last writer); returns true
  // iff that is an exposure.
  bool touch(const World& w, uint64_t txn, uint64_t key, bool write);

 private:
  std::unordered_map<uint64_t, uint64_t> last_writer_;
};

}  // namespace models
