// models::EntryService: what every pattern's entry service does with a client request,
// written once: accept it once per transaction (a duplicate delivered by the network is
// ignored: the request log is the service's, shared by its replicas), serve the entry
// operation of the transaction's request type (at once when it takes no time on an async
// service; otherwise on a worker, which a blocking service keeps for the whole
// transaction), refuse it when the queue is full, and answer the client once. Each replica
// keeps the transactions it accepted.
//
// A pattern's entry behavior derives from it, passes requests to accept(), and implements
// begin(): the request has been served; `worker` is the worker it keeps (blocking call
// model) or -1.
#pragma once

#include "models/messages.hpp"
#include "models/world.hpp"

namespace models {

class EntryService : public sim::Behavior {
 public:
  EntryService(World& w, sim::NodeId self) : w_(w), requests_(w.requests(w.service_of(self))) {}

  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) override {
    const bool blocking = self.config().call_model == sim::CallModel::kBlocking;
    if (blocking) self.hold(worker);
    begin(self, job.token, blocking ? static_cast<int32_t>(worker) : -1);
  }

 protected:
  virtual void begin(sim::Node& self, uint64_t txn, int32_t worker) = 0;

  // Handles a kRequest message.
  void accept(sim::Node& self, const sim::Message& m) {
    if (!requests_.first(m.txn)) return;  // a duplicate of a request already begun
    const uint32_t op = w_.workflow(m.txn).entry_op();
    if (self.instant(op)) {
      begin(self, m.txn, -1);
    } else if (!self.submit(op, m.txn)) {  // the queue is full: refused
      answer(self, m.txn, Answer::kError);
      w_.ledger().complete(m.txn, self.now());
    }
  }

  // Sends the client its answer. Callers answer once per transaction (their flow state
  // says whether they did).
  void answer(sim::Node& self, uint64_t txn, Answer a) {
    sim::Message r;
    r.type = kReply;
    r.dst = w_.client();
    r.txn = txn;
    r.value = static_cast<int64_t>(a);
    w_.send(self, r);
  }

  World& w_;

 private:
  RequestLog& requests_;  // durable, the service's
};

}  // namespace models
