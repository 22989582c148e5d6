#include "models/orchestration.hpp"

#include <memory>
#include <vector>

#include "models/flow_table.hpp"
#include "models/messages.hpp"
#include "models/participant.hpp"
#include "models/retry.hpp"
#include "models/world.hpp"

namespace models {
namespace {

enum TimerKind : uint64_t { kCallTimeout = 1, kRetryCall = 2 };
uint64_t timer_payload(uint64_t txn, uint32_t step, TimerKind k) {
  return (txn << 16) | (uint64_t{step} << 8) | k;
}

struct Call {
  enum class State : uint8_t { kIdle, kWaiting, kBackoff, kDone } state = State::kIdle;
  uint32_t attempt = 0;
  sim::TimerId timer;
};

struct Flow {
  uint64_t txn = 0;
  uint32_t stage = 0;
  uint32_t outstanding = 0;
  bool failed = false;
  Answer failure = Answer::kError;
  int32_t worker = -1;  // held worker (blocking call model), or -1
  std::vector<Call> calls;
  void reset(uint64_t t) {
    txn = t;
    stage = 0;
    outstanding = 0;
    failed = false;
    failure = Answer::kError;
    worker = -1;
    calls.clear();
  }
};

class Orchestrator final : public sim::Behavior {
 public:
  Orchestrator(World& w, sim::NodeId self)
      : w_(w), rng_(w.config().seed, "retry/" + w.node(self).name(), w.replication()) {}

  void on_message(sim::Node& self, const sim::Message& m) override {
    switch (m.type) {
      case kRequest:
        if (!self.submit(w_.workflow().entry_op(), m.txn)) reply(self, m.txn, Answer::kError);
        break;
      case kCallReply:
        on_reply(self, m);
        break;
      default:
        break;
    }
  }

  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) override {
    Flow& f = flows_.open(job.token);
    f.calls.resize(w_.workflow().steps().size());
    if (self.config().call_model == sim::CallModel::kBlocking) {
      self.hold(worker);
      f.worker = static_cast<int32_t>(worker);
    }
    start_stage(self, f);
  }

  void on_timer(sim::Node& self, uint64_t payload) override {
    const uint64_t txn = payload >> 16;
    const auto step = static_cast<uint32_t>((payload >> 8) & 0xff);
    Flow* f = flows_.find(txn);
    if (f == nullptr) return;
    Call& c = f->calls[step];
    if ((payload & 0xff) == kRetryCall) {
      send_call(self, *f, step);
      return;
    }
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
    fail(*f, Answer::kError);
    advance(self, *f);
  }

  void on_crash(sim::Node& self) override {
    (void)self;
    flows_.clear();  // volatile: every transaction in flight is lost
  }

 private:
  void start_stage(sim::Node& self, Flow& f) {
    const auto& stages = w_.workflow().stages();
    if (f.stage >= stages.size()) {
      finish(self, f);
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
    if (f == nullptr) return;
    Call& c = f->calls[m.step];
    if (c.state != Call::State::kWaiting && c.state != Call::State::kBackoff) return;
    self.cancel_timer(c.timer);
    c.state = Call::State::kDone;
    --f->outstanding;
    if (m.value == 0) {
      w_.ledger().decide_abort(f->txn);
      fail(*f, Answer::kRejected);
    }
    advance(self, *f);
  }

  void fail(Flow& f, Answer a) {
    if (f.failed) return;
    f.failed = true;
    f.failure = a;
  }

  // Moves on when the current stage has no call in flight.
  void advance(sim::Node& self, Flow& f) {
    if (f.outstanding > 0) return;
    if (f.failed) {
      finish(self, f);
      return;
    }
    ++f.stage;
    start_stage(self, f);
  }

  void finish(sim::Node& self, Flow& f) {
    const uint64_t txn = f.txn;
    reply(self, txn, f.failed ? f.failure : Answer::kOk);
    w_.ledger().complete(txn, self.now());
    if (f.worker >= 0) self.release(static_cast<uint32_t>(f.worker));
    flows_.close(txn);
  }

  void reply(sim::Node& self, uint64_t txn, Answer a) {
    sim::Message r;
    r.type = kReply;
    r.dst = w_.client();
    r.txn = txn;
    r.value = static_cast<int64_t>(a);
    w_.send(self, r);
  }

  World& w_;
  sim::Rng rng_;
  FlowTable<Flow> flows_;
};

class Orchestration final : public Pattern {
 public:
  void install(World& w) override {
    const sim::NodeId entry = w.workflow().entry();
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      if (!w.is_service(id)) continue;
      if (id == entry) {
        behaviors_.push_back(std::make_unique<Orchestrator>(w, id));
      } else {
        behaviors_.push_back(std::make_unique<StepServer>(w, id));
      }
      w.node(id).set_behavior(behaviors_.back().get());
    }
  }

 private:
  std::vector<std::unique_ptr<sim::Behavior>> behaviors_;
};

}  // namespace

std::unique_ptr<Pattern> make_orchestration() { return std::make_unique<Orchestration>(); }

}  // namespace models
