#include "models/trace.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "models/grow.hpp"
#include "models/workflow.hpp"
#include "models/world.hpp"

namespace models {

TraceRecorder::TraceRecorder(TraceSink& sink, TxnFilter filter)
    : sink_(sink), filter_(std::move(filter)) {
  std::sort(filter_.ids.begin(), filter_.ids.end());
}

bool TraceRecorder::follows(uint64_t seed, uint64_t replication, uint64_t txn) const {
  if (std::binary_search(filter_.ids.begin(), filter_.ids.end(), txn)) return true;
  if (filter_.sample >= 1) return true;
  return filter_.sample > 0 && hashed_uniform(seed, replication, txn, 0, kTraceSample) < filter_.sample;
}

bool TraceRecorder::follows(uint64_t txn) const {
  return follows(w_->config().seed, w_->replication(), txn);
}

sim::Time TraceRecorder::now() const { return w_->sim().now(); }

void TraceRecorder::attach(World& w) {
  w_ = &w;
  next_id_ = 1;
  in_flight_.clear();
  running_.clear();
  queued_.clear();
  w.sim().set_observer(this);
  sink_.begin_run(w);
  // Partitions are windows of the scenario: shown whole, at the start.
  for (const FaultConfig& f : w.config().faults) {
    if (f.kind == FaultConfig::Kind::kCrash) continue;
    TraceEvent e;
    e.kind = TraceEvent::Kind::kPartition;
    e.start = f.at;
    e.end = sim::Time::saturating_add(f.at, f.duration);
    if (f.kind == FaultConfig::Kind::kPartition) {
      std::vector<std::string> groups;
      for (const auto& g : f.groups) groups.push_back(fmt::format("{}", fmt::join(g, ", ")));
      e.what = fmt::format("partition [{}]", fmt::join(groups, "] | ["));
    } else {
      e.what = fmt::format("one-way cut {} -> {}", fmt::join(f.from, ", "), fmt::join(f.to, ", "));
    }
    sink_.event(w, e);
  }
}

void TraceRecorder::finish(World& w) {
  sink_.end_run(w);
  w.sim().set_observer(nullptr);
  w_ = nullptr;
}

TraceEvent TraceRecorder::message(const sim::Message& m, const InFlight& f) const {
  TraceEvent e;
  e.kind = TraceEvent::Kind::kMessage;
  e.start = f.sent;
  e.end = now();
  e.node = m.src;
  e.peer = m.dst;
  e.has_txn = true;
  e.txn = m.txn;
  e.step = m.step;
  e.attempt = m.attempt;
  e.id = f.id;
  e.duplicate = f.duplicate;
  e.what = message_text(*w_->pattern().info, m);
  return e;
}

void TraceRecorder::on_send(sim::NodeId, const sim::Message& m, uint32_t slot) {
  if (!follows(m.txn)) return;
  if (slot == kNoSlot) return;  // dropped at once: on_drop reports it
  grow_to(in_flight_, slot);
  in_flight_[slot] = InFlight{true, next_id_++, now(), false};
}

void TraceRecorder::on_duplicate(const sim::Message&, uint32_t slot, uint32_t copy_slot) {
  if (slot >= in_flight_.size() || !in_flight_[slot].live) return;
  const InFlight original = in_flight_[slot];
  grow_to(in_flight_, copy_slot);
  in_flight_[copy_slot] = InFlight{true, next_id_++, original.sent, true};
}

void TraceRecorder::on_deliver(const sim::Message& m, uint32_t slot) {
  if (slot >= in_flight_.size() || !in_flight_[slot].live) return;
  InFlight& f = in_flight_[slot];
  f.live = false;
  TraceEvent e = message(m, f);
  // A node that is down drops what reaches it (it then reports kNodeDown, without a slot).
  if (!w_->node(m.dst).up()) {
    e.delivered = false;
    e.drop = sim::Drop::kNodeDown;
  }
  sink_.event(*w_, e);
}

void TraceRecorder::on_drop(const sim::Message& m, uint32_t slot, sim::Drop why) {
  if (why == sim::Drop::kNodeDown) return;  // reported by on_deliver
  InFlight at_send{true, 0, now(), false};
  if (slot != kNoSlot) {
    if (slot >= in_flight_.size() || !in_flight_[slot].live) return;
    at_send = in_flight_[slot];
    in_flight_[slot].live = false;
  } else {
    if (!follows(m.txn)) return;
    at_send.id = next_id_++;
  }
  TraceEvent e = message(m, at_send);
  e.delivered = false;
  e.drop = why;
  sink_.event(*w_, e);
}

bool TraceRecorder::about(const sim::Job& job, TraceEvent& e) const {
  if (job.subject == sim::Job::kNoSubject) return false;
  const Token t = Token::unpack(job.subject);
  if (!follows(t.txn)) return false;
  e.has_txn = true;
  e.txn = t.txn;
  e.step = t.step;
  return true;
}

void TraceRecorder::on_job_queued(sim::NodeId node, const sim::Job& job) {
  TraceEvent e;
  if (about(job, e)) queued_[{node, job.token}] = now();
}

void TraceRecorder::on_job_start(sim::NodeId node, const sim::Job& job, uint32_t worker) {
  TraceEvent e;
  if (!about(job, e)) return;
  running_[{node, worker}] = now();
  const auto q = queued_.find({node, job.token});
  if (q == queued_.end()) return;
  e.kind = TraceEvent::Kind::kQueued;
  e.start = q->second;
  e.end = now();
  e.node = node;
  e.what = w_->node(node).config().ops[job.op].name;
  queued_.erase(q);
  sink_.event(*w_, e);
}

void TraceRecorder::on_job_end(sim::NodeId node, const sim::Job& job, uint32_t worker) {
  const auto r = running_.find({node, worker});
  if (r == running_.end()) return;
  TraceEvent e;
  about(job, e);
  e.kind = TraceEvent::Kind::kJob;
  e.start = r->second;
  e.end = now();
  e.node = node;
  e.worker = worker;
  e.what = w_->node(node).config().ops[job.op].name;
  running_.erase(r);
  sink_.event(*w_, e);
}

void TraceRecorder::on_job_lost(sim::NodeId node, const sim::Job& job, bool rejected) {
  TraceEvent e;
  if (!about(job, e)) return;
  queued_.erase({node, job.token});
  e.kind = TraceEvent::Kind::kJobLost;
  e.start = e.end = now();
  e.node = node;
  const std::string& op = w_->node(node).config().ops[job.op].name;
  e.what = rejected ? fmt::format("{} rejected ({})", op, w_->node(node).up() ? "queue full" : "node down")
                    : fmt::format("{} lost in the crash", op);
  sink_.event(*w_, e);
}

void TraceRecorder::instant(TraceEvent::Kind kind, sim::NodeId node, std::string what,
                            std::optional<uint64_t> txn, uint32_t step) {
  TraceEvent e;
  e.kind = kind;
  e.start = e.end = now();
  e.node = node;
  e.has_txn = txn.has_value();
  e.txn = txn.value_or(0);
  e.step = step;
  e.what = std::move(what);
  sink_.event(*w_, e);
}

void TraceRecorder::on_crash(sim::NodeId node) {
  // The crash frees every worker: what ran there ends without a span (on_job_lost says so).
  std::erase_if(running_, [node](const auto& r) { return r.first.first == node; });
  instant(TraceEvent::Kind::kCrash, node, "crash");
}
void TraceRecorder::on_recover(sim::NodeId node) {
  instant(TraceEvent::Kind::kRecover, node, "recovery");
}

void TraceRecorder::on_log_force(sim::NodeId node, uint64_t txn, const char* record) {
  if (follows(txn)) instant(TraceEvent::Kind::kForce, node, record, txn);
}

void TraceRecorder::on_mark(sim::NodeId node, uint64_t txn, uint32_t step, const char* what) {
  if (follows(txn)) instant(TraceEvent::Kind::kMark, node, what, txn, step);
}

}  // namespace models
