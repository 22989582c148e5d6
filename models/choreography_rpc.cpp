// Choreography over RPC (see choreography_rpc.hpp for the protocol): a ChainEntry on the
// entry service's replicas, a Link server on every other service's replicas.
#include "models/choreography_rpc.hpp"

#include <memory>
#include <unordered_map>
#include <vector>

#include "models/broker.hpp"
#include "models/calls.hpp"
#include "models/entry.hpp"
#include "models/flow_table.hpp"
#include "models/grow.hpp"
#include "models/messages.hpp"
#include "models/service_node.hpp"
#include "models/step_store.hpp"
#include "models/token.hpp"
#include "models/world.hpp"

namespace models {
namespace {

enum ChainMessage : uint32_t {
  kChainCall = 100,    // step = the callee's, value = 1 (the caller did its step) or 0,
                       // flags = the caller's step (kFromEntry), ref = the caller's link
  kChainAnswer = 101,  // step = the callee's, value = StepResult, ref echoed, attempt echoed
};
constexpr uint32_t kFromEntry = 63;  // the caller of a first-stage step

// Timer kinds (below ServiceNode's).
enum ChainKind : uint32_t { kChainTimeout = 1, kChainRetry = 2, kLinkKey = 3 };

// Refused beats a technical error, which beats done.
StepResult combine(StepResult a, StepResult b) {
  if (a == StepResult::kRefused || b == StepResult::kRefused) return StepResult::kRefused;
  if (a == StepResult::kError || b == StepResult::kError) return StepResult::kError;
  return StepResult::kDone;
}

// The result a caller takes for a callee that failed all its attempts: a technical error,
// unless the callee is an optional step with nothing after it (left out, the answer
// degraded). An optional step with successors cannot be skipped: they are called by it.
StepResult unreachable(World& w, uint64_t txn, uint32_t callee) {
  const Workflow& wf = w.workflow(txn);
  if (wf.steps()[callee].optional && wf.stage_of(callee) + 1 == wf.stages().size()) {
    w.ledger().degrade(txn);
    return StepResult::kDone;
  }
  return StepResult::kError;
}

// A join: a step of a stage after one with several steps.
bool is_join(const Workflow& wf, uint32_t step) {
  const uint32_t k = wf.stage_of(step);
  return k > 0 && wf.stages()[k - 1].size() > 1;
}

// Calls the steps of a stage: the entry's first stage, or a link's successors.
sim::Message chain_call(uint64_t txn, uint32_t callee, uint32_t from, bool ok, uint64_t ref) {
  sim::Message m;
  m.type = kChainCall;
  m.txn = txn;
  m.step = callee;
  m.value = ok ? 1 : 0;
  m.flags = from;
  m.ref = ref;
  return m;
}

// The replica every caller of a join reaches (a hash of the transaction).
sim::NodeId join_replica(const World& w, uint64_t txn, uint32_t step, ServiceId s) {
  const uint32_t n = w.replicas(s);
  if (n == 1) return w.first_replica(s);
  const double u = hashed_uniform(w.config().seed, w.replication(), txn, step, kJoinReplica);
  return w.first_replica(s) + std::min(n - 1, static_cast<uint32_t>(u * n));
}

void send_chain_call(World& w, Caller& caller, sim::Node& self, Call& c, const sim::Message& m,
                     uint64_t payload) {
  const Workflow& wf = w.workflow(m.txn);
  const ServiceId s = wf.steps()[m.step].service;
  if (is_join(wf, m.step)) {
    caller.send_to(self, c, m, join_replica(w, m.txn, m.step, s), w.config().timeouts.call, payload);
  } else {
    caller.send(self, c, m, s, w.config().timeouts.call, payload);
  }
}

// ---------------------------------------------------------------- entry
class ChainEntry final : public EntryService {
 public:
  ChainEntry(World& w, sim::NodeId self) : EntryService(w, self), caller_(w, self) { flows_.follow(w.ledger().released()); }

  void on_message(sim::Node& self, const sim::Message& m) override {
    if (relayed(m)) return;
    if (m.type == kRequest) {
      accept(self, m);
    } else if (m.type == kChainAnswer) {
      on_answer(self, m);
    }
  }

  void on_timer(sim::Node& self, uint64_t payload) override {
    const Token t = Token::unpack(payload);
    Flow* f = flows_.find(t.txn);
    if (f == nullptr) return;
    Call& c = f->calls[t.step];
    if (t.kind == kChainRetry && c.state == Call::State::kBackoff) {
      send(self, *f, t.step);
    } else if (t.kind == kChainTimeout && c.state == Call::State::kWaiting) {
      caller_.expired(c);
      attempt_failed(self, *f, t.step);
    }
  }

  void on_crash(sim::Node& self) override {
    (void)self;
    flows_.clear();  // volatile: the chains below go on, nobody answers the client
  }

 private:
  struct Flow {
    uint64_t txn = 0;
    uint32_t outstanding = 0;
    StepResult result = StepResult::kDone;
    int32_t worker = -1;
    std::vector<Call> calls;  // by step
    void reset(uint64_t t) {
      txn = t;
      outstanding = 0;
      result = StepResult::kDone;
      worker = -1;
      calls.clear();
    }
  };

  void begin(sim::Node& self, uint64_t txn, int32_t worker) override {
    Flow& f = flows_.open(txn);
    f.calls.resize(w_.workflow(txn).steps().size());
    f.worker = worker;
    const auto& stages = w_.workflow(txn).stages();
    if (stages.empty()) {  // only the entry's own work (and async steps)
      f.outstanding = 1;
      answered(self, f, StepResult::kDone);
      return;
    }
    f.outstanding = static_cast<uint32_t>(stages.front().size());
    for (uint32_t s : stages.front()) send(self, f, s);
  }

  void send(sim::Node& self, Flow& f, uint32_t s) {
    send_chain_call(w_, caller_, self, f.calls[s], chain_call(f.txn, s, kFromEntry, true, 0),
                    pack(f.txn, s, kChainTimeout));
  }

  void on_answer(sim::Node& self, const sim::Message& m) {
    Flow* f = flows_.find(m.txn);
    if (f == nullptr || m.step >= f->calls.size()) return;
    switch (caller_.reply(self, f->calls[m.step], m)) {
      case Caller::Reply::kStale:
        return;
      case Caller::Reply::kFailedAttempt:
        attempt_failed(self, *f, m.step);
        return;
      case Caller::Reply::kAnswered:
        break;
    }
    answered(self, *f, static_cast<StepResult>(m.value));
  }

  void attempt_failed(sim::Node& self, Flow& f, uint32_t s) {
    if (caller_.retry_later(self, f.calls[s], f.txn, s, w_.config().retry.attempts, kChainRetry)) {
      return;
    }
    answered(self, f, unreachable(w_, f.txn, s));
  }

  void answered(sim::Node& self, Flow& f, StepResult r) {
    f.result = combine(f.result, r);
    if (--f.outstanding > 0) return;
    const uint64_t txn = f.txn;
    const Answer a = f.result == StepResult::kDone      ? Answer::kOk
                     : f.result == StepResult::kRefused ? Answer::kRejected
                                                        : Answer::kError;
    w_.ledger().decide(txn, a == Answer::kOk ? Decision::kCommit : Decision::kAbort);
    if (a == Answer::kOk) fire_async(self, txn);
    answer(self, txn, a);
    w_.ledger().complete(txn, self.now());
    if (f.worker >= 0) self.release(static_cast<uint32_t>(f.worker));
    flows_.close(txn);
  }

  Caller caller_;
  FlowTable<Flow> flows_;  // volatile
};

// ---------------------------------------------------------------- links
// What a service keeps durably: its steps' outcomes, and the joins' inputs.
struct ChainRecord {
  ChainRecord(World& w, ServiceId s) : store(w, s) {}
  StepStore store;
  struct Inputs {
    uint32_t heard = 0, done = 0;  // predecessors heard from, and those that did their step
  };
  std::unordered_map<uint64_t, Inputs> joins;  // by Token(txn, step, kLinkKey)
};

class LinkServer final : public ServiceNode {
 public:
  LinkServer(World& w, sim::NodeId self, ChainRecord& rec)
      : ServiceNode(w, self, /*keep_worker=*/true), rec_(rec), next_caller_(w, self) {}

 protected:
  void handle(sim::Node& self, const sim::Message& m) override {
    if (m.type == kChainCall) {
      on_call(self, m);
    } else if (m.type == kChainAnswer) {
      on_answer(self, m);
    }
  }

  void run_done(sim::Node& self, uint64_t c, StepResult r) override {
    run_done_keeping(self, c, r, -1);
  }

  void run_done_keeping(sim::Node& self, uint64_t c, StepResult ran, int32_t worker) override {
    const auto slot = static_cast<uint32_t>(cookie_value(c));
    Link& l = links_[slot];
    l.worker = worker;
    if (ran == StepResult::kError) {  // a call of the step's tree failed: nothing applied
      rec_.store.abandon(l.txn, l.step);
      finish(self, slot, StepResult::kError);
      return;
    }
    const Step& step = w_.workflow(l.txn).steps()[l.step];
    StepResult r = rec_.store.execute(l.txn, step, l.attempt, self.now());
    if (r == StepResult::kTombstoned) r = StepResult::kRefused;
    ran_step(self, slot, r);
  }

  void timer(sim::Node& self, uint64_t payload) override {
    const Token t = Token::unpack(payload);
    const auto slot = static_cast<uint32_t>(t.txn);
    if (slot >= links_.size() || !links_[slot].live || links_[slot].gen_part != t.part) return;
    Link& l = links_[slot];
    if (t.step >= l.next.size()) return;
    Call& c = l.next[t.step];
    if (t.kind == kChainRetry && c.state == Call::State::kBackoff) {
      send_next(self, slot, t.step);
    } else if (t.kind == kChainTimeout && c.state == Call::State::kWaiting) {
      next_caller_.expired(c);
      next_failed(self, slot, t.step);
    }
  }

  void crashed(sim::Node& self) override {
    // Volatile: the open links are lost (their held workers went with the crash); the slots
    // keep their generations, so a late answer is not taken for a new link's.
    free_.clear();
    for (uint32_t s = static_cast<uint32_t>(links_.size()); s-- > 0;) {
      links_[s].live = false;
      free_.push_back(s);
    }
    open_.clear();
    rec_.store.crash(self.id());
  }

 private:
  struct Link {
    enum class Phase : uint8_t { kWaiting, kRunning, kForwarding };
    bool live = false;
    uint32_t gen = 0;
    uint32_t gen_part = 0;  // gen, as far as a Token's part holds it (timers)
    Phase phase = Phase::kWaiting;
    uint64_t txn = 0;
    uint32_t step = 0, attempt = 0;
    StepResult result = StepResult::kDone;
    int32_t worker = -1;
    uint32_t outstanding = 0;
    std::vector<sim::Message> callers;  // the calls to answer
    std::vector<uint32_t> next_steps;   // the successors called
    std::vector<Call> next;
  };

  uint64_t ref_of(uint32_t slot) const { return (uint64_t{links_[slot].gen} << 32) | slot; }

  uint32_t open_link(uint64_t txn, uint32_t step) {
    const uint64_t key = pack(txn, step, kLinkKey);
    if (const auto it = open_.find(key); it != open_.end()) return it->second;
    const uint32_t slot = take_slot(links_, free_);
    Link& l = links_[slot];
    l.live = true;
    ++l.gen;
    l.gen_part = l.gen & Token::kMaxPart;
    l.phase = Link::Phase::kWaiting;
    l.txn = txn;
    l.step = step;
    l.attempt = 0;
    l.result = StepResult::kDone;
    l.worker = -1;
    l.outstanding = 0;
    l.callers.clear();
    l.next_steps.clear();
    l.next.clear();
    open_.emplace(key, slot);
    return slot;
  }

  void on_call(sim::Node& self, const sim::Message& m) {
    const Workflow& wf = w_.workflow(m.txn);
    const bool join = is_join(wf, m.step);
    ChainRecord::Inputs* in = nullptr;
    if (join) {
      in = &rec_.joins[pack(m.txn, m.step, kLinkKey)];
      const uint32_t bit = 1u << m.flags;
      in->heard |= bit;
      if (m.value == 1) in->done |= bit;
    }
    const uint32_t slot = open_link(m.txn, m.step);
    Link& l = links_[slot];
    l.callers.push_back(m);
    if (l.phase != Link::Phase::kWaiting) return;  // busy: answered with the others
    l.attempt = m.attempt;
    if (join) {
      uint32_t need = 0;
      for (uint32_t p : wf.stages()[wf.stage_of(m.step) - 1]) need |= 1u << p;
      if ((in->heard & need) != need) return;  // a join waits for all its inputs
      if ((in->done & need) != need) {         // one of them did not do its step
        forward(self, slot, false, StepResult::kRefused);
        return;
      }
    }
    if (const auto r = rec_.store.recorded(m.txn, m.step)) {  // the inbox: it ran already
      ran_step(self, slot, *r);
      return;
    }
    if (!rec_.store.start(m.txn, m.step, self.id())) return;  // running elsewhere
    l.phase = Link::Phase::kRunning;
    if (!run(self, m.txn, m.step, m.attempt, cookie(slot))) {  // a full queue: lost, like a drop
      rec_.store.abandon(m.txn, m.step);
      l.phase = Link::Phase::kWaiting;
    }
  }

  // The link's own step has a result.
  void ran_step(sim::Node& self, uint32_t slot, StepResult r) {
    Link& l = links_[slot];
    // An optional step that refused, or failed its caller's last attempt, is left out: its
    // successors are still called. (Earlier technical errors are the caller's to retry.)
    const uint32_t limit = w_.config().retry.attempts;
    const bool last_try = r == StepResult::kRefused || (limit != 0 && l.attempt >= limit);
    if (r != StepResult::kDone && last_try && w_.workflow(l.txn).steps()[l.step].optional) {
      w_.ledger().degrade(l.txn);
      r = StepResult::kDone;
    }
    switch (r) {
      case StepResult::kError:  // a technical error: the callers try again
        finish(self, slot, StepResult::kError);
        return;
      case StepResult::kRefused:
        w_.ledger().refuse(l.txn);
        w_.ledger().decide(l.txn, Decision::kAbort);
        forward(self, slot, false, StepResult::kRefused);
        return;
      default:
        forward(self, slot, true, StepResult::kDone);
        return;
    }
  }

  // Calls the successors (those that must hear: all of them when the step was done, the
  // joins when it was not), then answers.
  void forward(sim::Node& self, uint32_t slot, bool ok, StepResult r) {
    Link& l = links_[slot];
    l.result = r;
    const Workflow& wf = w_.workflow(l.txn);
    const uint32_t k = wf.stage_of(l.step);
    if (k + 1 < wf.stages().size()) {
      for (uint32_t s : wf.stages()[k + 1]) {
        if (ok || is_join(wf, s)) l.next_steps.push_back(s);
      }
    }
    if (l.next_steps.empty()) {
      finish(self, slot, r);
      return;
    }
    l.phase = Link::Phase::kForwarding;
    l.next.assign(l.next_steps.size(), Call{});
    l.outstanding = static_cast<uint32_t>(l.next_steps.size());
    for (uint32_t i = 0; i < l.next_steps.size(); ++i) send_next(self, slot, i);
  }

  void send_next(sim::Node& self, uint32_t slot, uint32_t i) {
    Link& l = links_[slot];
    const bool ok = l.result == StepResult::kDone;
    send_chain_call(w_, next_caller_, self, l.next[i],
                    chain_call(l.txn, l.next_steps[i], l.step, ok, ref_of(slot)),
                    pack(slot, i, kChainTimeout, l.gen_part));
  }

  void on_answer(sim::Node& self, const sim::Message& m) {
    const auto slot = static_cast<uint32_t>(m.ref & 0xffff'ffffu);
    if (slot >= links_.size() || !links_[slot].live || links_[slot].gen != (m.ref >> 32)) return;
    Link& l = links_[slot];
    uint32_t i = 0;
    while (i < l.next_steps.size() && l.next_steps[i] != m.step) ++i;
    if (i == l.next_steps.size()) return;
    switch (next_caller_.reply(self, l.next[i], m)) {
      case Caller::Reply::kStale:
        return;
      case Caller::Reply::kFailedAttempt:
        next_failed(self, slot, i);
        return;
      case Caller::Reply::kAnswered:
        break;
    }
    next_answered(self, slot, static_cast<StepResult>(m.value));
  }

  void next_failed(sim::Node& self, uint32_t slot, uint32_t i) {
    Link& l = links_[slot];
    if (next_caller_.retry_later(self, l.next[i], l.txn, w_.config().retry.attempts,
                            pack(slot, i, kChainRetry, l.gen_part))) {
      return;
    }
    next_answered(self, slot, unreachable(w_, l.txn, l.next_steps[i]));
  }

  void next_answered(sim::Node& self, uint32_t slot, StepResult r) {
    Link& l = links_[slot];
    l.result = combine(l.result, r);
    if (--l.outstanding == 0) finish(self, slot, l.result);
  }

  // Answers every caller of the link, and closes it.
  void finish(sim::Node& self, uint32_t slot, StepResult r) {
    Link& l = links_[slot];
    for (Call& c : l.next) next_caller_.abandon(self, c);
    for (const sim::Message& call : l.callers) {
      sim::Message a;
      a.type = kChainAnswer;
      a.dst = call.src;
      a.txn = call.txn;
      a.step = call.step;
      a.attempt = call.attempt;
      a.value = static_cast<int64_t>(r);
      a.ref = call.ref;
      w_.send(self, a);
    }
    if (l.worker >= 0) self.release(static_cast<uint32_t>(l.worker));
    l.live = false;
    l.callers.clear();
    l.next.clear();
    open_.erase(pack(l.txn, l.step, kLinkKey));
    free_.push_back(slot);
  }

  ChainRecord& rec_;  // the service's, durable
  Caller next_caller_;     // calls to the successors
  std::vector<Link> links_;  // volatile
  std::vector<uint32_t> free_;
  std::unordered_map<uint64_t, uint32_t> open_;  // Token(txn, step) -> open link
};

class ChoreographyRpc final : public Pattern {
 public:
  void install(World& w) override {
    install_broker(w, behaviors_);
    for (ServiceId s = 0; s < w.service_count(); ++s) records_.push_back(std::make_unique<ChainRecord>(w, s));
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      if (!w.is_service(id)) continue;
      const ServiceId s = w.service_of(id);
      if (w.is_entry(s)) {
        behaviors_.push_back(std::make_unique<ChainEntry>(w, id));
      } else {
        behaviors_.push_back(std::make_unique<LinkServer>(w, id, *records_[s]));
      }
      w.node(id).set_behavior(behaviors_.back().get());
    }
  }

 private:
  std::vector<std::unique_ptr<ChainRecord>> records_;  // by service
  std::vector<std::unique_ptr<sim::Behavior>> behaviors_;
};

}  // namespace

std::unique_ptr<Pattern> make_choreography_rpc() { return std::make_unique<ChoreographyRpc>(); }

const char* chain_message_name(uint32_t type) {
  switch (type) {
    case kChainCall: return "ChainCall";
    case kChainAnswer: return "ChainAnswer";
    default: return nullptr;
  }
}

}  // namespace models
