// Orchestration (see orchestration.hpp for the protocol): an Orchestrator on the entry
// service, a StepServer on every other service.
#include "models/orchestration.hpp"

#include <memory>
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

enum Kind : uint32_t { kCallTimeout = 1, kRetryCall = 2 };

// The orchestrator's volatile state of one transaction.
struct Flow {
  enum class State : uint8_t { kRunning, kStopping };  // stopping: a step failed
  State state = State::kRunning;
  uint64_t txn = 0;
  uint32_t stage = 0;
  uint32_t outstanding = 0;  // calls of the current stage not yet answered
  Answer failure = Answer::kError;
  int32_t worker = -1;  // held worker (blocking call model), or -1
  std::vector<Call> calls;  // by step
  void reset(uint64_t t) {
    state = State::kRunning;
    txn = t;
    stage = 0;
    outstanding = 0;
    failure = Answer::kError;
    worker = -1;
    calls.clear();
  }
};

class Orchestrator final : public EntryService {
 public:
  Orchestrator(World& w, sim::NodeId self) : EntryService(w, self), caller_(w, self) { flows_.follow(w.ledger().released()); }

  void on_message(sim::Node& self, const sim::Message& m) override {
    if (relayed(m)) return;
    if (!caller_.receive(self, m)) return;
    if (m.type == kRequest) {
      accept(self, m);
    } else if (m.type == kCallReply) {
      on_reply(self, m);
    }
  }

  void on_timer(sim::Node& self, uint64_t payload) override {
    const Token t = Token::unpack(payload);
    Flow* f = flows_.find(t.txn);
    if (f == nullptr) return;
    Call& c = f->calls[t.step];
    if (t.kind == kRetryCall && c.state == Call::State::kBackoff) {
      caller_.send(self, c, kCall, f->txn, t.step, kCallTimeout);
    } else if (t.kind == kCallTimeout && c.state == Call::State::kWaiting) {
      caller_.expired(c);
      attempt_failed(self, *f, t.step);
    }
  }

  void on_crash(sim::Node& self) override {
    (void)self;
    flows_.clear();  // volatile: every transaction in flight is lost
    caller_.crashed();
  }

 private:
  // The request is served (on `worker`, held, or -1): begin the workflow.
  void begin(sim::Node& self, uint64_t txn, int32_t worker) override {
    Flow& f = flows_.open(txn);
    f.calls.resize(w_.workflow(txn).steps().size());
    f.worker = worker;
    start_stage(self, f);
  }

  void start_stage(sim::Node& self, Flow& f) {
    const auto& stages = w_.workflow(f.txn).stages();
    if (f.stage >= stages.size()) {
      finish(self, f, Answer::kOk);
      return;
    }
    for (uint32_t step : stages[f.stage]) {
      ++f.outstanding;
      caller_.send(self, f.calls[step], kCall, f.txn, step, kCallTimeout);
    }
  }

  void on_reply(sim::Node& self, const sim::Message& m) {
    Flow* f = flows_.find(m.txn);
    if (f == nullptr) return;
    switch (caller_.reply(self, f->calls[m.step], m)) {
      case Caller::Reply::kStale:
        return;
      case Caller::Reply::kFailedAttempt:
        attempt_failed(self, *f, m.step);
        return;
      case Caller::Reply::kAnswered:
        break;
    }
    --f->outstanding;
    if (m.value == static_cast<int64_t>(StepResult::kRefused)) {
      if (w_.workflow(f->txn).steps()[m.step].optional) {
        w_.ledger().degrade(f->txn);  // the answer goes on without it
      } else {
        w_.ledger().refuse(f->txn);
        stop(*f, Answer::kRejected);
      }
    }
    stage_answered(self, *f);
  }

  // A call timed out or was answered with a technical error: retry, or give up on the step.
  void attempt_failed(sim::Node& self, Flow& f, uint32_t step) {
    if (caller_.retry_later(self, f.calls[step], f.txn, step, w_.config().retry.attempts,
                            kRetryCall)) {
      return;
    }
    --f.outstanding;
    if (w_.workflow(f.txn).steps()[step].optional) {
      w_.ledger().degrade(f.txn);
    } else {
      stop(f, Answer::kError);
    }
    stage_answered(self, f);
  }

  // A step failed: no later stage starts (the stage's other calls are still awaited, and
  // nothing is undone: the effects applied stay).
  void stop(Flow& f, Answer a) {
    if (f.state == Flow::State::kStopping) return;
    f.state = Flow::State::kStopping;
    f.failure = a;
    w_.ledger().decide(f.txn, Decision::kAbort);
  }

  void stage_answered(sim::Node& self, Flow& f) {
    if (f.outstanding > 0) return;
    if (f.state == Flow::State::kStopping) {
      finish(self, f, f.failure);
      return;
    }
    ++f.stage;
    start_stage(self, f);
  }

  void finish(sim::Node& self, Flow& f, Answer a) {
    const uint64_t txn = f.txn;
    if (a == Answer::kOk) {
      w_.ledger().decide(txn, Decision::kCommit);
      fire_async(self, txn);
    }
    answer(self, txn, a);
    w_.ledger().complete(txn, self.now());
    if (f.worker >= 0) self.release(static_cast<uint32_t>(f.worker));
    flows_.close(txn);
  }

  Caller caller_;
  FlowTable<Flow> flows_;  // volatile
};

class Orchestration final : public Pattern {
 public:
  void install(World& w) override {
    install_broker(w, behaviors_);
    const auto stores = step_stores(w);
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      if (!w.is_service(id)) continue;
      const ServiceId s = w.service_of(id);
      if (w.is_entry(s)) {
        behaviors_.push_back(std::make_unique<Orchestrator>(w, id));
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

const PatternInfo kOrchestrationPattern{
    "orchestration",
    "one orchestrator calls each step's service in turn; nothing is undone on failure",
    [](Transport) -> std::unique_ptr<Pattern> { return std::make_unique<Orchestration>(); },
    (1u << static_cast<unsigned>(Transport::kRpc)) | (1u << static_cast<unsigned>(Transport::kBroker)),
    Transport::kRpc,
    /*saga=*/false,
    /*atomic=*/false,
    /*may_block=*/false,
    /*durable_entry=*/false};

}  // namespace models
