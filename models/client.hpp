// models::Client: the users. Every new transaction gets its request type (a hashed draw
// with the workflows' weights: World::draw_type), and its kRequest goes to a replica of
// that type's entry service; the answer (kReply) is recorded in the ledger.
//
//  - Open loop (arrival: poisson): arrivals form a Poisson process whose rate may change at
//    given times (bursts); the arrival times come from the stream "arrivals" and are the
//    same under every pattern.
//  - Closed loop (arrival: closed): `clients` users each send a request, wait for the answer
//    or for the deadline, think, and send the next.
// Arrivals stop at the scenario's duration or after its transaction count.
//
// End-to-end retries (workload.retry): a request not answered within the retry timeout, or
// answered with a technical error, is sent again after a backoff with the same transaction
// id, to a replica picked again (another, if the entry has several), up to `attempts` tries.
// The answer recorded is the last one: the first kOk or kRejected, or the error of the
// last try (a try that times out for good leaves none; a late answer is still recorded).
#pragma once

#include <unordered_map>
#include <vector>

#include "models/balancer.hpp"
#include "models/world.hpp"
#include "sim/rng.hpp"

namespace models {

class Client final : public sim::Handler, public sim::Behavior {
 public:
  explicit Client(World& w);
  // Schedules the first arrivals.
  void start();
  // The time of the last arrival so far (the end of arrivals once they stopped).
  sim::Time last_arrival() const { return last_arrival_; }
  bool arrivals_done() const { return done_; }

  void on_event(sim::Simulation& sim, const sim::Event& e) override;
  void on_message(sim::Node& self, const sim::Message& m) override;
  void on_timer(sim::Node& self, uint64_t payload) override;

 private:
  bool may_arrive(sim::Time t) const;
  void arrive(uint32_t user);
  void send(uint64_t txn, uint32_t user, uint32_t attempt, sim::NodeId previous);
  void retry_later(uint64_t txn);
  void answered(uint64_t txn, Answer a, sim::Time now);
  void schedule_open_arrival();
  void think_then_arrive(uint32_t user);

  World& w_;
  sim::HandlerId self_;
  Balancer balancer_;  // which replica of the entry service
  sim::Rng arrivals_;
  sim::Rng think_;
  sim::Time last_arrival_;
  uint64_t count_ = 0;
  bool done_ = false;
  size_t phase_ = 0;                // open loop: index into the rate phases
  std::vector<int64_t> user_txn_;   // closed loop: the txn each user waits for, or -1
  // End-to-end retries: the requests not yet answered for good.
  struct Try {
    uint32_t user = 0, attempt = 1;
    sim::NodeId node = sim::kNoNode;
    bool waiting = false;  // for the answer of try `attempt` (else in its backoff)
    sim::TimerId timer;
  };
  std::unordered_map<uint64_t, Try> tries_;
  sim::Rng retry_rng_;  // backoff jitter
};

}  // namespace models
