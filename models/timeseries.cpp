#include "models/timeseries.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

#include "models/world.hpp"

namespace models {
namespace {

// The q-quantile (nearest rank) of v, in seconds; v is reordered.
double quantile_s(std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0;
  const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return static_cast<double>(v[rank - 1]) * 1e-9;
}

}  // namespace

void TimeSeriesProbe::attach(World& w) {
  first_row_ = rows_.size();
  pattern_ = name(w.pattern().label());
  last_ = sim::Time::zero();
  samples_ = 0;
  truncated_ = false;
  dead_letters_ = 0;
  arrived_.clear();
  first_arrived_ = 0;
  txn_rows_.clear();
  // Each transaction is added to its interval as its record is released (models/run.cpp
  // releases them, since keeps_records() is false), and the rest at the end.
  w.ledger().on_release([this, &l = w.ledger_view()](uint64_t, const TxnRecord& r) { add(l, r); });
  marks_.assign(w.node_count(), NodeMark{});
  for (sim::NodeId n = 0; n < w.node_count(); ++n) {
    const sim::Node& node = w.node(n);
    marks_[n] = {node.queue_gauge().integral(w.sim().now()), node.busy_gauge().integral(w.sim().now()),
                 node.up_gauge().integral(w.sim().now()), node.up_gauge().start()};
  }
}

void TimeSeriesProbe::sample(World& w) { take(w, w.sim().now()); }

void TimeSeriesProbe::take(World& w, sim::Time now) {
  if (now <= last_) return;
  if (samples_ >= kMaxIntervals) {
    truncated_ = true;
    return;
  }
  ++samples_;
  const double span = static_cast<double>((now - last_).ns());
  auto row = [&](std::string_view metric, std::string_view node, double v) {
    rows_.push_back({pattern_, last_, now, name(metric), name(node), v});
  };
  const Ledger& l = w.ledger_view();
  row("in_flight", "", static_cast<double>(l.open_now()));
  row("in_doubt", "", static_cast<double>(l.in_doubt_now()));
  // The part of the interval some partition (or one-way cut) of the scenario covers.
  double cut = 0;
  for (const FaultConfig& f : w.config().faults) {
    if (f.kind == FaultConfig::Kind::kCrash) continue;
    const sim::Time a = std::max(last_, f.at), b = std::min(now, sim::Time::saturating_add(f.at, f.duration));
    if (b > a) cut = std::max(cut, static_cast<double>((b - a).ns()) / span);
  }
  row("partitioned", "", cut);
  const uint64_t dl = l.dead_letters_so_far();
  row("dead_letters", "", static_cast<double>(dl - dead_letters_));
  dead_letters_ = dl;
  for (const World::Gauge& g : w.gauges()) row(g.name, g.node, g.read());
  for (sim::NodeId n = 1; n < w.node_count(); ++n) {  // every node but the client
    const sim::Node& node = w.node(n);
    NodeMark& m = marks_[n];
    // A gauge reset in the interval (the end of the warm-up) is read from the reset on.
    auto mean = [&](const sim::TimeWeighted& g, double then) {
      if (g.start() != m.start) {
        const double s = static_cast<double>((now - g.start()).ns());
        return s > 0 ? g.integral(now) / s : g.value();
      }
      return (g.integral(now) - then) / span;
    };
    row("up", node.name(), mean(node.up_gauge(), m.up));
    row("queue", node.name(), mean(node.queue_gauge(), m.queue));
    row("utilisation", node.name(), mean(node.busy_gauge(), m.busy) / static_cast<double>(node.config().workers));
    m = {node.queue_gauge().integral(now), node.busy_gauge().integral(now), node.up_gauge().integral(now),
         node.up_gauge().start()};
  }
  last_ = now;
}

void TimeSeriesProbe::add(const Ledger& l, const TxnRecord& r) {
  const auto k = static_cast<size_t>(r.arrival.ns() / interval_.ns());
  if (k >= kMaxIntervals) return;  // (past the last interval written: see truncated())
  SIM_ASSERT(k >= first_arrived_, "a transaction added after its interval was written");
  write_before(k, r.arrival);  // arrivals come in id order: the intervals before k are whole
  if (k - first_arrived_ >= arrived_.size()) arrived_.resize(k - first_arrived_ + 1);
  Arrived& a = arrived_[k - first_arrived_];
  ++a.arrivals;
  ++a.outcomes[static_cast<size_t>(l.classify(r))];
  if (r.answer != Answer::kNone) {
    a.acceptance.push_back((r.answered - r.arrival).ns());
    if ((r.answer == Answer::kOk || r.answer == Answer::kRejected) && r.answered - r.arrival <= l.deadline()) {
      ++a.in_time;
    }
  }
  if (r.done) a.completion.push_back((r.completed - r.arrival).ns());
}

void TimeSeriesProbe::write_before(size_t k, sim::Time now) {
  for (; first_arrived_ < k; ++first_arrived_) {
    Arrived a;
    if (!arrived_.empty()) {
      a = std::move(arrived_.front());
      arrived_.pop_front();
    }
    const sim::Time start = sim::Time::from_ns(interval_.ns() * static_cast<int64_t>(first_arrived_));
    const sim::Time end = std::min(now, sim::Time::saturating_add(start, interval_));
    auto row = [&](std::string_view metric, double v) {
      txn_rows_.push_back({pattern_, start, end, name(metric), name(""), v});
    };
    row("arrivals", static_cast<double>(a.arrivals));
    for (size_t o = 0; o < a.outcomes.size(); ++o) {
      row(outcome_name(static_cast<Outcome>(o)), static_cast<double>(a.outcomes[o]));
    }
    // Figures of no transaction are left out (no row), not written as 0.
    if (a.arrivals > 0) row("availability", static_cast<double>(a.in_time) / static_cast<double>(a.arrivals));
    if (!a.acceptance.empty()) {
      row("acceptance_p50_s", quantile_s(a.acceptance, 0.50));
      row("acceptance_p99_s", quantile_s(a.acceptance, 0.99));
    }
    if (!a.completion.empty()) {
      row("completion_p50_s", quantile_s(a.completion, 0.50));
      row("completion_p99_s", quantile_s(a.completion, 0.99));
    }
  }
}

void TimeSeriesProbe::finish(World& w) {
  take(w, w.sim().now());  // the last, partial interval
  // The transactions the ledger still holds, then the intervals not yet written (those
  // after the last sampled one, if any, are left out).
  const Ledger& l = w.ledger_view();
  for (uint64_t t = l.released_count(); t < l.size(); ++t) add(l, l.at(t));
  if (first_arrived_ < samples_) write_before(samples_, w.sim().now());
  arrived_.clear();
  rows_.insert(rows_.end(), std::make_move_iterator(txn_rows_.begin()), std::make_move_iterator(txn_rows_.end()));
  txn_rows_.clear();
  std::stable_sort(rows_.begin() + static_cast<std::ptrdiff_t>(first_row_), rows_.end(),
                   [](const SeriesRow& x, const SeriesRow& y) { return x.start < y.start; });
}

}  // namespace models
