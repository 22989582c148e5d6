// The saga orchestrator (see saga_orchestrated.hpp for the protocol).
#include "models/txn_array.hpp"
#include "models/saga_orchestrated.hpp"

#include <algorithm>
#include <memory>
#include <unordered_set>
#include <vector>

#include "models/broker.hpp"
#include "models/calls.hpp"
#include "models/entry.hpp"
#include "models/flow_table.hpp"
#include "models/messages.hpp"
#include "models/step_server.hpp"
#include "models/token.hpp"
#include "models/world.hpp"

namespace models {
namespace {

enum Kind : uint32_t {
  kCallTimeout = 1,
  kRetryCall = 2,
  kCompTimeout = 3,
  kRetryComp = 4,
  kResolveTimeout = 5,
  kRetryResolve = 6,
};

// The saga log, kept as its materialized per-transaction state: durable.
struct SagaRecord {
  enum class Direction : uint8_t { kUndecided, kForward, kBackward };
  uint32_t started = 0;      // steps whose call was sent
  uint32_t done = 0;         // steps that answered done
  uint32_t refused = 0;      // steps that answered with a refusal (nothing applied)
  uint32_t compensated = 0;  // steps whose compensation is confirmed
  Direction direction = Direction::kUndecided;
  bool open = false;  // begun and not ended
};

// The orchestrator's volatile state of one transaction.
struct Flow {
  enum class Phase : uint8_t { kForward, kResolving, kCompensating };
  Phase phase = Phase::kForward;
  uint64_t txn = 0;
  uint32_t stage = 0;
  uint32_t outstanding = 0;  // forward calls of the current stage not yet answered
  Answer failure = Answer::kError;
  int32_t worker = -1;    // held worker (blocking call model), or -1
  bool answered = false;  // the client has its answer (or its connection died with a crash)
  std::vector<Call> calls;              // forward calls, by step
  Call resolve;                         // the pivot's resolve query
  std::vector<uint32_t> to_compensate;  // the steps still to compensate; the next at the back
  Call comp;                            // the current compensation
  void reset(uint64_t t) {
    phase = Phase::kForward;
    txn = t;
    stage = 0;
    outstanding = 0;
    failure = Answer::kError;
    worker = -1;
    answered = false;
    calls.clear();
    resolve = Call{};
    to_compensate.clear();
    comp = Call{};
  }
};

class SagaOrchestrator final : public EntryService {
 public:
  SagaOrchestrator(World& w, sim::NodeId self) : EntryService(w, self), caller_(w, self) {
    flows_.follow(w.ledger().released());
    log_.follow(w.ledger().released());
  }

  void on_message(sim::Node& self, const sim::Message& m) override {
    if (relayed(m)) return;
    if (!caller_.receive(self, m)) return;
    switch (m.type) {
      case kRequest:
        accept(self, m);
        break;
      case kCallReply:
        on_reply(self, m);
        break;
      case kResolved:
        on_resolved(self, m);
        break;
      case kCompensated:
        on_compensated(self, m);
        break;
      default:
        break;
    }
  }

  void on_timer(sim::Node& self, uint64_t payload) override {
    const Token t = Token::unpack(payload);
    Flow* f = flows_.find(t.txn);
    if (f == nullptr) return;
    switch (t.kind) {
      case kRetryCall:
        if (f->calls[t.step].state == Call::State::kBackoff) send_call(self, *f, t.step);
        break;
      case kCallTimeout:
        if (f->calls[t.step].state == Call::State::kWaiting) {
          caller_.expired(f->calls[t.step]);
          attempt_failed(self, *f, t.step);
        }
        break;
      case kRetryResolve:
        if (f->resolve.state == Call::State::kBackoff) {
          caller_.send(self, f->resolve, kResolve, f->txn, t.step, kResolveTimeout);
        }
        break;
      case kResolveTimeout:
        if (f->resolve.state == Call::State::kWaiting) {
          caller_.expired(f->resolve);
          caller_.retry_later(self, f->resolve, f->txn, t.step, 0, kRetryResolve);
        }
        break;
      case kRetryComp:
        if (f->comp.state == Call::State::kBackoff) send_compensation(self, *f);
        break;
      case kCompTimeout:
        if (f->comp.state == Call::State::kWaiting) {
          caller_.expired(f->comp);
          compensation_failed(self, *f);
        }
        break;
      default:
        break;
    }
  }

  void on_crash(sim::Node& self) override {
    (void)self;
    flows_.clear();  // volatile: every transaction in flight is lost; the log survives
    caller_.crashed();
  }

  void on_recover(sim::Node& self) override {
    std::vector<uint64_t> open(open_.begin(), open_.end());
    std::sort(open.begin(), open.end());  // deterministic order
    for (uint64_t txn : open) recover(self, txn);
  }

 private:
  SagaRecord& record(uint64_t txn) { return log_.at(txn); }
  const Step& step(uint64_t txn, uint32_t s) const { return w_.workflow(txn).steps()[s]; }

  // The request is served (on `worker`, held, or -1): begin the saga.
  void begin(sim::Node& self, uint64_t txn, int32_t worker) override {
    Flow& f = open_flow(txn);
    f.worker = worker;
    record(txn).open = true;
    open_.insert(txn);
    start_stage(self, f);
  }

  Flow& open_flow(uint64_t txn) {
    Flow& f = flows_.open(txn);
    f.calls.resize(w_.workflow(txn).steps().size());
    return f;
  }

  // ---------------------------------------------------------------- forward
  // Calls every step of the current stage that is not done yet (after a recovery some are).
  void start_stage(sim::Node& self, Flow& f) {
    const auto& stages = w_.workflow(f.txn).stages();
    for (; f.stage < stages.size(); ++f.stage) {
      for (uint32_t s : stages[f.stage]) {
        if (record(f.txn).done & (1u << s)) continue;
        ++f.outstanding;
        send_call(self, f, s);
      }
      if (f.outstanding > 0) return;
    }
    decide_forward(f);  // a saga without pivot commits with its last stage
    fire_async(self, f.txn);
    finish(self, f, Answer::kOk);
  }

  void send_call(sim::Node& self, Flow& f, uint32_t s) {
    record(f.txn).started |= 1u << s;  // logged before it is sent
    caller_.send(self, f.calls[s], kCall, f.txn, s, kCallTimeout);
  }

  void on_reply(sim::Node& self, const sim::Message& m) {
    Flow* f = flows_.find(m.txn);
    if (f == nullptr || f->phase != Flow::Phase::kForward) return;
    switch (caller_.reply(self, f->calls[m.step], m)) {
      case Caller::Reply::kStale:
        return;
      case Caller::Reply::kFailedAttempt:
        attempt_failed(self, *f, m.step);
        return;
      case Caller::Reply::kAnswered:
        break;
    }
    SagaRecord& r = record(f->txn);
    const uint32_t bit = 1u << m.step;
    const bool refused = m.value == static_cast<int64_t>(StepResult::kRefused);
    if (refused && step(m.txn, m.step).optional) w_.ledger().degrade(f->txn);  // left out
    if (refused && !step(m.txn, m.step).optional &&
        step(m.txn, m.step).role != SagaRole::kAfterPivot) {
      r.refused |= bit;
      w_.ledger().refuse(f->txn);
      go_backward(self, *f, Answer::kRejected);
      return;
    }
    // Done; or, after the pivot, a step without side effect that refused: nothing to do.
    r.done |= bit;
    if (step(m.txn, m.step).role == SagaRole::kPivot) decide_forward(*f);
    step_answered(self, *f);
  }

  // An attempt of a forward call timed out or met a technical error.
  void attempt_failed(sim::Node& self, Flow& f, uint32_t s) {
    const bool optional = step(f.txn, s).optional;
    const bool retriable = step(f.txn, s).role == SagaRole::kAfterPivot && !optional;
    const uint32_t limit = retriable ? 0 : w_.config().retry.attempts;
    if (caller_.retry_later(self, f.calls[s], f.txn, s, limit, kRetryCall)) return;
    if (optional) {  // left out: the saga goes on without it
      w_.ledger().degrade(f.txn);
      record(f.txn).done |= 1u << s;
      step_answered(self, f);
      return;
    }
    if (step(f.txn, s).role == SagaRole::kPivot) {
      start_resolve(self, f, s);  // did it apply? only its service knows
      return;
    }
    go_backward(self, f, Answer::kError);
  }

  void step_answered(sim::Node& self, Flow& f) {
    if (--f.outstanding > 0) return;
    ++f.stage;
    start_stage(self, f);
  }

  // The point of no return: logged, and from then on the saga only goes forward.
  void decide_forward(Flow& f) {
    SagaRecord& r = record(f.txn);
    SIM_ASSERT(r.direction != SagaRecord::Direction::kBackward, "a saga turned forward after backward");
    if (r.direction == SagaRecord::Direction::kForward) return;
    r.direction = SagaRecord::Direction::kForward;
    w_.ledger().decide(f.txn, Decision::kCommit);
  }

  // ---------------------------------------------------------------- resolving the pivot
  void start_resolve(sim::Node& self, Flow& f, uint32_t pivot) {
    f.phase = Flow::Phase::kResolving;
    f.resolve = Call{};
    caller_.send(self, f.resolve, kResolve, f.txn, pivot, kResolveTimeout);
  }

  void on_resolved(sim::Node& self, const sim::Message& m) {
    Flow* f = flows_.find(m.txn);
    if (f == nullptr || f->phase != Flow::Phase::kResolving) return;
    if (caller_.reply(self, f->resolve, m, false) != Caller::Reply::kAnswered) return;
    f->phase = Flow::Phase::kForward;
    if (m.value == 0) {  // not applied, and now refused at its service
      go_backward(self, *f, Answer::kError);
      return;
    }
    record(f->txn).done |= 1u << m.step;
    decide_forward(*f);
    step_answered(self, *f);
  }

  // ---------------------------------------------------------------- compensating
  void go_backward(sim::Node& self, Flow& f, Answer a) {
    SagaRecord& r = record(f.txn);
    SIM_ASSERT(r.direction != SagaRecord::Direction::kForward, "a saga turned back after its pivot");
    r.direction = SagaRecord::Direction::kBackward;
    w_.ledger().decide(f.txn, Decision::kAbort);
    f.failure = a;
    reply(self, f, a);
    for (Call& c : f.calls) caller_.abandon(self, c);
    caller_.abandon(self, f.resolve);
    f.outstanding = 0;
    f.phase = Flow::Phase::kCompensating;
    f.to_compensate.clear();
    const auto& steps = w_.workflow(f.txn).steps();
    for (const Step& s : steps) {  // in step order: the last step is at the back, undone first
      const uint32_t bit = 1u << s.index;
      if ((r.started & bit) && !(r.refused & bit) && !(r.compensated & bit) && s.compensable()) {
        f.to_compensate.push_back(s.index);
      }
    }
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
    caller_.send(self, f.comp, kCompensate, f.txn, f.to_compensate.back(), kCompTimeout);
  }

  void on_compensated(sim::Node& self, const sim::Message& m) {
    Flow* f = flows_.find(m.txn);
    if (f == nullptr || f->phase != Flow::Phase::kCompensating || f->to_compensate.empty() ||
        f->to_compensate.back() != m.step) {
      return;
    }
    if (caller_.reply(self, f->comp, m, false) != Caller::Reply::kAnswered) return;
    record(f->txn).compensated |= 1u << m.step;
    f->to_compensate.pop_back();
    next_compensation(self, *f);
  }

  void compensation_failed(sim::Node& self, Flow& f) {
    const uint32_t s = f.to_compensate.back();
    if (caller_.retry_later(self, f.comp, f.txn, s, w_.config().retry.compensation_attempts,
                            kRetryComp)) {
      return;
    }
    // Given up: this step's effect stays (the transaction ends violated).
    f.to_compensate.pop_back();
    next_compensation(self, f);
  }

  // ---------------------------------------------------------------- end, recovery
  void finish(sim::Node& self, Flow& f, Answer a) {
    const uint64_t txn = f.txn;
    reply(self, f, a);
    w_.ledger().complete(txn, self.now());
    record(txn).open = false;
    open_.erase(txn);
    if (f.worker >= 0) self.release(static_cast<uint32_t>(f.worker));
    flows_.close(txn);
  }

  void reply(sim::Node& self, Flow& f, Answer a) {
    if (f.answered) {  // (or the client's connection died in a crash: kept for its retry)
      settle(f.txn, a);
      return;
    }
    f.answered = true;
    answer(self, f.txn, a);
  }

  // Finishes an open saga from its log after a crash of the orchestrator.
  void recover(sim::Node& self, uint64_t txn) {
    Flow& f = open_flow(txn);
    f.answered = true;  // the client's connection died with the crash
    const SagaRecord& r = record(txn);
    const auto pivot = w_.workflow(txn).pivot();
    switch (r.direction) {
      case SagaRecord::Direction::kForward:
        start_stage(self, f);
        return;
      case SagaRecord::Direction::kBackward:
        go_backward(self, f, Answer::kError);
        return;
      case SagaRecord::Direction::kUndecided:
        break;
    }
    const uint32_t bit = pivot ? 1u << *pivot : 0;
    if (pivot && (r.started & bit) && !(r.done & bit) && !(r.refused & bit)) {
      f.stage = w_.workflow(txn).stage_of(*pivot);
      f.outstanding = 1;
      start_resolve(self, f, *pivot);
      return;
    }
    go_backward(self, f, Answer::kError);
  }

  Caller caller_;
  FlowTable<Flow> flows_;              // volatile
  TxnArray<SagaRecord> log_;           // durable
  std::unordered_set<uint64_t> open_;  // durable: sagas begun and not ended
};

class SagaOrchestrated final : public Pattern {
 public:
  void install(World& w) override {
    install_broker(w, behaviors_);
    const auto stores = step_stores(w);
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      if (!w.is_service(id)) continue;
      const ServiceId s = w.service_of(id);
      if (w.is_entry(s)) {
        behaviors_.push_back(std::make_unique<SagaOrchestrator>(w, id));
      } else {
        behaviors_.push_back(std::make_unique<StepServer>(w, id, stores[s]));
      }
      w.node(id).set_behavior(behaviors_.back().get());
    }
  }

 private:
  std::vector<std::unique_ptr<sim::Behavior>> behaviors_;
};

}  // namespace

const PatternInfo kSagaOrchestratedPattern{
    "saga_orchestrated",
    "a saga orchestrator with a durable log calls each step and compensates in reverse on failure",
    [](Transport) -> std::unique_ptr<Pattern> { return std::make_unique<SagaOrchestrated>(); },
    (1u << static_cast<unsigned>(Transport::kRpc)) | (1u << static_cast<unsigned>(Transport::kBroker)),
    Transport::kRpc,
    /*saga=*/true,
    /*atomic=*/true,
    /*may_block=*/false,
    /*durable_entry=*/true};

}  // namespace models
