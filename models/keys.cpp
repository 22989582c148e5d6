#include "models/keys.hpp"

#include <algorithm>
#include <cmath>

#include "models/world.hpp"

namespace models {

KeyChooser::KeyChooser(const KeySpace& ks) : ks_(ks) {
  if (ks_.count == 0 || ks_.zipf == 0) return;
  cdf_.resize(ks_.count);
  double sum = 0;
  for (uint64_t i = 0; i < ks_.count; ++i) {
    sum += 1.0 / std::pow(static_cast<double>(i + 1), ks_.zipf);
    cdf_[i] = sum;
  }
  for (double& c : cdf_) c /= sum;
}

uint64_t KeyChooser::key(const World& w, uint64_t txn, uint32_t step, uint32_t k) const {
  const double u = w.uniform(txn, step * 64 + k, kKeyChoice);
  if (cdf_.empty()) return std::min(ks_.count - 1, static_cast<uint64_t>(u * static_cast<double>(ks_.count)));
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  return std::min<uint64_t>(static_cast<uint64_t>(it - cdf_.begin()), ks_.count - 1);
}

bool LockTable::acquire(uint64_t txn, const std::vector<uint64_t>& keys) {
  Request& r = requests_[txn];
  r.keys = keys;
  r.missing = 0;
  for (uint64_t k : keys) {
    KeyState& ks = keys_[k];
    if (!ks.held) {
      ks.held = true;
      ks.holder = txn;
    } else if (ks.holder != txn) {
      ks.waiters.push_back(txn);
      ++r.missing;
    }
  }
  return r.missing == 0;
}

bool LockTable::holds_all(uint64_t txn) const {
  auto it = requests_.find(txn);
  return it != requests_.end() && it->second.missing == 0;
}

void LockTable::release(uint64_t txn) {
  auto it = requests_.find(txn);
  if (it == requests_.end()) return;
  const std::vector<uint64_t> keys = std::move(it->second.keys);
  requests_.erase(it);
  std::vector<uint64_t> freed;
  for (uint64_t k : keys) {
    auto kit = keys_.find(k);
    if (kit == keys_.end()) continue;
    KeyState& ks = kit->second;
    if (ks.held && ks.holder == txn) {
      ks.held = false;
      freed.push_back(k);
    } else {
      auto w = std::find(ks.waiters.begin(), ks.waiters.end(), txn);
      if (w != ks.waiters.end()) ks.waiters.erase(w);
      if (!ks.held && ks.waiters.empty()) keys_.erase(kit);
    }
  }
  for (uint64_t k : freed) grant_next(k);
}

void LockTable::grant_next(uint64_t key) {
  auto kit = keys_.find(key);
  if (kit == keys_.end()) return;
  KeyState& ks = kit->second;
  if (ks.waiters.empty()) {
    keys_.erase(kit);
    return;
  }
  const uint64_t next = ks.waiters.front();
  ks.waiters.pop_front();
  ks.held = true;
  ks.holder = next;
  auto rit = requests_.find(next);
  if (rit != requests_.end() && --rit->second.missing == 0) on_granted_(next);
}

bool ExposureTracker::touch(const World& w, uint64_t txn, uint64_t key, bool write) {
  uint64_t& last = last_writer_[key];
  const bool exposed = last != txn + 1 && last != 0 && !w.ledger_view().done(last - 1);
  if (write) last = txn + 1;  // 0 = no writer yet
  return exposed;
}

}  // namespace models
