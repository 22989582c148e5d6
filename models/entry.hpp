// models::EntryService: what every pattern's entry service does with a client request,
// written once: accept it once per transaction (the request log is the service's, shared
// by its replicas: a duplicate or a client's retry is answered from it, see accept()), serve the entry
// operation of the transaction's request type (at once when it takes no time on an async
// service; otherwise on a worker, which a blocking service keeps for the whole
// transaction), refuse it when the queue is full, and answer the client once. Each replica
// keeps the transactions it accepted.
//
// A pattern's entry behavior derives from it, passes requests to accept(), and implements
// begin(): the request has been served; `worker` is the worker it keeps (blocking call
// model) or -1. Once it knows a transaction committed, it calls fire_async(): the
// workflow's async steps are sent through the broker (kFire), and nothing waits for them.
#pragma once

#include "models/messages.hpp"
#include "models/outbox.hpp"
#include "models/token.hpp"
#include "models/world.hpp"

namespace models {

class EntryService : public sim::Behavior {
 public:
  EntryService(World& w, sim::NodeId self)
      : w_(w), requests_(w.requests(w.service_of(self))), outbox_(w, self) {}

  // The Token kind of the entry operation's jobs (below ServiceNode's kinds, above every
  // pattern's own: a node that is an entry and a participant at once tells them apart).
  static constexpr uint32_t kEntryJob = 47;

  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) override {
    const bool blocking = self.config().call_model == sim::CallModel::kBlocking;
    if (blocking) self.hold(worker);
    begin(self, Token::unpack(job.token).txn, blocking ? static_cast<int32_t>(worker) : -1);
  }

 protected:
  virtual void begin(sim::Node& self, uint64_t txn, int32_t worker) = 0;

  // Handles a kRequest message. The transaction id is an idempotency key: a request for a
  // transaction already answered is given the recorded answer again; one still open is
  // ignored (its answer will come), unless the replica that had it crashed since and the
  // pattern keeps no durable state of it (PatternInfo::durable_entry): then it starts
  // again here. A request refused at the door (a full queue) leaves nothing recorded.
  void accept(sim::Node& self, const sim::Message& m) {
    RequestLog::Entry& e = requests_.at(m.txn);
    using State = RequestLog::Entry::State;
    if (e.state == State::kAnswered) {
      send_answer(self, m.txn, e.answer);
      return;
    }
    if (e.state == State::kOpen) {
      const bool lost = w_.node(e.node).counters().crashes != e.epoch;
      const PatternInfo* p = w_.pattern().info;
      if (!lost || p == nullptr || p->durable_entry) return;
      w_.ledger().reopen(m.txn);
    }
    e.state = State::kOpen;
    e.node = self.id();
    e.epoch = static_cast<uint32_t>(self.counters().crashes);
    const uint32_t op = w_.workflow(m.txn).entry_op();
    if (self.instant(op)) {
      begin(self, m.txn, -1);
    } else if (!self.submit(op, pack(m.txn, 0, kEntryJob), subject(m.txn))) {  // the queue is full: refused
      e.state = State::kNew;
      send_answer(self, m.txn, Answer::kError);
      w_.ledger().complete(m.txn, self.now());
    }
  }

  // Sends the client its answer, and records it for a retry of the request. Callers answer
  // once per transaction (their flow state says whether they did).
  void answer(sim::Node& self, uint64_t txn, Answer a) {
    settle(txn, a);
    send_answer(self, txn, a);
  }
  // Records the answer of a transaction whose client is no longer connected (a flow
  // finished after a crash of the entry): a retry of the request gets it.
  void settle(uint64_t txn, Answer a) {
    RequestLog::Entry& e = requests_.at(txn);
    if (e.state == RequestLog::Entry::State::kAnswered) return;
    e.state = RequestLog::Entry::State::kAnswered;
    e.answer = a;
  }

  // Sends the async steps of txn's workflow to their services' queues (the outbox).
  void fire_async(sim::Node& self, uint64_t txn) {
    const Workflow& wf = w_.workflow(txn);
    if (wf.async_steps().empty()) return;
    w_.ledger().async_fired(txn, wf.async_mask());
    for (uint32_t s : wf.async_steps()) outbox_.fire(self, txn, s);
  }
  // The derived class passes every message here first: returns true iff it was the
  // broker's acceptance of a fired async step (nothing more to do).
  bool relayed(const sim::Message& m) { return outbox_.accepted(m); }

  World& w_;

 private:
  void send_answer(sim::Node& self, uint64_t txn, Answer a) {
    sim::Message r;
    r.type = kReply;
    r.dst = w_.client();
    r.txn = txn;
    r.value = static_cast<int64_t>(a);
    w_.send(self, r);
  }

  RequestLog& requests_;  // durable, the service's
  Outbox outbox_;         // async steps: always through the broker
};

}  // namespace models
