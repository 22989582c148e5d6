// The orchestrator engine behind orchestration and saga_orchestrated (see the headers for
// the protocols). One Orchestrator behavior runs on the entry service; every other service
// runs a StepServer.
#include "models/orchestration.hpp"

#include <algorithm>
#include <memory>
#include <unordered_set>
#include <vector>

#include "models/entry.hpp"
#include "models/flow_table.hpp"
#include "models/grow.hpp"
#include "models/messages.hpp"
#include "models/participant.hpp"
#include "models/retry.hpp"
#include "models/world.hpp"

namespace models {
namespace {

enum TimerKind : uint64_t { kCallTimeout = 1, kRetryCall = 2, kCompTimeout = 3, kRetryComp = 4 };
uint64_t timer_payload(uint64_t txn, uint32_t step, TimerKind k) {
  return (txn << 16) | (uint64_t{step} << 8) | k;
}

struct Call {
  enum class State : uint8_t { kIdle, kWaiting, kBackoff, kDone } state = State::kIdle;
  uint32_t attempt = 0;
  sim::TimerId timer;
};

// Volatile per-transaction state of the orchestrator.
struct Flow {
  uint64_t txn = 0;
  uint32_t stage = 0;
  uint32_t outstanding = 0;
  bool failed = false;
  Answer failure = Answer::kError;
  int32_t worker = -1;  // held worker (blocking call model), or -1
  std::vector<Call> calls;
  // Saga compensation: steps still to compensate, in order; the current one's state.
  bool compensating = false;
  bool answered = false;  // the client has its answer (or its connection died with a crash)
  std::vector<uint32_t> to_compensate;
  Call comp;
  void reset(uint64_t t) {
    txn = t;
    stage = 0;
    outstanding = 0;
    failed = false;
    failure = Answer::kError;
    worker = -1;
    calls.clear();
    compensating = false;
    answered = false;
    to_compensate.clear();
    comp = Call{};
  }
};

// The saga log, kept as its materialized per-transaction state: durable, survives crashes.
struct SagaRecord {
  uint32_t started = 0;      // steps whose call was sent
  uint32_t rejected = 0;     // steps that answered with a business failure (nothing applied)
  uint32_t compensated = 0;  // steps whose compensation is confirmed
  bool open = false;         // begun and not ended
};

class Orchestrator final : public EntryService {
 public:
  Orchestrator(World& w, sim::NodeId self, bool saga)
      : EntryService(w),
        saga_(saga),
        rng_(w.config().seed, "retry/" + w.node(self).name(), w.replication()) {}

  void on_message(sim::Node& self, const sim::Message& m) override {
    switch (m.type) {
      case kRequest:
        accept(self, m);
        break;
      case kCallReply:
        on_reply(self, m);
        break;
      case kCompensated:
        on_compensated(self, m);
        break;
      default:
        break;
    }
  }

  // The request is served (on `worker`, held, or -1): begin the workflow.
  void begin(sim::Node& self, uint64_t txn, int32_t worker) override {
    Flow& f = flows_.open(txn);
    f.calls.resize(w_.workflow().steps().size());
    f.worker = worker;
    if (saga_) {
      record(f.txn).open = true;
      open_.insert(f.txn);
    }
    start_stage(self, f);
  }

  void on_timer(sim::Node& self, uint64_t payload) override {
    const uint64_t txn = payload >> 16;
    const auto step = static_cast<uint32_t>((payload >> 8) & 0xff);
    Flow* f = flows_.find(txn);
    if (f == nullptr) return;
    switch (payload & 0xff) {
      case kRetryCall:
        send_call(self, *f, step);
        return;
      case kRetryComp:
        send_compensation(self, *f);
        return;
      case kCompTimeout:
        comp_timed_out(self, *f);
        return;
      default:
        break;
    }
    Call& c = f->calls[step];
    if (c.state != Call::State::kWaiting) return;
    if (c.attempt < w_.config().retry.attempts) {
      w_.ledger().retry(txn);
      c.state = Call::State::kBackoff;
      c.timer = self.set_timer(backoff(w_.config().retry, c.attempt, rng_),
                               timer_payload(txn, step, kRetryCall));
      return;
    }
    c.state = Call::State::kDone;
    --f->outstanding;
    fail(self, *f, Answer::kError);
  }

  void on_crash(sim::Node& self) override {
    (void)self;
    flows_.clear();  // volatile: every transaction in flight is lost
  }

  void on_recover(sim::Node& self) override {
    if (!saga_) return;
    // Backward recovery from the saga log: every saga that had not ended is compensated.
    std::vector<uint64_t> open(open_.begin(), open_.end());
    std::sort(open.begin(), open.end());  // deterministic order
    for (uint64_t txn : open) {
      Flow& f = flows_.open(txn);
      f.calls.resize(w_.workflow().steps().size());
      f.failed = true;
      f.answered = true;  // the client's connection died with the crash
      begin_compensation(self, f);
    }
  }

 private:
  SagaRecord& record(uint64_t txn) {
    grow_to(log_, txn);
    return log_[txn];
  }

  void start_stage(sim::Node& self, Flow& f) {
    const auto& stages = w_.workflow().stages();
    if (f.stage >= stages.size()) {
      finish(self, f, Answer::kOk);
      return;
    }
    for (uint32_t step : stages[f.stage]) {
      ++f.outstanding;
      send_call(self, f, step);
    }
  }

  void send_call(sim::Node& self, Flow& f, uint32_t step) {
    Call& c = f.calls[step];
    ++c.attempt;
    c.state = Call::State::kWaiting;
    if (saga_) record(f.txn).started |= 1u << step;
    sim::Message m;
    m.type = kCall;
    m.dst = w_.workflow().steps()[step].service;
    m.txn = f.txn;
    m.step = step;
    m.attempt = c.attempt;
    w_.send(self, m);
    c.timer = self.set_timer(w_.config().timeouts.call, timer_payload(f.txn, step, kCallTimeout));
  }

  void on_reply(sim::Node& self, const sim::Message& m) {
    Flow* f = flows_.find(m.txn);
    if (f == nullptr || f->compensating) return;
    Call& c = f->calls[m.step];
    if (c.state != Call::State::kWaiting && c.state != Call::State::kBackoff) return;
    self.cancel_timer(c.timer);
    c.state = Call::State::kDone;
    --f->outstanding;
    if (m.value == 0) {
      if (saga_) record(f->txn).rejected |= 1u << m.step;
      w_.ledger().refuse(f->txn);
      fail(self, *f, Answer::kRejected);
      return;
    }
    if (f->outstanding == 0 && !f->failed) {
      ++f->stage;
      start_stage(self, *f);
    } else if (f->outstanding == 0) {
      fail(self, *f, f->failure);
    }
  }

  // A step failed (business or technical). Orchestration waits for the stage's other calls
  // and stops; a saga answers the client and compensates at once (a late original of an
  // in-flight call is refused by the participant's tombstone).
  void fail(sim::Node& self, Flow& f, Answer a) {
    if (!f.failed) {
      f.failed = true;
      f.failure = a;
      w_.ledger().decide(f.txn, Decision::kAbort);
    }
    if (saga_) {
      reply(self, f, f.failure);
      for (Call& c : f.calls) {
        if (c.state == Call::State::kWaiting || c.state == Call::State::kBackoff) {
          self.cancel_timer(c.timer);
          c.state = Call::State::kDone;
        }
      }
      f.outstanding = 0;
      begin_compensation(self, f);
      return;
    }
    if (f.outstanding == 0) finish(self, f, f.failure);
  }

  void begin_compensation(sim::Node& self, Flow& f) {
    f.compensating = true;
    const SagaRecord& r = record(f.txn);
    f.to_compensate.clear();
    const auto& steps = w_.workflow().steps();
    for (size_t i = steps.size(); i-- > 0;) {  // reverse order
      const uint32_t bit = 1u << i;
      if ((r.started & bit) && !(r.rejected & bit) && !(r.compensated & bit) &&
          steps[i].side_effect && steps[i].compensate_op) {
        f.to_compensate.push_back(static_cast<uint32_t>(i));
      }
    }
    std::reverse(f.to_compensate.begin(), f.to_compensate.end());  // pop from the back
    next_compensation(self, f);
  }

  void next_compensation(sim::Node& self, Flow& f) {
    if (f.to_compensate.empty()) {
      finish(self, f, f.failure);
      return;
    }
    f.comp = Call{};
    send_compensation(self, f);
  }

  void send_compensation(sim::Node& self, Flow& f) {
    const uint32_t step = f.to_compensate.back();
    ++f.comp.attempt;
    f.comp.state = Call::State::kWaiting;
    sim::Message m;
    m.type = kCompensate;
    m.dst = w_.workflow().steps()[step].service;
    m.txn = f.txn;
    m.step = step;
    m.attempt = f.comp.attempt;
    w_.send(self, m);
    f.comp.timer = self.set_timer(w_.config().timeouts.call, timer_payload(f.txn, step, kCompTimeout));
  }

  void on_compensated(sim::Node& self, const sim::Message& m) {
    Flow* f = flows_.find(m.txn);
    if (f == nullptr || !f->compensating || f->to_compensate.empty()) return;
    if (f->to_compensate.back() != m.step || f->comp.state == Call::State::kDone) return;
    self.cancel_timer(f->comp.timer);
    f->comp.state = Call::State::kDone;
    record(f->txn).compensated |= 1u << m.step;
    f->to_compensate.pop_back();
    next_compensation(self, *f);
  }

  void comp_timed_out(sim::Node& self, Flow& f) {
    if (f.comp.state != Call::State::kWaiting) return;
    const uint32_t limit = w_.config().retry.compensation_attempts;
    if (limit != 0 && f.comp.attempt >= limit) {
      // Given up: this step's effect stays (the transaction ends violated).
      f.comp.state = Call::State::kDone;
      f.to_compensate.pop_back();
      next_compensation(self, f);
      return;
    }
    w_.ledger().retry(f.txn);
    f.comp.state = Call::State::kBackoff;
    f.comp.timer = self.set_timer(backoff(w_.config().retry, f.comp.attempt, rng_),
                                  timer_payload(f.txn, f.to_compensate.back(), kRetryComp));
  }

  void finish(sim::Node& self, Flow& f, Answer a) {
    const uint64_t txn = f.txn;
    if (a == Answer::kOk) w_.ledger().decide(txn, Decision::kCommit);
    reply(self, f, a);
    w_.ledger().complete(txn, self.now());
    if (saga_) {
      record(txn).open = false;
      open_.erase(txn);
    }
    if (f.worker >= 0) self.release(static_cast<uint32_t>(f.worker));
    flows_.close(txn);
  }

  void reply(sim::Node& self, Flow& f, Answer a) {
    if (f.answered) return;
    f.answered = true;
    answer(self, f.txn, a);
  }

  bool saga_;
  sim::Rng rng_;
  FlowTable<Flow> flows_;             // volatile
  std::vector<SagaRecord> log_;       // durable (saga mode)
  std::unordered_set<uint64_t> open_;  // durable: sagas begun and not ended
};

class Orchestrated final : public Pattern {
 public:
  explicit Orchestrated(bool saga) : saga_(saga) {}
  void install(World& w) override {
    const sim::NodeId entry = w.workflow().entry();
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      if (!w.is_service(id)) continue;
      if (id == entry) {
        behaviors_.push_back(std::make_unique<Orchestrator>(w, id, saga_));
      } else {
        behaviors_.push_back(std::make_unique<StepServer>(w, id));
      }
      w.node(id).set_behavior(behaviors_.back().get());
    }
  }

 private:
  bool saga_;
  std::vector<std::unique_ptr<sim::Behavior>> behaviors_;
};

}  // namespace

std::unique_ptr<Pattern> make_orchestrated(bool saga) { return std::make_unique<Orchestrated>(saga); }

const PatternInfo kOrchestrationPattern{
    "orchestration",
    "one orchestrator calls each step's service in turn; nothing is undone on failure",
    [](Transport) { return make_orchestrated(false); },
    1u << static_cast<unsigned>(Transport::kRpc),
    Transport::kRpc,
    /*saga=*/false,
    /*atomic=*/false,
    /*may_block=*/false};

}  // namespace models
