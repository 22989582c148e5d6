// Try-confirm-cancel (see tcc.hpp for the protocol): a Coordinator on the entry service, a
// Reserver on every other service.
#include "models/txn_array.hpp"
#include "models/tcc.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_map>
#include <set>
#include <unordered_set>
#include <vector>

#include "models/broker.hpp"
#include "models/calls.hpp"
#include "models/entry.hpp"
#include "models/flow_table.hpp"
#include "models/grow.hpp"
#include "models/messages.hpp"
#include "models/service_node.hpp"
#include "models/step_server.hpp"
#include "models/step_store.hpp"
#include "models/token.hpp"
#include "models/world.hpp"
#include "sim/timeout_queue.hpp"

namespace models {
namespace {

// TCC's own messages (a pattern's types are 100 and up).
enum TccMessage : uint32_t {
  kTry = 100,           // step, attempt
  kTryReply = 101,      // value = StepResult; flags = 1 if reserved; ref = its expiry (ns)
  kConfirm = 102,       // step
  kConfirmReply = 103,  // value = 1 confirmed, 0 expired
  kCancel = 104,        // step
};
constexpr uint32_t kReservedFlag = 1;  // kTryReply: the step holds a reservation

// ---------------------------------------------------------------- coordinator
enum CoordKind : uint32_t { kTryTimeout = 1, kRetryTry = 2, kDecisionForced = 3, kResend = 4 };

struct Flow {
  enum class Phase : uint8_t { kTrying, kForcing, kConfirming };
  Phase phase = Phase::kTrying;
  uint64_t txn = 0;
  uint32_t stage = 0;
  uint32_t outstanding = 0;
  uint32_t tried = 0;       // steps whose try was sent
  uint32_t unreserved = 0;  // steps whose try was answered without a reservation
  uint32_t reserved = 0;    // steps that hold a reservation
  uint32_t confirmed = 0;   // steps that answered confirmed
  uint32_t expired = 0;     // steps that answered expired (the heuristic outcome)
  sim::Time expiry = sim::Time::max();  // the earliest reservation's
  int32_t worker = -1;
  bool answered = false;
  sim::TimerId resend;
  std::vector<Call> calls;  // the tries, by step
  void reset(uint64_t t) {
    phase = Phase::kTrying;
    txn = t;
    stage = 0;
    outstanding = tried = unreserved = reserved = confirmed = expired = 0;
    expiry = sim::Time::max();
    worker = -1;
    answered = false;
    resend = {};
    calls.clear();
  }
};

class Coordinator final : public EntryService {
 public:
  Coordinator(World& w, sim::NodeId self) : EntryService(w, self), caller_(w, self) { flows_.follow(w.ledger().released()); }

  void on_message(sim::Node& self, const sim::Message& m) override {
    if (relayed(m)) return;
    if (!caller_.receive(self, m)) return;
    switch (m.type) {
      case kRequest:
        accept(self, m);
        break;
      case kTryReply:
        on_try_reply(self, m);
        break;
      case kConfirmReply:
        on_confirm_reply(self, m);
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
      case kRetryTry:
        if (f->calls[t.step].state == Call::State::kBackoff) send_try(self, *f, t.step);
        break;
      case kTryTimeout:
        if (f->calls[t.step].state == Call::State::kWaiting) {
          caller_.expired(f->calls[t.step]);
          try_failed(self, *f, t.step);
        }
        break;
      case kDecisionForced:
        if (f->phase == Flow::Phase::kForcing) confirm_logged(self, *f);
        break;
      case kResend:
        if (f->phase == Flow::Phase::kConfirming) send_confirms(self, *f);
        break;
      default:
        break;
    }
  }

  void on_crash(sim::Node& self) override {
    (void)self;
    flows_.clear();  // undecided transactions are lost; their reservations expire
    caller_.crashed();
  }

  void on_recover(sim::Node& self) override {
    // Confirm again every transaction decided and not finished (the durable record).
    std::vector<uint64_t> open;
    for (const auto& [txn, d] : decided_) open.push_back(txn);
    std::sort(open.begin(), open.end());
    for (uint64_t txn : open) {
      Flow& f = open_flow(txn);
      f.answered = true;  // the client's connection died with the crash
      const Decided& d = decided_.at(txn);
      f.reserved = d.mask;
      f.phase = Flow::Phase::kConfirming;
      send_confirms(self, f);
    }
  }

 private:
  Flow& open_flow(uint64_t txn) {
    Flow& f = flows_.open(txn);
    f.calls.resize(w_.workflow(txn).steps().size());
    return f;
  }

  // The request is served (on `worker`, held, or -1): try the steps, stage by stage.
  void begin(sim::Node& self, uint64_t txn, int32_t worker) override {
    Flow& f = open_flow(txn);
    f.worker = worker;
    start_stage(self, f);
  }

  void start_stage(sim::Node& self, Flow& f) {
    const auto& stages = w_.workflow(f.txn).stages();
    if (f.stage >= stages.size()) {
      decide(self, f);
      return;
    }
    for (uint32_t s : stages[f.stage]) {
      ++f.outstanding;
      send_try(self, f, s);
    }
  }

  void send_try(sim::Node& self, Flow& f, uint32_t s) {
    f.tried |= 1u << s;
    caller_.send(self, f.calls[s], kTry, f.txn, s, kTryTimeout);
  }

  void on_try_reply(sim::Node& self, const sim::Message& m) {
    Flow* f = flows_.find(m.txn);
    if (f == nullptr || f->phase != Flow::Phase::kTrying) return;
    switch (caller_.reply(self, f->calls[m.step], m)) {
      case Caller::Reply::kStale:
        return;
      case Caller::Reply::kFailedAttempt:
        try_failed(self, *f, m.step);
        return;
      case Caller::Reply::kAnswered:
        break;
    }
    if (!(m.flags & kReservedFlag)) f->unreserved |= 1u << m.step;
    const bool optional = w_.workflow(f->txn).steps()[m.step].optional;
    if (m.value == static_cast<int64_t>(StepResult::kRefused) && optional) {
      w_.ledger().degrade(f->txn);  // left out (it reserved nothing)
    } else if (m.value == static_cast<int64_t>(StepResult::kRefused)) {
      w_.ledger().refuse(f->txn);
      cancel(self, *f, Answer::kRejected);
      return;
    }
    if (m.flags & kReservedFlag) {
      f->reserved |= 1u << m.step;
      f->expiry = std::min(f->expiry, sim::Time::from_ns(static_cast<int64_t>(m.ref)));
    }
    if (--f->outstanding == 0) {
      ++f->stage;
      start_stage(self, *f);
    }
  }

  void try_failed(sim::Node& self, Flow& f, uint32_t s) {
    if (caller_.retry_later(self, f.calls[s], f.txn, s, w_.config().retry.attempts, kRetryTry)) {
      return;
    }
    if (w_.workflow(f.txn).steps()[s].optional) {  // left out: it has nothing to reserve
      w_.ledger().degrade(f.txn);
      f.unreserved |= 1u << s;
      if (--f.outstanding == 0) {
        ++f.stage;
        start_stage(self, f);
      }
      return;
    }
    cancel(self, f, Answer::kError);
  }

  // Every try reserved: confirm, if every reservation lives long enough for it.
  void decide(sim::Node& self, Flow& f) {
    const sim::Time margin = w_.config().timeouts.call;
    if (f.reserved != 0 && sim::Time::saturating_add(self.now(), margin) >= f.expiry) {
      cancel(self, f, Answer::kError);
      return;
    }
    f.phase = Flow::Phase::kForcing;
    const sim::Time force = w_.config().timeouts.log_force;
    if (force > sim::Time::zero()) {
      self.set_timer(force, pack(f.txn, 0, kDecisionForced));
    } else {
      confirm_logged(self, f);
    }
  }

  // The confirm decision is durable: tell the client and the participants.
  void confirm_logged(sim::Node& self, Flow& f) {
    w_.ledger().decide(f.txn, Decision::kCommit);
    fire_async(self, f.txn);
    reply(self, f, Answer::kOk);
    if (f.reserved == 0) {  // nothing was reserved (no side effects): nothing to confirm
      finish(self, f);
      return;
    }
    decided_[f.txn].mask = f.reserved;
    f.phase = Flow::Phase::kConfirming;
    send_confirms(self, f);
  }

  // Sends kConfirm to every reserved step that has not answered; again after timeouts.call.
  void send_confirms(sim::Node& self, Flow& f) {
    const uint32_t waiting = f.reserved & ~(f.confirmed | f.expired);
    for (uint32_t s = 0; s < 32; ++s) {
      if (waiting & (1u << s)) send(self, kConfirm, f, s);
    }
    // Over the broker the confirms are delivered until answered: sent again only once the
    // broker would have given them up.
    const sim::Time wait = caller_.channel().attempt_timeout(w_.config().timeouts.call);
    if (wait != sim::Time::max()) f.resend = self.set_timer(wait, pack(f.txn, 0, kResend));
  }

  void on_confirm_reply(sim::Node& self, const sim::Message& m) {
    Flow* f = flows_.find(m.txn);
    if (f == nullptr || f->phase != Flow::Phase::kConfirming) return;
    (m.value == 1 ? f->confirmed : f->expired) |= 1u << m.step;
    if (((f->confirmed | f->expired) & f->reserved) != f->reserved) return;
    self.cancel_timer(f->resend);
    decided_.erase(f->txn);
    finish(self, *f);
  }

  // The transaction is abandoned: cancel every step that may hold a reservation (tried,
  // and not answered without one), once; the expiry backs a lost cancel up.
  void cancel(sim::Node& self, Flow& f, Answer a) {
    w_.ledger().decide(f.txn, Decision::kAbort);
    for (Call& c : f.calls) caller_.abandon(self, c);
    const uint32_t to_cancel = f.tried & ~f.unreserved;
    for (uint32_t s = 0; s < 32; ++s) {
      if (to_cancel & (1u << s)) send(self, kCancel, f, s);
    }
    reply(self, f, a);
    finish(self, f);
  }

  // Every path has answered the client by now (or its connection died with a crash).
  void finish(sim::Node& self, Flow& f) {
    const uint64_t txn = f.txn;
    w_.ledger().complete(txn, self.now());
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

  // Confirms and cancels go to any replica of the step's service (its reservations are
  // the service's, shared by its replicas).
  void send(sim::Node& self, uint32_t type, const Flow& f, uint32_t step) {
    sim::Message m;
    m.type = type;
    m.txn = f.txn;
    m.step = step;
    const ServiceId s = w_.workflow(f.txn).steps()[step].service;
    const sim::NodeId node = caller_.channel().via_broker() ? sim::kNoNode : caller_.balancer().pick(s);
    caller_.channel().to_service(self, m, s, node);
  }

  Caller caller_;
  FlowTable<Flow> flows_;              // volatile
  // Durable: the confirm decisions not yet finished (the steps to confirm).
  struct Decided {
    uint32_t mask = 0;
  };
  std::unordered_map<uint64_t, Decided> decided_;
};

// ---------------------------------------------------------------- participant
enum ReserverKind : uint32_t {
  kConfirmWork = 2, kCancelWork = 3, kExpire = 4, kExpiryQueue = 5, kKey = 6
};

enum class ReservationState : uint8_t { kNone, kReserved, kConfirmed, kCancelled, kExpired };

// A service's reservations, in its datastore, shared by its replicas: durable, per
// (transaction, step), each with the replica whose expiry timer guards it; and, volatile,
// the replica confirming one now. (The effects, once confirmed, are the service's
// StepStore's.)
struct Reservations {
  struct Entry {
    ReservationState state = ReservationState::kNone;
    sim::Time expiry;
    sim::NodeId holder = sim::kNoNode;  // the replica that made it: its timer expires it
    uint64_t timeout = 0;               // its id in the holder's expiry queue
  };
  std::vector<TxnArray<Entry>> entries = std::vector<TxnArray<Entry>>(kMaxSteps);
  std::set<uint64_t> open;                                // reserved, not yet decided
  std::unordered_map<uint64_t, sim::NodeId> confirming;  // volatile: -> the replica
};

// A replica of a service with reservations.
class Reserver final : public ServiceNode {
 public:
  Reserver(World& w, sim::NodeId self, std::shared_ptr<StepStore> store, Reservations& res)
      : ServiceNode(w, self),
        store_(std::move(store)),
        res_(res),
        expiries_(w.config().tcc.expiry, Token::tag(kExpiryQueue)) {}

 protected:
  void handle(sim::Node& self, const sim::Message& m) override {
    switch (m.type) {
      case kTry:
        on_try(self, m);
        break;
      case kConfirm:
        on_confirm(self, m);
        break;
      case kCancel:
        on_cancel(self, m);
        break;
      default:
        break;
    }
  }

  void job_done(sim::Node& self, const sim::Job& job, uint32_t) override {
    const Token t = Token::unpack(job.token);
    if (t.kind == kConfirmWork) confirmed(self, t.txn, w_.workflow(t.txn).steps()[t.step]);
  }

  // A try's action and its calls are done.
  void run_done(sim::Node& self, uint64_t c, StepResult r) override {
    tried(self, static_cast<uint32_t>(cookie_value(c)), r);
  }

  void timer(sim::Node& self, uint64_t payload) override {
    const Token t = Token::unpack(payload);
    if (t.kind == kExpiryQueue) {
      expiries_.expire(self, [&](uint64_t k) { expire(Token::unpack(k).txn, Token::unpack(k).step); });
    } else if (t.kind == kExpire) {  // a reservation's remaining time after a recovery
      expire(t.txn, t.step);
    }
  }

  void crashed(sim::Node& self) override {
    for (auto it = res_.confirming.begin(); it != res_.confirming.end();) {
      it = it->second == self.id() ? res_.confirming.erase(it) : std::next(it);
    }
    executing_.clear();
    confirming_.clear();
    replies_.clear();
    free_.clear();
    expiries_.clear();
  }

  void recovered(sim::Node& self) override {
    // The expiry timers of the reservations it holds died with the crash: expire what is
    // past, re-arm the rest.
    const std::vector<uint64_t> open(res_.open.begin(), res_.open.end());
    for (uint64_t key : open) {
      const Token t = Token::unpack(key);
      if (entry(t.txn, t.step).holder != self.id()) continue;
      const sim::Time at = entry(t.txn, t.step).expiry;
      if (at <= self.now()) {
        expire(t.txn, t.step);
      } else {
        self.set_timer(at - self.now(), pack(t.txn, t.step, kExpire));
      }
    }
  }

 private:
  using State = ReservationState;
  using Entry = Reservations::Entry;
  Entry& entry(uint64_t txn, uint32_t step) {
    return res_.entries[step].at(txn);
  }
  static uint64_t key(uint64_t txn, uint32_t step) { return pack(txn, step, kKey); }

  void on_try(sim::Node& self, const sim::Message& m) {
    const Entry& e = entry(m.txn, m.step);
    switch (e.state) {
      case State::kReserved:
      case State::kConfirmed:
        reply_try(self, m, StepResult::kDone, e.expiry);  // a retry: the same reservation
        return;
      case State::kCancelled:
      case State::kExpired:
        reply_try(self, m, StepResult::kRefused, {});  // cancelled before: a late try
        return;
      case State::kNone:
        break;
    }
    if (!executing_.insert(key(m.txn, m.step)).second) return;  // running: its reply follows
    const uint32_t slot = stash(m);
    if (!run(self, m.txn, m.step, m.attempt, cookie(slot))) {  // a full queue: lost, like a drop
      executing_.erase(key(m.txn, m.step));
      free_.push_back(slot);
    }
  }

  void tried(sim::Node& self, uint32_t slot, StepResult ran) {
    const sim::Message m = replies_[slot];
    free_.push_back(slot);
    const uint64_t txn = m.txn;
    const Step& step = w_.workflow(txn).steps()[m.step];
    executing_.erase(key(txn, step.index));
    Entry& e = entry(txn, step.index);
    if (e.state == State::kCancelled) {
      reply_try(self, m, StepResult::kRefused, {});
      return;
    }
    if (ran == StepResult::kError || w_.technical_error(txn, step, m.attempt)) {
      reply_try(self, m, StepResult::kError, {});
      return;
    }
    if (w_.refuses(txn, step)) {
      reply_try(self, m, StepResult::kRefused, {});
      return;
    }
    if (!step.side_effect) {  // nothing to reserve
      reply_try(self, m, StepResult::kDone, {}, false);
      return;
    }
    if (e.state != State::kNone) {  // another replica's execution of a retry decided first
      const bool held = e.state == State::kReserved || e.state == State::kConfirmed;
      reply_try(self, m, held ? StepResult::kDone : StepResult::kRefused, e.expiry, held);
      return;
    }
    e.state = State::kReserved;
    e.expiry = sim::Time::saturating_add(self.now(), w_.config().tcc.expiry);
    e.holder = self.id();
    res_.open.insert(key(txn, step.index));
    e.timeout = expiries_.arm(self, key(txn, step.index));
    reply_try(self, m, StepResult::kDone, e.expiry);
  }

  void on_confirm(sim::Node& self, const sim::Message& m) {
    // Past its time (its holder was down when it should have expired): expired now.
    if (entry(m.txn, m.step).state == State::kReserved && self.now() >= entry(m.txn, m.step).expiry &&
        !res_.confirming.count(key(m.txn, m.step))) {
      expire(m.txn, m.step);
    }
    const Entry& e = entry(m.txn, m.step);
    if (e.state == State::kConfirmed) {
      reply(self, m, kConfirmReply, 1);  // a repeated confirm
      return;
    }
    if (e.state != State::kReserved) {  // expired (or never reserved): the heuristic outcome
      reply(self, m, kConfirmReply, 0);
      return;
    }
    if (!res_.confirming.emplace(key(m.txn, m.step), self.id()).second) return;  // being confirmed
    confirming_[key(m.txn, m.step)] = m;
    const Step& step = w_.workflow(m.txn).steps()[m.step];
    if (step.confirm_op && self.submit(*step.confirm_op, pack(m.txn, m.step, kConfirmWork),
                                       subject(m.txn, m.step))) return;
    confirmed(self, m.txn, step);
  }

  void confirmed(sim::Node& self, uint64_t txn, const Step& step) {
    const auto it = confirming_.find(key(txn, step.index));
    if (it == confirming_.end()) return;  // lost in a crash meanwhile
    const sim::Message request = it->second;
    confirming_.erase(it);
    res_.confirming.erase(key(txn, step.index));
    Entry& e = entry(txn, step.index);
    if (e.state == State::kReserved) {
      e.state = State::kConfirmed;
      release(self, txn, step.index);
      store_->apply(txn, step, self.now());
      w_.ledger().participant_decided(txn, Decision::kCommit, true, true);
    }
    reply(self, request, kConfirmReply, e.state == State::kConfirmed ? 1 : 0);
  }

  void on_cancel(sim::Node& self, const sim::Message& m) {
    channel_.acknowledge(self, m);  // handled at once, and answered by nothing
    Entry& e = entry(m.txn, m.step);
    if (e.state == State::kConfirmed || e.state == State::kCancelled) return;
    const bool held = e.state == State::kReserved;
    e.state = State::kCancelled;  // a late try is refused from now on
    if (!held) return;
    release(self, m.txn, m.step);
    w_.ledger().participant_decided(m.txn, Decision::kAbort, true, true);
    const Step& step = w_.workflow(m.txn).steps()[m.step];
    if (step.cancel_op) self.submit(*step.cancel_op, pack(m.txn, m.step, kCancelWork), subject(m.txn, m.step));
  }

  // A reservation is decided: no longer open, and its holder's timer (if it is this
  // replica's) is stopped; another holder's timer will find it decided.
  void release(sim::Node& self, uint64_t txn, uint32_t s) {
    const Entry& e = entry(txn, s);
    if (e.holder == self.id()) expiries_.cancel(e.timeout);
    res_.open.erase(key(txn, s));
  }

  // The reservation's time is up: it releases itself (a decision of its own).
  void expire(uint64_t txn, uint32_t s) {
    Entry& e = entry(txn, s);
    if (e.state != State::kReserved || res_.confirming.count(key(txn, s))) return;
    e.state = State::kExpired;
    res_.open.erase(key(txn, s));
    w_.ledger().participant_decided(txn, Decision::kAbort, false, true);
  }

  void reply_try(sim::Node& self, const sim::Message& m, StepResult r, sim::Time expiry,
                 bool reserved = true) {
    sim::Message out;
    out.type = kTryReply;
    out.txn = m.txn;
    out.step = m.step;
    out.attempt = m.attempt;
    out.value = static_cast<int64_t>(r);
    out.flags = r == StepResult::kDone && reserved ? kReservedFlag : 0;
    out.ref = static_cast<uint64_t>(expiry.ns());
    channel_.answer(self, m, out);
  }

  void reply(sim::Node& self, const sim::Message& request, uint32_t type, int64_t value) {
    sim::Message out;
    out.type = type;
    out.txn = request.txn;
    out.step = request.step;
    out.value = value;
    channel_.answer(self, request, out);
  }

  uint32_t stash(const sim::Message& m) {
    const uint32_t s = take_slot(replies_, free_);
    replies_[s] = m;
    return s;
  }

  std::shared_ptr<StepStore> store_;  // the service's effects, once confirmed (and their keys)
  Reservations& res_;                 // the service's, durable
  sim::TimeoutQueue expiries_;                  // volatile: the reservations' expiry timers
  std::unordered_set<uint64_t> executing_;  // volatile
  std::unordered_map<uint64_t, sim::Message> confirming_;  // volatile: -> the confirm request
  std::vector<sim::Message> replies_;           // volatile: the tries being served
  std::vector<uint32_t> free_;
};

class Tcc final : public Pattern {
 public:
  void install(World& w) override {
    install_broker(w, behaviors_);
    const auto stores = step_stores(w);
    for (ServiceId s = 0; s < w.service_count(); ++s) {
      reservations_.push_back(std::make_unique<Reservations>());
      for (auto& row : reservations_.back()->entries) row.follow(w.ledger().released());
    }
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      if (!w.is_service(id)) continue;
      const ServiceId s = w.service_of(id);
      if (w.is_entry(s)) {
        behaviors_.push_back(std::make_unique<Coordinator>(w, id));
      } else {
        behaviors_.push_back(std::make_unique<Reserver>(w, id, stores[s], *reservations_[s]));
      }
      w.node(id).set_behavior(behaviors_.back().get());
    }
  }

 private:
  std::vector<std::unique_ptr<Reservations>> reservations_;  // by service
  std::vector<std::unique_ptr<sim::Behavior>> behaviors_;
};

}  // namespace

const PatternInfo kTccPattern{
    "tcc",
    "try reserves each step with an expiry, then the coordinator confirms or cancels them all",
    [](Transport) -> std::unique_ptr<Pattern> { return std::make_unique<Tcc>(); },
    (1u << static_cast<unsigned>(Transport::kRpc)) | (1u << static_cast<unsigned>(Transport::kBroker)),
    Transport::kRpc,
    /*saga=*/false,
    /*atomic=*/true,
    /*may_block=*/false,
    /*durable_entry=*/true,
    [](uint32_t type) -> const char* {
      switch (type) {
        case kTry: return "Try";
        case kTryReply: return "TryReply";
        case kConfirm: return "Confirm";
        case kConfirmReply: return "ConfirmReply";
        case kCancel: return "Cancel";
        default: return nullptr;
      }
    }};

}  // namespace models
