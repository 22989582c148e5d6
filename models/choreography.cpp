// The choreographed engine (see choreography.hpp for the protocol): an Entry on the entry
// service's replicas, a Service on every other service's replicas, a Broker on the broker
// node, and a Tracker on the simulator's side that observes when each transaction is over.
#include "models/txn_array.hpp"
#include "models/choreography.hpp"

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/broker.hpp"
#include "models/choreography_rpc.hpp"
#include "models/entry.hpp"
#include "models/grow.hpp"
#include "models/messages.hpp"
#include "models/publisher.hpp"
#include "models/service_node.hpp"
#include "models/step_store.hpp"
#include "models/token.hpp"
#include "models/world.hpp"

namespace models {
namespace {

// The topics of every request type, side by side: type t's are base(t) + local topic, its
// local topics "start" (0), "step i done" (1 + i) and "step i failed" (1 + n + i).
class Topics {
 public:
  explicit Topics(const World& w) {
    uint32_t next = 0;
    for (const auto& wf : w.workflows()) {
      base_.push_back(next);
      steps_.push_back(static_cast<uint32_t>(wf->steps().size()));
      next += 1 + 2 * steps_.back();
    }
  }
  uint32_t start(uint32_t type) const { return base_[type]; }
  uint32_t done(uint32_t type, uint32_t step) const { return base_[type] + 1 + step; }
  uint32_t failed(uint32_t type, uint32_t step) const { return base_[type] + 1 + steps_[type] + step; }
  bool is_start(uint32_t type, uint32_t topic) const { return topic == base_[type]; }
  // A topic's number among its type's (below 1 + 2 kMaxSteps).
  uint32_t local(uint32_t type, uint32_t topic) const { return topic - base_[type]; }
  bool is_failed(uint32_t type, uint32_t topic) const { return topic > base_[type] + steps_[type]; }
  // The step a done or failed topic is about.
  uint32_t step_of(uint32_t type, uint32_t topic) const {
    const uint32_t local = topic - base_[type];
    return local > steps_[type] ? local - 1 - steps_[type] : local - 1;
  }

 private:
  std::vector<uint32_t> base_, steps_;
};

// Simulator-side bookkeeping of where each transaction stands, to know when it is complete
// (no node of a choreography knows that).
class Tracker {
 public:
  Tracker(World& w, bool saga) : w_(w), saga_(saga) {
    t_.follow(w.ledger().released());
    for (const auto& wf : w.workflows()) {
      stage_masks_.emplace_back();
      for (const auto& stage : wf->stages()) {
        uint32_t mask = 0;
        for (uint32_t s : stage) mask |= 1u << s;
        stage_masks_.back().push_back(mask);
      }
      all_.push_back(wf->awaited_mask());
    }
  }
  // The steps of stage k of a type.
  uint32_t stage_mask(uint32_t type, uint32_t k) const { return stage_masks_[type][k]; }
  // Steps that compensate when `failed` fails: the compensable steps of its stage and
  // earlier ones (none after the pivot: nothing is undone past it).
  uint32_t compensators(const Workflow& wf, uint32_t failed) const {
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
    const auto& masks = stage_masks_[w_.type_of(txn)];
    t.expected |= masks.empty() ? 0 : masks[0];
    check(txn);
  }
  void step_done(uint64_t txn, uint32_t step) {
    T& t = at(txn);
    t.finished |= 1u << step;
    t.ok |= 1u << step;
    const Workflow& wf = w_.workflow(txn);
    const auto& masks = stage_masks_[wf.type()];
    const uint32_t k = wf.stage_of(step);
    if ((t.ok & masks[k]) == masks[k] && k + 1 < masks.size()) t.expected |= masks[k + 1];
    check(txn);
  }
  void step_failed(uint64_t txn, uint32_t step) {
    T& t = at(txn);
    t.finished |= 1u << step;
    t.failed |= 1u << step;
    t.comp_expected |= compensators(w_.workflow(txn), step);
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
    bool completed = false;
  };
  T& at(uint64_t txn) { return t_.at(txn); }
  void check(uint64_t txn) {
    T& t = t_.at(txn);
    if (!t.started || (t.expected & ~t.finished) != 0) return;
    if ((t.comp_expected & ~t.comp_handled) != 0) return;
    if (t.ok == all_[w_.type_of(txn)] || t.failed != 0) {
      // Committed: its async steps are on their way (subscribed to the last "done" events).
      if (t.failed == 0 && !t.completed) w_.ledger().async_fired(txn, w_.workflow(txn).async_mask());
      t.completed = true;
      w_.ledger().complete(txn, w_.sim().now());
    }
  }

  World& w_;
  bool saga_;
  std::vector<std::vector<uint32_t>> stage_masks_;  // [type][stage]
  std::vector<uint32_t> all_;                       // [type]
  TxnArray<T> t_;
};

// The entry service: serves the request, publishes "start", answers the client.
class Entry final : public EntryService {
 public:
  Entry(World& w, sim::NodeId self, Tracker& t, const Topics& topics)
      : EntryService(w, self), tracker_(t), topics_(topics), pub_(w) {}
  void on_message(sim::Node& self, const sim::Message& m) override {
    if (relayed(m)) return;
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
  void on_timer(sim::Node& self, uint64_t payload) override { pub_.timer(self, payload); }
  void on_crash(sim::Node&) override { pub_.clear(); }

 protected:
  // The request is served: publish the first event (the worker, if any, is not kept:
  // the entry does not wait for the workflow).
  void begin(sim::Node& self, uint64_t txn, int32_t worker) override {
    if (worker >= 0) self.release(static_cast<uint32_t>(worker));
    pub_.publish(self, txn, topics_.start(w_.type_of(txn)), 0);
  }

 private:
  Tracker& tracker_;
  const Topics& topics_;
  Publisher pub_;
};

// What a service keeps, durably, about its steps: shared by its replicas.
struct ServiceRecord {
  ServiceRecord(World& w, ServiceId s) : store(w, s) {
    for (auto* a : {&published, &left_out}) a->follow(w.ledger().released());
    joins.follow(w.ledger().released());
    seen.follow(w.ledger().released());
  }
  // A step's inputs received (a join): (step, the steps whose events came), per txn.
  uint32_t& join(uint64_t txn, uint32_t step) {
    auto& v = joins.at(txn);
    for (auto& [s, have] : v) {
      if (s == step) return have;
    }
    v.emplace_back(step, 0);
    return v.back().second;
  }
  // Records a delivery (of topic `local` to `step`); false if it came before.
  bool first_delivery(uint64_t txn, uint32_t step, uint32_t local) {
    const uint64_t key = (uint64_t{step} << 32) | local;
    auto& v = seen.at(txn);
    if (std::find(v.begin(), v.end(), key) != v.end()) return false;
    v.push_back(key);
    return true;
  }
  StepStore store;
  TxnArray<uint32_t> published;  // the outbox marks: per txn, by step
  TxnArray<uint32_t> left_out;   // optional steps given up: per txn, by step
  TxnArray<std::vector<std::pair<uint32_t, uint32_t>>> joins;
  TxnArray<std::vector<uint64_t>> seen;  // deliveries received: per txn, (step, topic)
};

// Token kinds of a service's own jobs and keys (below ServiceNode's).
enum ServiceKind : uint32_t { kCompensating = 3, kCompensation = 4 };

// A replica of a service with one or more steps.
class Service final : public ServiceNode {
 public:
  Service(World& w, sim::NodeId self, Tracker& t, const Topics& topics, bool saga,
          ServiceRecord& record)
      : ServiceNode(w, self), tracker_(t), topics_(topics), saga_(saga), pub_(w), rec_(record) {}

 protected:
  void handle(sim::Node& self, const sim::Message& m) override {
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
    if (!rec_.first_delivery(m.txn, m.step, topics_.local(type_of(m.txn), topic))) {
      w_.ledger().duplicate_delivery(m.txn);
    }
    if (topics_.is_failed(type_of(m.txn), topic)) {
      compensate(self, m);
    } else {
      forward(self, m, topic);
    }
  }

  // A step's action and its calls are done.
  void run_done(sim::Node& self, uint64_t c, StepResult ran) override {
    const auto slot = static_cast<uint32_t>(cookie_value(c));
    const sim::Message m = work_[slot];
    free_.push_back(slot);
    if (ran == StepResult::kError) {  // a call of the tree failed: not acknowledged, redelivered
      rec_.store.abandon(m.txn, m.step);
      return;
    }
    const Step& step = w_.workflow(m.txn).steps()[m.step];
    if (step.async) {  // nobody waits: acknowledged once done (an error comes again)
      if (rec_.store.execute(m.txn, step, m.attempt, self.now()) == StepResult::kDone) {
        w_.ledger().async_ended(m.txn, m.step);
        ack(self, m.txn, m.ref);
      }
      return;
    }
    switch (rec_.store.execute(m.txn, step, m.attempt, self.now())) {
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
        pub_.publish(self, m.txn, topics_.done(type_of(m.txn), m.step), m.ref);
        return;
    }
  }

  // A compensation finished.
  void job_done(sim::Node& self, const sim::Job& job, uint32_t) override {
    const auto slot = static_cast<uint32_t>(Token::unpack(job.token).txn);
    const sim::Message m = work_[slot];
    free_.push_back(slot);
    compensating_.erase(pack(m.txn, m.step, kCompensating));
    w_.ledger().compensation(m.txn);
    rec_.store.compensate(m.txn, w_.workflow(m.txn).steps()[m.step], self.now());
    tracker_.compensation_handled(m.txn, m.step);
    ack(self, m.txn, m.ref);
  }

  void timer(sim::Node& self, uint64_t payload) override { pub_.timer(self, payload); }
  void crashed(sim::Node& self) override {
    pub_.clear();
    work_.clear();
    free_.clear();
    compensating_.clear();
    rec_.store.crash(self.id());
  }

 private:
  uint32_t type_of(uint64_t txn) const { return w_.type_of(txn); }

  // A delivery of one of the step's inputs ("start" or a "done" of the stage before).
  // Counts the input `topic` of the step (a join needs every "done" of the stage before);
  // returns true iff the step has all its inputs now.
  bool join_input(uint64_t txn, uint32_t step, uint32_t topic) {
    const uint32_t type = type_of(txn);
    const uint32_t k = w_.workflow(txn).stage_of(step);
    if (k == 0 || topics_.is_start(type, topic)) return true;
    const uint32_t need = tracker_.stage_mask(type, k - 1);
    uint32_t& have = rec_.join(txn, step);
    have |= 1u << topics_.step_of(type, topic);
    return (have & need) == need;
  }

  void forward(sim::Node& self, const sim::Message& m, uint32_t topic) {
    if (!join_input(m.txn, m.step, topic)) {
      ack(self, m.txn, m.ref);
      return;
    }
    if (rec_.left_out.get(m.txn) & (1u << m.step)) {  // an optional step given up
      leave_out(self, m.txn, m.step, m.ref);
      return;
    }
    if (rec_.store.tombstoned(m.txn, m.step)) {  // compensated before it ran: refuse it
      tracker_.step_refused(m.txn, m.step);
      ack(self, m.txn, m.ref);
      return;
    }
    if (const auto r = rec_.store.recorded(m.txn, m.step)) {  // the inbox: it ran already
      if (w_.workflow(m.txn).steps()[m.step].async) {
        ack(self, m.txn, m.ref);
      } else {
        republish(self, m.txn, m.step, *r, m.ref);
      }
      return;
    }
    // The inbox: running now. Not acknowledged: an acknowledgement is of the message, not of
    // this copy, and the run under way may still fail and need the broker to deliver again.
    if (!rec_.store.start(m.txn, m.step, self.id())) return;
    const uint32_t slot = stash(m);
    if (!run(self, m.txn, m.step, m.attempt, cookie(slot))) {  // a full queue: redelivered later
      rec_.store.abandon(m.txn, m.step);
      free_.push_back(slot);
    }
  }

  // The step refused (a business failure). After a saga's pivot only a step without side
  // effect can refuse, and past the point of no return that changes nothing: it counts
  // as done.
  void refused(sim::Node& self, uint64_t txn, const Step& step, uint64_t ref) {
    const uint32_t type = type_of(txn);
    if (step.optional) w_.ledger().degrade(txn);  // left out: the chain goes on without it
    if (step.optional || (saga_ && step.role == SagaRole::kAfterPivot)) {
      tracker_.step_done(txn, step.index);
      pub_.publish(self, txn, topics_.done(type, step.index), ref);
      return;
    }
    w_.ledger().refuse(txn);
    w_.ledger().decide(txn, Decision::kAbort);
    tracker_.step_failed(txn, step.index);
    pub_.publish(self, txn, topics_.failed(type, step.index), ref);
  }

  // Publishes the recorded outcome of a step that ran, unless it was published already
  // (the outbox mark), then acknowledges `ref`.
  void republish(sim::Node& self, uint64_t txn, uint32_t s, StepResult r, uint64_t ref) {
    if (published_of(txn) & (1u << s)) {
      ack(self, txn, ref);
      return;
    }
    const Step& step = w_.workflow(txn).steps()[s];
    const bool done = r == StepResult::kDone || step.optional ||
                      (saga_ && step.role == SagaRole::kAfterPivot);
    const uint32_t type = type_of(txn);
    pub_.publish(self, txn, done ? topics_.done(type, s) : topics_.failed(type, s), ref);
  }

  // An event this service produced is published: mark it (the outbox) and acknowledge the
  // delivery that caused it.
  void published(sim::Node& self, const Publisher::Pending& p) {
    rec_.published.at(p.txn) |= 1u << topics_.step_of(type_of(p.txn), p.topic);
    if (p.then != 0) ack(self, p.txn, p.then);
  }

  // The broker gave up delivering an input of this service's step (saga mode, before the
  // pivot): decide from the durable record what the rest of the saga must hear.
  void dead_lettered(sim::Node& self, const sim::Message& m) {
    const Step& step = w_.workflow(m.txn).steps()[m.step];
    if (step.optional && !rec_.store.outcome(m.txn, m.step)) {
      // The input the dead letter carried did come: an optional step is left out, and the
      // chain goes on, once it has every input (a join may still wait for others; if one
      // of them fails, the chain stops there as it would have).
      rec_.left_out.at(m.txn) |= 1u << m.step;
      if (!join_input(m.txn, m.step, static_cast<uint32_t>(m.value))) {
        ack(self, m.txn, m.ref);
        return;
      }
      leave_out(self, m.txn, m.step, m.ref);
      return;
    }
    if (const auto r = rec_.store.outcome(m.txn, m.step)) {
      republish(self, m.txn, m.step, *r, m.ref);
      return;
    }
    rec_.store.tombstone(m.txn, m.step);  // it will never run: refuse it if it still comes
    w_.ledger().decide(m.txn, Decision::kAbort);
    tracker_.step_failed(m.txn, m.step);
    pub_.publish(self, m.txn, topics_.failed(type_of(m.txn), m.step), m.ref);
  }

  // An optional step, given up, with all its inputs: it counts as done (the answer
  // degraded), and its "done" is published once.
  void leave_out(sim::Node& self, uint64_t txn, uint32_t s, uint64_t ref) {
    if (published_of(txn) & (1u << s)) {
      ack(self, txn, ref);
      return;
    }
    rec_.store.tombstone(txn, s);  // a late delivery of an input is not run
    w_.ledger().degrade(txn);
    tracker_.step_done(txn, s);
    pub_.publish(self, txn, topics_.done(type_of(txn), s), ref);
  }

  // A "failed" event for a step this one must compensate.
  void compensate(sim::Node& self, const sim::Message& m) {
    rec_.store.tombstone(m.txn, m.step);  // from now on a late original of this step is refused
    if (rec_.store.applied(m.txn, m.step)) {
      // A copy that comes while the compensation runs is dropped, unacknowledged: the run
      // acknowledges the message when it is done (or, lost in a crash, the broker delivers
      // it again).
      if (!compensating_.insert(pack(m.txn, m.step, kCompensating)).second) return;
      self.submit(*w_.workflow(m.txn).steps()[m.step].compensate_op, pack(stash(m), 0, kCompensation),
                  subject(m.txn, m.step));
      return;
    }
    tracker_.compensation_handled(m.txn, m.step);
    ack(self, m.txn, m.ref);
  }

  uint32_t published_of(uint64_t txn) const {
    return rec_.published.get(txn);
  }
  uint32_t stash(const sim::Message& m) {
    const uint32_t s = take_slot(work_, free_);
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

  Tracker& tracker_;
  const Topics& topics_;
  bool saga_;
  Publisher pub_;
  ServiceRecord& rec_;              // the service's, durable
  std::vector<sim::Message> work_;  // volatile
  std::vector<uint32_t> free_;
  std::unordered_set<uint64_t> compensating_;  // volatile: compensations running here
};

class Choreographed final : public Pattern {
 public:
  explicit Choreographed(bool saga) : saga_(saga) {}
  void install(World& w) override {
    SIM_ASSERT(w.has_broker(), "a choreographed pattern needs a broker");
    tracker_ = std::make_unique<Tracker>(w, saga_);
    topics_ = std::make_unique<Topics>(w);
    const Topics& topics = *topics_;
    const uint32_t limit = w.config().broker.max_attempts;
    std::vector<Subscription> subs;
    for (const auto& wf : w.workflows()) {
      const uint32_t type = wf->type();
      for (const Step& s : wf->steps()) {
        // A saga's retriable step is delivered until it succeeds; a delivery given up before
        // the pivot is announced to its subscriber. An async step hears the last stage's
        // "done" events (it is fired once the transaction committed) and tells nobody.
        const bool retriable = saga_ && s.role == SagaRole::kAfterPivot && !s.async;
        // An optional step's given-up delivery is announced too: it is left out, and the
        // chain goes on.
        Subscription sub{topics.start(type), s.service, s.index, retriable ? 0 : limit,
                         (saga_ && !retriable && !s.async) || s.optional};
        const uint32_t k = wf->stage_of(s.index);
        if (k == 0) {
          subs.push_back(sub);
          continue;
        }
        for (uint32_t prev : wf->stages()[k - 1]) {
          sub.topic = topics.done(type, prev);
          subs.push_back(sub);
        }
      }
      for (const Step& failed : wf->steps()) {
        const uint32_t comps = tracker_->compensators(*wf, failed.index);
        for (const Step& s : wf->steps()) {
          if (comps & (1u << s.index)) {
            subs.push_back({topics.failed(type, failed.index), s.service, s.index,
                            w.config().retry.compensation_attempts, false});
          }
        }
      }
    }
    // A compensation given up leaves its effect: the transaction can still end.
    Tracker* tracker = tracker_.get();
    World* world = &w;
    auto given_up = [tracker, world, &topics](uint64_t txn, const Subscription& sub) {
      if (topics.is_failed(world->type_of(txn), sub.topic)) {
        tracker->compensation_handled(txn, sub.step);
      }
    };
    install_broker(w, behaviors_, std::move(subs), given_up);
    for (ServiceId s = 0; s < w.service_count(); ++s) records_.push_back(std::make_unique<ServiceRecord>(w, s));
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      if (!w.is_service(id)) continue;
      const ServiceId s = w.service_of(id);
      if (w.is_entry(s)) {
        behaviors_.push_back(std::make_unique<Entry>(w, id, *tracker_, topics));
      } else {
        behaviors_.push_back(std::make_unique<Service>(w, id, *tracker_, topics, saga_, *records_[s]));
      }
      w.node(id).set_behavior(behaviors_.back().get());
    }
  }

 private:
  bool saga_;
  std::unique_ptr<Tracker> tracker_;
  std::unique_ptr<Topics> topics_;
  std::vector<std::unique_ptr<ServiceRecord>> records_;  // by service
  std::vector<std::unique_ptr<sim::Behavior>> behaviors_;
};

}  // namespace

std::unique_ptr<Pattern> make_choreographed(bool saga) {
  return std::make_unique<Choreographed>(saga);
}

const PatternInfo kChoreographyPattern{
    "choreography",
    "services react to each other's events through the broker; nothing is undone on failure",
    [](Transport t) { return t == Transport::kRpc ? make_choreography_rpc() : make_choreographed(false); },
    (1u << static_cast<unsigned>(Transport::kRpc)) | (1u << static_cast<unsigned>(Transport::kBroker)),
    Transport::kBroker,
    /*saga=*/false,
    /*atomic=*/false,
    /*may_block=*/false,
    /*durable_entry=*/false,
    chain_message_name};

}  // namespace models
