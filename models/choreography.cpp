#include "models/choreography.hpp"

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/broker.hpp"
#include "models/entry.hpp"
#include "models/grow.hpp"
#include "models/messages.hpp"
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
    stage_of_.assign(wf.steps().size(), 0);
    for (size_t k = 0; k < wf.stages().size(); ++k) {
      for (uint32_t s : wf.stages()[k]) stage_of_[s] = static_cast<uint32_t>(k);
    }
    all_ = wf.steps().size() == 32 ? ~0u : (1u << wf.steps().size()) - 1;
  }
  uint32_t stage_of(uint32_t step) const { return stage_of_[step]; }
  uint32_t stage_mask(uint32_t k) const { return stage_masks_[k]; }
  size_t stages() const { return stage_masks_.size(); }
  // Steps that compensate when `failed` fails: compensable steps of its stage and earlier.
  uint32_t compensators(uint32_t failed) const {
    uint32_t m = 0;
    for (const Step& s : w_.workflow().steps()) {
      if (s.index != failed && s.side_effect && s.compensate_op &&
          stage_of_[s.index] <= stage_of_[failed]) {
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
    const uint32_t k = stage_of_[step];
    if ((t.ok & stage_masks_[k]) == stage_masks_[k] && k + 1 < stage_masks_.size()) {
      t.expected |= stage_masks_[k + 1];
    }
    check(txn);
  }
  void step_failed(uint64_t txn, uint32_t step) {
    T& t = at(txn);
    t.finished |= 1u << step;
    t.failed |= 1u << step;
    if (saga_) t.comp_expected |= compensators(step);
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
  std::vector<uint32_t> stage_masks_, stage_of_;
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
    uint64_t then = 0;  // what to do once acknowledged (the owner's meaning)
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

// A service with one or more steps.
class Service final : public sim::Behavior {
 public:
  Service(World& w, Tracker& t, Topics topics) : w_(w), tracker_(t), topics_(topics), pub_(w) {}

  void on_message(sim::Node& self, const sim::Message& m) override {
    if (m.type == kPublishAck) {
      if (Publisher::Pending* p = pub_.acked(self, m)) ack(self, p->txn, p->then);
      return;
    }
    if (m.type != kDeliver) return;
    const auto topic = static_cast<uint32_t>(m.value);
    const uint64_t key = (m.txn << 13) | (uint64_t{topic} << 6) | m.step;
    if (!seen_.insert(key).second) w_.ledger().duplicate_delivery();
    if (topics_.is_failed(topic)) {
      compensate(self, m);
      return;
    }
    // A join: a step after a parallel stage needs every "done" event of that stage.
    const uint32_t k = tracker_.stage_of(m.step);
    if (k > 0 && topic != kStartTopic) {
      const uint32_t need = tracker_.stage_mask(k - 1);
      uint32_t& have = joins_[(m.txn << 5) | m.step];
      have |= 1u << topics_.step_of(topic);
      if ((have & need) != need) {
        ack(self, m.txn, m.ref);
        return;
      }
    }
    self.submit(w_.workflow().steps()[m.step].action_op, stash(m));
  }

  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t) override {
    const sim::Message m = work_[job.token];
    free_.push_back(static_cast<uint32_t>(job.token));
    const Step& step = w_.workflow().steps()[m.step];
    Durable& d = durable(m.txn);
    const uint32_t bit = 1u << m.step;
    if (topics_.is_failed(static_cast<uint32_t>(m.value))) {  // a compensation finished
      if (d.applied & bit) {
        d.applied &= ~bit;
        w_.ledger().compensate(m.txn, m.step, self.now());
      }
      w_.ledger().compensation(m.txn);
      tracker_.compensation_handled(m.txn, m.step);
      ack(self, m.txn, m.ref);
      return;
    }
    if (d.tombstone & bit) {  // compensated before it ran: refuse the late original
      tracker_.step_refused(m.txn, m.step);
      ack(self, m.txn, m.ref);
      return;
    }
    if (w_.uniform(m.txn, m.step, kBusinessFailure) < step.fails) {
      w_.ledger().refuse(m.txn);
      w_.ledger().decide(m.txn, Decision::kAbort);
      tracker_.step_failed(m.txn, m.step);
      pub_.publish(self, m.txn, topics_.failed(m.step), m.ref);
      return;
    }
    if (step.side_effect) {
      w_.ledger().apply(m.txn, m.step, step.idempotent, self.now());
      const KeyChooser& keys = w_.keys(self.id());
      for (uint32_t k = 0; keys.enabled() && k < keys.per_step(); ++k) {
        if (exposures_.touch(w_, m.txn, keys.key(w_, m.txn, m.step, k), true)) w_.ledger().exposure(m.txn);
      }
    }
    d.applied |= bit;
    tracker_.step_done(m.txn, m.step);
    pub_.publish(self, m.txn, topics_.done(m.step), m.ref);
  }

  void on_timer(sim::Node& self, uint64_t ref) override { pub_.timed_out(self, ref); }
  void on_crash(sim::Node&) override {
    pub_.clear();
    work_.clear();
    free_.clear();
  }

 private:
  struct Durable {
    uint32_t applied = 0, tombstone = 0;
  };
  Durable& durable(uint64_t txn) {
    grow_to(durable_, txn);
    return durable_[txn];
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
  void compensate(sim::Node& self, const sim::Message& m) {
    Durable& d = durable(m.txn);
    const uint32_t bit = 1u << m.step;
    d.tombstone |= bit;  // from now on, a late original of this step is refused
    if (d.applied & bit) {
      self.submit(*w_.workflow().steps()[m.step].compensate_op, stash(m));
      return;
    }
    tracker_.compensation_handled(m.txn, m.step);
    ack(self, m.txn, m.ref);
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
  Publisher pub_;
  std::vector<sim::Message> work_;  // volatile
  std::vector<uint32_t> free_;
  std::vector<Durable> durable_;                  // durable, per transaction
  std::unordered_map<uint64_t, uint32_t> joins_;  // durable: inputs received
  std::unordered_set<uint64_t> seen_;             // durable: deliveries received
  ExposureTracker exposures_;
};

class Choreographed final : public Pattern {
 public:
  explicit Choreographed(bool saga) : saga_(saga) {}
  void install(World& w) override {
    SIM_ASSERT(w.has_broker(), "a choreographed pattern needs a broker");
    tracker_ = std::make_unique<Tracker>(w, saga_);
    const auto& wf = w.workflow();
    const Topics topics{static_cast<uint32_t>(wf.steps().size())};
    std::vector<Subscription> subs;
    for (const Step& s : wf.steps()) {
      const uint32_t k = tracker_->stage_of(s.index);
      if (k == 0) {
        subs.push_back({kStartTopic, s.service, s.index});
      } else {
        for (uint32_t prev : wf.stages()[k - 1]) subs.push_back({topics.done(prev), s.service, s.index});
      }
    }
    if (saga_) {
      for (const Step& failed : wf.steps()) {
        const uint32_t comps = tracker_->compensators(failed.index);
        for (const Step& s : wf.steps()) {
          if (comps & (1u << s.index)) subs.push_back({topics.failed(failed.index), s.service, s.index});
        }
      }
    }
    behaviors_.push_back(std::make_unique<Broker>(w, std::move(subs)));
    w.node(w.broker()).set_behavior(behaviors_.back().get());
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      if (!w.is_service(id)) continue;
      if (id == wf.entry()) {
        behaviors_.push_back(std::make_unique<Entry>(w, *tracker_));
      } else {
        behaviors_.push_back(std::make_unique<Service>(w, *tracker_, topics));
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

std::unique_ptr<Pattern> make_choreographed(bool compensate) {
  return std::make_unique<Choreographed>(compensate);
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
