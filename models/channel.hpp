// models::Channel: one node's end of the transport its pattern runs over.
//
// Over RPC a message goes straight to its destination node. Over the broker it is handed to
// the broker (kEnqueue), which handles it on a worker, stores it, tells the sender it is
// stored (kAccepted), and delivers it (kDelivered) at least once to the destination: a
// replica of a service (the broker's balancer picks it; a redelivery fails over) or one
// node; again after its redelivery wait until the destination acknowledges it
// (kDeliveryAck), or until broker.max_attempts deliveries send it to the dead-letter queue.
// These are the commands and replies of saga frameworks: a command travels through the
// service's queue, its reply through the sender's.
//
// The sender of a message keeps it until the broker accepts it, and sends it again until
// then, after timeouts.call and then twice as long each time (resend_wait: an at-least-once
// producer, so a lost acceptance makes a second copy); a crash of the sender forgets it.
//
// Acknowledgements: a delivered command is acknowledged once its answer is stored at the
// broker (answer(): the input is let go only when the output is safe), or by the receiver
// when it has handled a command that takes no answer (acknowledge()); a command the
// receiver drops (a copy of one executing now) is not acknowledged, so it comes again. A
// sender acknowledges the answers delivered to it as it receives them (Caller). A crash
// forgets the answers waiting for their acceptance: their commands come again.
//
// A sender over the broker does not time out and send again while the broker still
// delivers: its timeout covers the broker's whole delivery span (attempt_timeout), or there
// would be a new copy of the command per timeout, each delivered at least once, and an
// overloaded service would drown in them. A technical error answered is retried as over RPC.
//
// Messages per command and its answer, over the broker: enqueue, accepted, delivered and
// acknowledged, twice: 8 (over RPC: 2).
#pragma once

#include <cstdint>
#include <vector>

#include "models/messages.hpp"
#include "models/world.hpp"

namespace models {

// The broker's wait after delivery number `attempt` (from 1) before the next: `redelivery`,
// doubled each time up to `redelivery_max`.
sim::Time redelivery_wait(const BrokerConfig& b, uint32_t attempt);
// A producer's wait for the broker's acceptance of a message after it sent copy number
// `sent` (from 1): timeouts.call, doubled with each copy, up to broker.redelivery_max (or
// timeouts.call, if longer). A timeout shorter than the round trip to the broker then makes
// a few copies of each message, not a storm (Channel, Outbox, Publisher).
sim::Time resend_wait(const ScenarioConfig& c, uint32_t sent);
// From a message's first delivery until the broker gives it up (the dead-letter queue):
// the waits after each of its broker.max_attempts deliveries; Time::max() without limit.
sim::Time delivery_span(const BrokerConfig& b);

class Channel final : public sim::Handler {
 public:
  // `transport`: the pattern's (World::transport()), or RPC for what always goes straight
  // (a call tree's calls).
  Channel(World& w, sim::NodeId self, Transport transport);

  bool via_broker() const { return broker_; }
  // How long a sender waits for the answer to one attempt sent with `rpc_timeout`: over RPC
  // that; over the broker, which delivers the command again until it is answered, that
  // plus the broker's delivery span (an attempt is given up only once the broker would
  // have given it up), or, without a delivery limit, plus four times the longest
  // redelivery wait (a watchdog: a volatile broker may lose the command in a crash).
  sim::Time attempt_timeout(sim::Time rpc_timeout) const;

  // Sends m to service s: over RPC to its replica `node` (the sender's choice); over the
  // broker to the service's queue.
  void to_service(sim::Node& self, sim::Message m, ServiceId s, sim::NodeId node);
  // Sends m to one node (over the broker, through the broker's queue for that node).
  void to_node(sim::Node& self, sim::Message m, sim::NodeId node);
  // Answers `request` (as it was received) with m: to the request's sender. Over the
  // broker the request's delivery is acknowledged once the broker has stored the answer.
  void answer(sim::Node& self, const sim::Message& request, sim::Message m);
  // Acknowledges a delivered message that takes no answer (nothing over RPC).
  void acknowledge(sim::Node& self, const sim::Message& m);

  // The node that sent m (over the broker, the original sender, not the broker).
  static sim::NodeId origin(const sim::Message& m) {
    return m.relay == kDelivered ? m.relay_node : m.src;
  }
  // Handles the relay part of a message received: returns true iff m is for the pattern
  // (sent straight, or delivered by the broker), false for the broker's own (an
  // acceptance, handled here).
  bool receive(sim::Node& self, const sim::Message& m) {
    return m.relay != kAccepted || accepted(self, m);  // (every message: the common case inline)
  }
  // The node crashed: what it had sent and the broker had not accepted is forgotten.
  void crashed();

  // Resends (simulator events): a message not accepted in its wait is sent again.
  void on_event(sim::Simulation& sim, const sim::Event& e) override;

 private:
  // A message sent to the broker, not yet accepted: it is sent again (resend_wait) until it
  // is; an answer also names the delivery it answers (0 for a command).
  struct Pending {
    bool live = false;
    uint32_t gen = 0;
    uint32_t sent = 0;  // copies sent so far
    sim::Message msg;  // as enqueued (relay_ref: the acceptance it waits for)
    uint64_t delivery = 0;
  };
  uint32_t open_pending(const sim::Message& m, uint32_t destination, uint64_t delivery);
  // An acceptance: settles what it accepts; returns false (nothing for the pattern).
  bool accepted(sim::Node& self, const sim::Message& m);
  void send_pending(uint32_t slot);

  World& w_;
  sim::NodeId self_;
  bool broker_;
  sim::HandlerId handler_ = 0;
  bool registered_ = false;
  std::vector<Pending> pending_;  // volatile
  std::vector<uint32_t> free_;
};

}  // namespace models
