// models::TimeSeries: a run seen interval by interval (coordsim run --timeseries), in tidy
// long form: one value per (interval, metric, node).
//
// Two kinds of figures:
//  - Of the transactions that arrived in the interval (classified at the end of the run,
//    with their final outcome): arrivals, committed, aborted, failed, blocked, violated,
//    availability (answered within the deadline / arrivals), acceptance and completion
//    p50 and p99 (seconds).
//  - Of the system during the interval, sampled at its end without adding any event (the
//    run is the same with and without): in_flight (transactions not finished), in_doubt
//    (participants), dead_letters (in the interval), partitioned (the part of the interval
//    a partition of the scenario covers); per node (each replica, the broker):
//    up (the fraction of the interval it was up), queue (mean length), utilisation (mean
//    busy workers / workers); and the gauges the pattern offers (World::add_gauge), read at
//    the interval's end: locks_held per service and in_doubt per participant under 2PC,
//    the broker's backlog (messages stored and not yet acknowledged).
// Every transaction is counted, warm-up included: a timeline shows the whole run.
//
// Memory: a transaction is added to its interval when the ledger releases its record (or at
// the end of the run), and an interval's figures are written once every transaction that
// arrived in it has been added (records are released in id order, so in arrival order).
// Only the intervals with transactions in flight hold their latencies: a time series of a
// long soak run needs no more memory than the run itself, besides its rows.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "models/ledger.hpp"
#include "models/run.hpp"
#include "sim/time.hpp"

namespace models {

// The names are views of the probe's own copies (one per distinct name, so that a long
// series costs 72 bytes a row): valid while the probe lives.
struct SeriesRow {
  std::string_view pattern;  // the run's pattern label
  sim::Time start, end;      // the interval
  std::string_view metric;
  std::string_view node;  // "" for a figure of the whole system
  double value = 0;
};

class TimeSeriesProbe final : public RunProbe {
 public:
  static constexpr size_t kMaxIntervals = 100'000;
  explicit TimeSeriesProbe(sim::Time interval) : interval_(interval) {}

  void attach(World& w) override;
  void finish(World& w) override;
  sim::Time sample_every() const override { return interval_; }
  void sample(World& w) override;
  bool keeps_records() const override { return false; }

  // The rows of every run so far, run by run (one run per pattern).
  const std::vector<SeriesRow>& rows() const { return rows_; }
  // True iff the run had more than kMaxIntervals intervals (the later ones are left out).
  bool truncated() const { return truncated_; }

 private:
  struct NodeMark {
    double queue = 0, busy = 0, up = 0;  // the gauges' integrals at the last sample
    sim::Time start;                     // the gauges' start then (a warm-up resets them)
  };
  // The transactions that arrived in one interval, so far.
  struct Arrived {
    uint64_t arrivals = 0, in_time = 0;
    std::array<uint64_t, kOutcomeCount> outcomes{};
    std::vector<int64_t> acceptance, completion;  // ns
  };
  void take(World& w, sim::Time now);
  // The probe's copy of a name, for rows to point at.
  std::string_view name(std::string_view s) { return *names_.emplace(s).first; }
  // Adds a transaction's final record to the interval it arrived in.
  void add(const Ledger& l, const TxnRecord& r);
  // Writes the transaction figures of every interval before `k` not yet written.
  void write_before(size_t k, sim::Time now);

  sim::Time interval_;
  sim::Time last_;
  std::vector<NodeMark> marks_;
  uint64_t dead_letters_ = 0;
  size_t samples_ = 0;
  bool truncated_ = false;
  std::vector<SeriesRow> rows_;
  std::deque<Arrived> arrived_;  // intervals first_arrived_, first_arrived_ + 1, ...
  size_t first_arrived_ = 0;
  std::vector<SeriesRow> txn_rows_;  // the transaction figures written so far (this run)
  size_t first_row_ = 0;  // of the current run
  std::string_view pattern_;
  std::unordered_set<std::string> names_;  // every name a row points at (node-based: stable)
};

}  // namespace models
