// The choreographed engine (see choreography.hpp for the protocol): an Entry on the entry
// service, a Service on every other service, a Broker on the broker node, and a Tracker
// on the simulator's side that observes when each transaction is over.
#include "models/choreography.hpp"

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/broker.hpp"
#include "models/entry.hpp"
#include "models/grow.hpp"
#include "models/messages.hpp"
#include "models/step_store.hpp"
#include "models/token.hpp"
#include "models/world.hpp"

namespace models {
namespace {

constexpr uint32_t kStartTopic = 0;

// The topic map of a workflow.
struct Topics {
  uint32_t n;
  uint32_t done(uint32_t step) const { return 1 + step; }
  uint32_t failed(uint32_t step) const { return 1 + n + step; }
  bool is_failed(uint32_t topic) const { return topic > n; }
  uint32_t step_of(uint32_t topic) const { return is_failed(topic) ? topic - 1 - n : topic - 1; }
};

// Simulator-side bookkeeping of where each transaction stands, to know when it is complete
// (no node of a choreography knows that).
class Tracker {
 public:
  Tracker(World& w, bool saga) : w_(w), saga_(saga) {
    const auto& wf = w.workflow();
    for (const auto& stage : wf.stages()) {
      uint32_t mask = 0;
      for (uint32_t s : stage) mask |= 1u << s;
      stage_masks_.push_back(mask);
    }
    all_ = wf.steps().size() == 32 ? ~0u : (1u << wf.steps().size()) - 1;
  }
  uint32_t stage_mask(uint32_t k) const { return stage_masks_[k]; }
  // Steps that compensate when `failed` fails: the compensable steps of its stage and
  // earlier ones (none after the pivot: nothing is undone past it).
  uint32_t compensators(uint32_t failed) const {
    const Workflow& wf = w_.workflow();
    if (!saga_ || wf.steps()[failed].role == SagaRole::kAfterPivot) return 0;
    uint32_t m = 0;
    for (const Step& s : wf.steps()) {
      if (s.index != failed && s.compensable() && wf.stage_of(s.index) <= wf.stage_of(failed)) {
        m |= 1u << s.index;
      }
    }
    return m;
  }

  void started(uint64_t txn) {
    T& t = at(txn);
    if (t.started) return;
    t.started = true;
    t.expected |= stage_masks_.empty() ? 0 : stage_masks_[0];
    check(txn);
  }
  void step_done(uint64_t txn, uint32_t step) {
    T& t = at(txn);
    t.finished |= 1u << step;
    t.ok |= 1u << step;
    const uint32_t k = w_.workflow().stage_of(step);
    if ((t.ok & stage_masks_[k]) == stage_masks_[k] && k + 1 < stage_masks_.size()) {
      t.expected |= stage_masks_[k + 1];
    }
    check(txn);
  }
  void step_failed(uint64_t txn, uint32_t step) {
    T& t = at(txn);
    t.finished |= 1u << step;
    t.failed |= 1u << step;
    t.comp_expected |= compensators(step);
    check(txn);
  }
  void step_refused(uint64_t txn, uint32_t step) {
    at(txn).finished |= 1u << step;
    check(txn);
  }
  void compensation_handled(uint64_t txn, uint32_t step) {
    at(txn).comp_handled |= 1u << step;
    check(txn);
  }

 private:
  struct T {
    uint32_t expected = 0, finished = 0, ok = 0, failed = 0, comp_expected = 0, comp_handled = 0;
    bool started = false;
  };
  T& at(uint64_t txn) {
    grow_to(t_, txn);
    return t_[txn];
  }
  void check(uint64_t txn) {
    const T& t = t_[txn];
    if (!t.started || (t.expected & ~t.finished) != 0) return;
    if ((t.comp_expected & ~t.comp_handled) != 0) return;
    if (t.ok == all_ || t.failed != 0) w_.ledger().complete(txn, w_.sim().now());
  }

  World& w_;
  bool saga_;
  std::vector<uint32_t> stage_masks_;
  uint32_t all_ = 0;
  std::vector<T> t_;
};

// Publishes events with retries until the broker acknowledges them. Volatile.
class Publisher {
 public:
  struct Pending {
    bool live = false;
    uint32_t gen = 0;
    uint64_t txn = 0;
    uint32_t topic = 0;
    uint64_t then = 0;  // the delivery to acknowledge once published (0: none)
    sim::TimerId timer;
  };
  explicit Publisher(World& w) : w_(w) {}

  void publish(sim::Node& self, uint64_t txn, uint32_t topic, uint64_t then) {
    uint32_t slot = 0;
    if (free_.empty()) {
      pending_.emplace_back();
      slot = static_cast<uint32_t>(pending_.size() - 1);
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    Pending& p = pending_[slot];
    p.live = true;
    ++p.gen;
    p.txn = txn;
    p.topic = topic;
    p.then = then;
    send(self, slot);
  }
  // The publish this acknowledgement is for, or nullptr (stale or duplicate ack).
  Pending* acked(sim::Node& self, const sim::Message& ack) {
    const auto slot = static_cast<uint32_t>(ack.ref & 0xffff'ffffu);
    if (slot >= pending_.size()) return nullptr;
    Pending& p = pending_[slot];
    if (!p.live || p.gen != static_cast<uint32_t>(ack.ref >> 32)) return nullptr;
    self.cancel_timer(p.timer);
    p.live = false;
    free_.push_back(slot);
    return &p;
  }
  // A publish timer fired: publish again.
  void timed_out(sim::Node& self, uint64_t ref) {
    const auto slot = static_cast<uint32_t>(ref & 0xffff'ffffu);
    if (slot >= pending_.size() || !pending_[slot].live ||
        pending_[slot].gen != static_cast<uint32_t>(ref >> 32)) {
      return;
    }
    w_.ledger().retry(pending_[slot].txn);
    send(self, slot);
  }
  void clear() {
    pending_.clear();
    free_.clear();
  }

 private:
  void send(sim::Node& self, uint32_t slot) {
    Pending& p = pending_[slot];
    sim::Message m;
    m.type = kPublish;
    m.dst = w_.broker();
    m.txn = p.txn;
    m.value = p.topic;
    m.ref = (uint64_t{p.gen} << 32) | slot;
    w_.send_broker(self, m);
    p.timer = self.set_timer(w_.config().timeouts.call, m.ref);
  }

  World& w_;
  std::vector<Pending> pending_;
  std::vector<uint32_t> free_;
};

// The entry service: serves the request, publishes "start", answers the client.
class Entry final : public EntryService {
 public:
  Entry(World& w, Tracker& t) : EntryService(w), tracker_(t), pub_(w) {}
  void on_message(sim::Node& self, const sim::Message& m) override {
    if (m.type == kRequest) {
      accept(self, m);
    } else if (m.type == kPublishAck) {
      // Answered once: a publish is acknowledged once (its slot is freed on the first ack).
      if (Publisher::Pending* p = pub_.acked(self, m)) {
        tracker_.started(p->txn);
        answer(self, p->txn, Answer::kOk);
      }
    }
  }
  void on_timer(sim::Node& self, uint64_t ref) override { pub_.timed_out(self, ref); }
  void on_crash(sim::Node&) override { pub_.clear(); }

 protected:
  // The request is served: publish the first event (the worker, if any, is not kept:
  // the entry does not wait for the workflow).
  void begin(sim::Node& self, uint64_t txn, int32_t worker) override {
    if (worker >= 0) self.release(static_cast<uint32_t>(worker));
    pub_.publish(self, txn, kStartTopic, 0);
  }

 private:
  Tracker& tracker_;
  Publisher pub_;
};

// Token kinds of a service's durable keys.
enum ServiceKind : uint32_t { kSeen = 1, kJoin = 2, kCompensating = 3 };

// A service with one or more steps.
class Service final : public sim::Behavior {
 public:
  Service(World& w, sim::NodeId self, Tracker& t, Topics topics, bool saga)
      : w_(w), tracker_(t), topics_(topics), saga_(saga), pub_(w), store_(w, self) {}

  void on_message(sim::Node& self, const sim::Message& m) override {
    if (m.type == kPublishAck) {
      if (Publisher::Pending* p = pub_.acked(self, m)) published(self, *p);
      return;
    }
    if (m.type == kDeadLettered) {
      dead_lettered(self, m);
      return;
    }
    if (m.type != kDeliver) return;
    const auto topic = static_cast<uint32_t>(m.value);
    if (!seen_.insert(pack(m.txn, m.step, kSeen, topic)).second) w_.ledger().duplicate_delivery();
    if (topics_.is_failed(topic)) {
      compensate(self, m);
    } else {
      forward(self, m, topic);
    }
  }

  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t) override {
    const sim::Message m = work_[job.token];
    free_.push_back(static_cast<uint32_t>(job.token));
    const Step& step = w_.workflow().steps()[m.step];
    if (topics_.is_failed(static_cast<uint32_t>(m.value))) {  // a compensation finished
      compensating_.erase(pack(m.txn, m.step, kCompensating));
      w_.ledger().compensation(m.txn);
      store_.compensate(m.txn, step, self.now());
      tracker_.compensation_handled(m.txn, m.step);
      ack(self, m.txn, m.ref);
      return;
    }
    switch (store_.execute(m.txn, step, m.attempt, self.now())) {
      case StepResult::kTombstoned:  // compensated or given up while it waited: refused
        tracker_.step_refused(m.txn, m.step);
        ack(self, m.txn, m.ref);
        return;
      case StepResult::kError:
        return;  // not acknowledged: the broker delivers it again
      case StepResult::kRefused:
        refused(self, m.txn, step, m.ref);
        return;
      case StepResult::kDone:
        tracker_.step_done(m.txn, m.step);
        pub_.publish(self, m.txn, topics_.done(m.step), m.ref);
        return;
    }
  }

  void on_timer(sim::Node& self, uint64_t ref) override { pub_.timed_out(self, ref); }
  void on_crash(sim::Node&) override {
    pub_.clear();
    work_.clear();
    free_.clear();
    compensating_.clear();
    store_.crash();
  }

 private:
  // A delivery of one of the step's inputs ("start" or a "done" of the stage before).
  void forward(sim::Node& self, const sim::Message& m, uint32_t topic) {
    const uint32_t k = w_.workflow().stage_of(m.step);
    if (k > 0 && topic != kStartTopic) {  // a join: every "done" of the stage before
      const uint32_t need = tracker_.stage_mask(k - 1);
      uint32_t& have = joins_[pack(m.txn, m.step, kJoin)];
      have |= 1u << topics_.step_of(topic);
      if ((have & need) != need) {
        ack(self, m.txn, m.ref);
        return;
      }
    }
    if (store_.tombstoned(m.txn, m.step)) {  // compensated before it ran: refuse it
      tracker_.step_refused(m.txn, m.step);
      ack(self, m.txn, m.ref);
      return;
    }
    if (const auto r = store_.recorded(m.txn, m.step)) {  // the inbox: it ran already
      republish(self, m.txn, m.step, *r, m.ref);
      return;
    }
    // The inbox: running now. Not acknowledged: an acknowledgement is of the message, not of
    // this copy, and the run under way may still fail and need the broker to deliver again.
    if (!store_.start(m.txn, m.step)) return;
    self.submit(w_.workflow().steps()[m.step].action_op, stash(m));
  }

  // The step refused (a business failure). After a saga's pivot only a step without side
  // effect can refuse, and past the point of no return that changes nothing: it counts
  // as done.
  void refused(sim::Node& self, uint64_t txn, const Step& step, uint64_t ref) {
    if (saga_ && step.role == SagaRole::kAfterPivot) {
      tracker_.step_done(txn, step.index);
      pub_.publish(self, txn, topics_.done(step.index), ref);
      return;
    }
    w_.ledger().refuse(txn);
    w_.ledger().decide(txn, Decision::kAbort);
    tracker_.step_failed(txn, step.index);
    pub_.publish(self, txn, topics_.failed(step.index), ref);
  }

  // Publishes the recorded outcome of a step that ran, unless it was published already
  // (the outbox mark), then acknowledges `ref`.
  void republish(sim::Node& self, uint64_t txn, uint32_t s, StepResult r, uint64_t ref) {
    if (published_of(txn) & (1u << s)) {
      ack(self, txn, ref);
      return;
    }
    const Step& step = w_.workflow().steps()[s];
    const bool done = r == StepResult::kDone || (saga_ && step.role == SagaRole::kAfterPivot);
    pub_.publish(self, txn, done ? topics_.done(s) : topics_.failed(s), ref);
  }

  // An event this service produced is published: mark it (the outbox) and acknowledge the
  // delivery that caused it.
  void published(sim::Node& self, const Publisher::Pending& p) {
    grow_to(published_, p.txn);
    published_[p.txn] |= 1u << topics_.step_of(p.topic);
    if (p.then != 0) ack(self, p.txn, p.then);
  }

  // The broker gave up delivering an input of this service's step (saga mode, before the
  // pivot): decide from the durable record what the rest of the saga must hear.
  void dead_lettered(sim::Node& self, const sim::Message& m) {
    if (const auto r = store_.outcome(m.txn, m.step)) {
      republish(self, m.txn, m.step, *r, m.ref);
      return;
    }
    store_.tombstone(m.txn, m.step);  // it will never run: refuse it if it still comes
    w_.ledger().decide(m.txn, Decision::kAbort);
    tracker_.step_failed(m.txn, m.step);
    pub_.publish(self, m.txn, topics_.failed(m.step), m.ref);
  }

  // A "failed" event for a step this one must compensate.
  void compensate(sim::Node& self, const sim::Message& m) {
    store_.tombstone(m.txn, m.step);  // from now on a late original of this step is refused
    if (store_.applied(m.txn, m.step)) {
      // A copy that comes while the compensation runs is dropped, unacknowledged: the run
      // acknowledges the message when it is done (or, lost in a crash, the broker delivers
      // it again).
      if (!compensating_.insert(pack(m.txn, m.step, kCompensating)).second) return;
      self.submit(*w_.workflow().steps()[m.step].compensate_op, stash(m));
      return;
    }
    tracker_.compensation_handled(m.txn, m.step);
    ack(self, m.txn, m.ref);
  }

  uint32_t published_of(uint64_t txn) const {
    return txn < published_.size() ? published_[txn] : 0;
  }
  uint32_t stash(const sim::Message& m) {
    if (free_.empty()) {
      work_.push_back(m);
      return static_cast<uint32_t>(work_.size() - 1);
    }
    const uint32_t s = free_.back();
    free_.pop_back();
    work_[s] = m;
    return s;
  }
  void ack(sim::Node& self, uint64_t txn, uint64_t ref) {
    sim::Message a;
    a.type = kDeliverAck;
    a.dst = w_.broker();
    a.txn = txn;
    a.ref = ref;
    w_.send_broker(self, a);
  }

  World& w_;
  Tracker& tracker_;
  Topics topics_;
  bool saga_;
  Publisher pub_;
  StepStore store_;                 // durable (but for what is executing)
  std::vector<sim::Message> work_;  // volatile
  std::vector<uint32_t> free_;
  std::vector<uint32_t> published_;               // durable (the outbox): per txn, by step
  std::unordered_map<uint64_t, uint32_t> joins_;  // durable: inputs received
  std::unordered_set<uint64_t> seen_;             // durable: deliveries received
  std::unordered_set<uint64_t> compensating_;     // volatile: compensations running
};

class Choreographed final : public Pattern {
 public:
  explicit Choreographed(bool saga) : saga_(saga) {}
  void install(World& w) override {
    SIM_ASSERT(w.has_broker(), "a choreographed pattern needs a broker");
    tracker_ = std::make_unique<Tracker>(w, saga_);
    const auto& wf = w.workflow();
    const Topics topics{static_cast<uint32_t>(wf.steps().size())};
    const uint32_t limit = w.config().broker.max_attempts;
    std::vector<Subscription> subs;
    for (const Step& s : wf.steps()) {
      // A saga's retriable step is delivered until it succeeds; a delivery given up before
      // the pivot is announced to its subscriber.
      const bool retriable = saga_ && s.role == SagaRole::kAfterPivot;
      Subscription sub{kStartTopic, s.service, s.index, retriable ? 0 : limit, saga_ && !retriable};
      const uint32_t k = wf.stage_of(s.index);
      if (k == 0) {
        subs.push_back(sub);
        continue;
      }
      for (uint32_t prev : wf.stages()[k - 1]) {
        sub.topic = topics.done(prev);
        subs.push_back(sub);
      }
    }
    for (const Step& failed : wf.steps()) {
      const uint32_t comps = tracker_->compensators(failed.index);
      for (const Step& s : wf.steps()) {
        if (comps & (1u << s.index)) {
          subs.push_back({topics.failed(failed.index), s.service, s.index,
                          w.config().retry.compensation_attempts, false});
        }
      }
    }
    // A compensation given up leaves its effect: the transaction can still end.
    Tracker* tracker = tracker_.get();
    auto given_up = [tracker, topics](uint64_t txn, const Subscription& sub) {
      if (topics.is_failed(sub.topic)) tracker->compensation_handled(txn, sub.step);
    };
    behaviors_.push_back(std::make_unique<Broker>(w, std::move(subs), given_up));
    w.node(w.broker()).set_behavior(behaviors_.back().get());
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      if (!w.is_service(id)) continue;
      if (id == wf.entry()) {
        behaviors_.push_back(std::make_unique<Entry>(w, *tracker_));
      } else {
        behaviors_.push_back(std::make_unique<Service>(w, id, *tracker_, topics, saga_));
      }
      w.node(id).set_behavior(behaviors_.back().get());
    }
  }

 private:
  bool saga_;
  std::unique_ptr<Tracker> tracker_;
  std::vector<std::unique_ptr<sim::Behavior>> behaviors_;
};

}  // namespace

std::unique_ptr<Pattern> make_choreographed(bool saga) {
  return std::make_unique<Choreographed>(saga);
}

const PatternInfo kChoreographyPattern{
    "choreography",
    "services react to each other's events through the broker; nothing is undone on failure",
    [](Transport) { return make_choreographed(false); },
    1u << static_cast<unsigned>(Transport::kBroker),
    Transport::kBroker,
    /*saga=*/false,
    /*atomic=*/false,
    /*may_block=*/false};

}  // namespace models
