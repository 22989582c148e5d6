// models::TxnArray<T>: a record per transaction id, kept only for the transactions the
// ledger has not yet released (Ledger::released(): every id below it is summarised and can
// no longer change). Entries live in chunks of 4096 ids; a chunk wholly below the release
// point is freed when the next chunk is made, and the index of chunks drops its released
// front as it goes, so memory follows the transactions in flight, not the length of the run.
//
// at(txn) makes the entry if absent (value `fill`); get(txn) reads it, or `fill` when it was
// never made or is released. A write to a released id goes to a scratch entry (Ledger counts
// such late touches). An array that follows no release point (the default, and every run
// that keeps its records for a trace or a time series) keeps everything.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace models {

template <typename T>
class TxnArray {
 public:
  static constexpr unsigned kShift = 12;
  static constexpr uint64_t kChunk = uint64_t{1} << kShift;

  explicit TxnArray(T fill = T{}) : fill_(fill), scratch_(fill) {}
  TxnArray(TxnArray&& o) noexcept { *this = std::move(o); }
  TxnArray& operator=(TxnArray&& o) noexcept {
    fill_ = o.fill_;
    scratch_ = o.scratch_;
    released_ = o.released_;
    first_kept_ = o.first_kept_;
    base_ = o.base_;
    chunks_ = std::move(o.chunks_);
    o.chunks_.clear();
    hot_chunk_ = std::exchange(o.hot_chunk_, kNoChunk);  // (its entries went with chunks_)
    hot_ = std::exchange(o.hot_, nullptr);
    return *this;
  }

  // From now on, chunks wholly below *released are freed (nullptr: never).
  void follow(const uint64_t* released) { released_ = released; }

  [[gnu::always_inline]] T& at(uint64_t txn) {
    if (T* e = entry(txn)) [[likely]] return *e;
    return make(txn);
  }
  [[gnu::always_inline]] const T& get(uint64_t txn) const {
    const T* e = entry(txn);
    return e != nullptr ? *e : fill_;
  }
  // The entry if it was made and is kept, else nullptr.
  T* find(uint64_t txn) { return entry(txn); }
  // Chunks held now, and the length of the index (for tests and benchmarks).
  size_t chunks_held() const {
    size_t n = 0;
    for (const auto& c : chunks_) n += c ? size_t{1} : size_t{0};
    return n;
  }
  size_t index_size() const { return chunks_.size(); }

 private:
  // The entry of txn if its chunk is held, else nullptr. The chunk used last is kept at hand
  // (hot_): the transactions in flight are recent, so nearly every access falls in it and
  // skips the index's two dependent loads. (So even get() writes: an array is read by the
  // one thread that runs its simulation.) An id below the index's first chunk wraps to a
  // huge offset: one comparison covers both ends.
  // Always inline: nearly every access takes the first line, and a call around it cost as
  // much as the line itself.
  [[gnu::always_inline]] T* entry(uint64_t txn) const {
    if ((txn >> kShift) == hot_chunk_) [[likely]] return &hot_[txn & (kChunk - 1)];
    return entry_in_index(txn);
  }
  [[gnu::noinline]] T* entry_in_index(uint64_t txn) const {
    const uint64_t i = (txn >> kShift) - base_;
    if (i >= chunks_.size() || !chunks_[i]) return nullptr;
    return &warm(txn, chunks_[i].get());
  }
  // Makes txn's chunk the hot one; returns txn's entry in it.
  T& warm(uint64_t txn, T* chunk) const {
    hot_chunk_ = txn >> kShift;
    hot_ = chunk;
    return chunk[txn & (kChunk - 1)];
  }
  [[gnu::noinline, gnu::cold]] T& make(uint64_t txn) {
    trim();
    const uint64_t c = txn >> kShift;
    if (c < first_kept_) {  // released: a late access
      scratch_ = fill_;
      return scratch_;
    }
    if (c - base_ >= chunks_.size()) chunks_.resize(static_cast<size_t>(c - base_ + 1));
    auto& chunk = chunks_[static_cast<size_t>(c - base_)];
    chunk = std::make_unique<T[]>(kChunk);
    for (uint64_t i = 0; i < kChunk; ++i) chunk[i] = fill_;
    return warm(txn, chunk.get());
  }
  // Frees the chunks wholly below the release point, and drops the index's freed front once
  // it is half the index.
  void trim() {
    if (released_ == nullptr) return;
    const uint64_t below = *released_ >> kShift;
    for (uint64_t c = first_kept_; c < below && c - base_ < chunks_.size(); ++c) chunks_[c - base_].reset();
    if (below > first_kept_) first_kept_ = below;
    if (hot_chunk_ < first_kept_) {  // (freed just now)
      hot_chunk_ = kNoChunk;
      hot_ = nullptr;
    }
    const uint64_t dead = std::min<uint64_t>(first_kept_ - base_, chunks_.size());
    if (dead >= 64 && 2 * dead >= chunks_.size()) {
      chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(dead));
      base_ += dead;
    }
  }

  T fill_;
  T scratch_;
  const uint64_t* released_ = nullptr;
  uint64_t first_kept_ = 0;  // chunks below this are released
  uint64_t base_ = 0;        // the chunk chunks_[0] holds
  std::vector<std::unique_ptr<T[]>> chunks_;
  // The chunk accessed last (its number and entries), or kNoChunk. A chunk's entries do not
  // move when the index does, nor when the array is moved.
  static constexpr uint64_t kNoChunk = ~uint64_t{0};
  mutable uint64_t hot_chunk_ = kNoChunk;
  mutable T* hot_ = nullptr;
};

}  // namespace models
