// models::TxnArray<T>: a record per transaction id, kept only for the transactions the
// ledger has not yet released (Ledger::released(): every id below it is summarised and can
// no longer change). Entries live in chunks of 4096 ids; a chunk wholly below the release
// point is freed when the next chunk is made, so memory follows the transactions in flight,
// not the length of the run. The index of chunk pointers costs 2 bytes per 1000 ids.
//
// at(txn) makes the entry if absent (value `fill`); get(txn) reads it, or `fill` when it was
// never made or is released. An array that follows no release point (the default, and every
// run that keeps its records for a trace or a time series) keeps everything.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace models {

template <typename T>
class TxnArray {
 public:
  static constexpr unsigned kShift = 12;
  static constexpr uint64_t kChunk = uint64_t{1} << kShift;

  explicit TxnArray(T fill = T{}) : fill_(fill) {}
  TxnArray(TxnArray&&) noexcept = default;
  TxnArray& operator=(TxnArray&&) noexcept = default;

  // From now on, chunks wholly below *released are freed (nullptr: never).
  void follow(const uint64_t* released) { released_ = released; }

  T& at(uint64_t txn) {
    const size_t c = static_cast<size_t>(txn >> kShift);
    if (c >= chunks_.size() || !chunks_[c]) [[unlikely]] make(c);
    return chunks_[c][txn & (kChunk - 1)];
  }
  const T& get(uint64_t txn) const {
    const size_t c = static_cast<size_t>(txn >> kShift);
    if (c >= chunks_.size() || !chunks_[c]) return fill_;
    return chunks_[c][txn & (kChunk - 1)];
  }
  // The entry if it was made and is kept, else nullptr.
  T* find(uint64_t txn) {
    const size_t c = static_cast<size_t>(txn >> kShift);
    if (c >= chunks_.size() || !chunks_[c]) return nullptr;
    return &chunks_[c][txn & (kChunk - 1)];
  }
  // Chunks held now (for tests and benchmarks).
  size_t chunks_held() const {
    size_t n = 0;
    for (const auto& c : chunks_) n += c ? 1 : 0;
    return n;
  }

 private:
  void make(size_t c) {
    trim();
    if (c >= chunks_.size()) chunks_.resize(c + 1);
    if (c < first_kept_) late_.push_back(c);
    chunks_[c] = std::make_unique<T[]>(kChunk);
    for (uint64_t i = 0; i < kChunk; ++i) chunks_[c][i] = fill_;
  }
  // Frees the chunks wholly below the release point (and a chunk made again below it for a
  // late access: Ledger counts those).
  void trim() {
    if (released_ == nullptr) return;
    const size_t below = static_cast<size_t>(*released_ >> kShift);
    for (size_t c = first_kept_; c < below && c < chunks_.size(); ++c) chunks_[c].reset();
    if (below > first_kept_) first_kept_ = below;
    for (size_t c : late_) chunks_[c].reset();
    late_.clear();
  }

  T fill_;
  const uint64_t* released_ = nullptr;
  size_t first_kept_ = 0;
  std::vector<size_t> late_;  // chunks made again below first_kept_
  std::vector<std::unique_ptr<T[]>> chunks_;
};

}  // namespace models
