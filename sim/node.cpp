#include "sim/node.hpp"

#include <algorithm>

#include "sim/observer.hpp"

namespace sim {

Node::Node(Simulation& sim, Network& net, NodeId id, NodeConfig config, uint64_t seed,
           uint64_t replication)
    : sim_(sim),
      net_(net),
      id_(id),
      self_(sim.add_handler(this)),
      config_(std::move(config)),
      workers_(config_.workers) {
  SIM_ASSERT(config_.workers > 0, "a node needs at least one worker");
  for (const OpConfig& op : config_.ops) {
    Rng stream(seed, "node/" + config_.name + "/op/" + op.name, replication);
    service_.emplace_back(op.service, std::move(stream), /*ahead=*/true);
  }
  for (uint32_t w = config_.workers; w-- > 0;) free_workers_.push_back(w);
  up_gauge_.set(sim_.now(), 1.0);
  net_.attach(id_, this);
}

std::optional<uint32_t> Node::op_id(std::string_view name) const {
  for (size_t i = 0; i < config_.ops.size(); ++i) {
    if (config_.ops[i].name == name) return static_cast<uint32_t>(i);
  }
  return std::nullopt;
}

inline void Node::set_busy(int delta) {
  busy_ = static_cast<uint32_t>(static_cast<int>(busy_) + delta);
  busy_gauge_.set(sim_.now(), busy_);
}

bool Node::submit(uint32_t op, uint64_t token, uint64_t subject) {
  SIM_ASSERT(op < config_.ops.size(), "submit() of an unknown operation");
  ++counters_.submitted;
  const Job job{op, token, subject};
  Observer* const obs = sim_.observer();
  if (!up()) {
    ++counters_.rejected;
    if (obs != nullptr) [[unlikely]] obs->on_job_lost(id_, job, true);
    return false;
  }
  if (!free_workers_.empty()) {
    const uint32_t w = free_workers_.back();
    free_workers_.pop_back();
    set_busy(+1);
    start(w, job);
    return true;
  }
  if (config_.queue_capacity && queue_.size() >= *config_.queue_capacity) {
    ++counters_.rejected;
    if (obs != nullptr) [[unlikely]] obs->on_job_lost(id_, job, true);
    return false;
  }
  if (queue_.full()) [[unlikely]] queue_.set_capacity(std::max<size_t>(16, 2 * queue_.capacity()));
  queue_.push_back(job);
  queue_len_.set(sim_.now(), static_cast<double>(queue_.size()));
  if (obs != nullptr) [[unlikely]] obs->on_job_queued(id_, job);
  return true;
}

inline void Node::start(uint32_t worker, const Job& job) {
  Worker& w = workers_[worker];
  w.state = WorkerState::kServing;
  w.job = job;
  Time service = service_[job.op].take();
  if (overhead_ != nullptr) [[unlikely]] service = Time::saturating_add(service, overhead_->extra(*this, job));
  sim_.schedule_after(service, self_, kind(kJobDone), worker);
  if (Observer* obs = sim_.observer()) [[unlikely]] obs->on_job_start(id_, job, worker);
}

void Node::serve_on(uint32_t worker, uint32_t op, uint64_t token, uint64_t subject) {
  SIM_ASSERT(workers_[worker].state == WorkerState::kHeld, "serve_on() of a worker not held");
  ++counters_.submitted;
  start(worker, Job{op, token, subject});
}

void Node::hold(uint32_t worker) {
  SIM_ASSERT(holding_in_callback_ == static_cast<int32_t>(worker),
             "hold() outside on_job_done of that worker");
  hold_requested_ = true;
}

void Node::release(uint32_t worker) {
  SIM_ASSERT(workers_[worker].state == WorkerState::kHeld, "release() of a worker not held");
  start_next(worker);
}

inline void Node::start_next(uint32_t worker) {
  if (!queue_.empty()) {
    const Job next = queue_.front();
    queue_.pop_front();
    queue_len_.set(sim_.now(), static_cast<double>(queue_.size()));
    start(worker, next);
    return;
  }
  workers_[worker].state = WorkerState::kFree;
  free_workers_.push_back(worker);
  set_busy(-1);
}

inline void Node::finish(uint32_t worker) {
  Worker& w = workers_[worker];
  SIM_ASSERT(w.state == WorkerState::kServing, "completion of a worker not serving");
  ++counters_.served;
  const Job job = w.job;
  w.state = WorkerState::kHeld;  // while the behavior decides
  holding_in_callback_ = static_cast<int32_t>(worker);
  hold_requested_ = false;
  const uint32_t epoch = epoch_;
  if (Observer* obs = sim_.observer()) [[unlikely]] obs->on_job_end(id_, job, worker);
  if (overhead_ != nullptr) [[unlikely]] overhead_->done(*this, job);
  if (behavior_ != nullptr) behavior_->on_job_done(*this, job, worker);
  holding_in_callback_ = -1;
  // The behavior may have crashed its own node, or started new work on this worker.
  if (epoch != epoch_ || workers_[worker].state != WorkerState::kHeld) return;
  if (!hold_requested_) start_next(worker);
}

TimerId Node::set_timer(Time delay, uint64_t payload) {
  return sim_.timer_after(delay, self_, kind(kTimer), payload);
}

void Node::on_event(Simulation& sim, const Event& e) {
  (void)sim;
  if (!current(e.kind)) return;  // scheduled before a crash: volatile, lost
  switch (e.kind & ((1u << kEpochShift) - 1)) {
    case kJobDone:
      finish(static_cast<uint32_t>(e.payload));
      break;
    case kTimer:
      if (Observer* obs = sim_.observer()) [[unlikely]] obs->on_timer(id_, e.payload);
      if (behavior_ != nullptr) behavior_->on_timer(*this, e.payload);
      break;
    default:
      SIM_ASSERT(false, "unknown node event");
  }
}

void Node::dropped_while_down(const Message& m) {
  ++counters_.messages_dropped;
  if (Observer* obs = sim_.observer()) [[unlikely]] {
    obs->on_drop(m, Observer::kNoSlot, Drop::kNodeDown);
  }
}

void Node::crash() {
  if (down_count_++ > 0) return;  // already down
  ++counters_.crashes;
  ++epoch_;
  if (Observer* obs = sim_.observer()) [[unlikely]] {
    obs->on_crash(id_);
    for (const Job& j : queue_) obs->on_job_lost(id_, j, false);
    for (const Worker& w : workers_) {
      if (w.state == WorkerState::kServing) obs->on_job_lost(id_, w.job, false);
    }
  }
  counters_.lost_in_crash += queue_.size();
  queue_.clear();
  queue_len_.set(sim_.now(), 0);
  free_workers_.clear();
  for (uint32_t w = static_cast<uint32_t>(workers_.size()); w-- > 0;) {
    if (workers_[w].state == WorkerState::kServing) ++counters_.lost_in_crash;
    workers_[w].state = WorkerState::kFree;
    free_workers_.push_back(w);
  }
  set_busy(-static_cast<int>(busy_));
  up_gauge_.set(sim_.now(), 0.0);
  if (behavior_ != nullptr) behavior_->on_crash(*this);
}

void Node::recover() {
  SIM_ASSERT(down_count_ > 0, "recover() of a node that is up");
  if (--down_count_ > 0) return;
  up_gauge_.set(sim_.now(), 1.0);
  if (Observer* obs = sim_.observer()) [[unlikely]] obs->on_recover(id_);
  if (behavior_ != nullptr) behavior_->on_recover(*this);
}

void Node::reset_metrics() {
  counters_ = NodeCounters{};
  queue_len_.reset(sim_.now());
  busy_gauge_.reset(sim_.now());
  up_gauge_.reset(sim_.now());
}

}  // namespace sim
