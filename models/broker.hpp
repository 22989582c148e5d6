// models::Broker: the message broker, as a behavior on the broker node: the topics of the
// choreographed patterns, and the queues of the patterns whose commands and replies travel
// through it (Channel).
//
// Topics.
// Messages in:  kPublish(txn, value = topic, attempt = publish id)   from a producer
//               kDeliverAck(ref = delivery id)                       from a subscriber
// Messages out: kPublishAck(txn, attempt = publish id)               to the producer
//               kDeliver(txn, step = subscriber's step, value = topic,
//                        attempt = delivery attempt, ref = delivery id) to each subscriber
//
// A publish is handled by a broker worker (the broker's `latency` service time), then
// stored once per subscription of its topic (a queue per subscription) and acknowledged to
// the producer. Each stored message is delivered at once and again until the subscriber
// acknowledges it, after `redelivery`, then twice as long each time up to
// `redelivery_max` (a slow subscriber is not flooded with copies of what it is still
// working on): at-least-once delivery, so a subscriber may see a message twice. After the subscription's `max_attempts` deliveries without an
// acknowledgement (0: without limit) the message goes to the dead-letter queue (counted)
// and is not delivered again. A subscription may ask to be told: then the broker delivers
// a notice instead (kDeadLettered, with the message's topic and step), again every
// redelivery wait until acknowledged, so the subscriber can act on what it will never get.
// Otherwise the owner's dead-letter callback hears of it.
//
// A subscription is a service's: each delivery goes to one of its replicas (competing
// consumers), picked by the broker's Balancer; a redelivery goes to another replica when
// the service allows failover.
//
// Queues. A message with relay kEnqueue (channel.hpp) is handled by a worker like a publish,
// stored for its destination (a service: any replica, the balancer's pick, failing over on
// redelivery when the service allows it; or one node), acknowledged to its sender
// (kAccepted) and delivered (kDelivered) with the same redelivery waits until acknowledged
// (kDeliveryAck), or, after broker.max_attempts deliveries (0: without limit), dead-lettered
// (counted; nobody is told: the sender's timeout stands).
//
// Prefetch. With broker.prefetch = N > 0, at most N deliveries of one subscription (or of
// one destination's queue) are unacknowledged at once: a message stored beyond that waits,
// in arrival order, and is first delivered when an earlier one is acknowledged or given up
// (dead-lettered). Redeliveries of the N go on as above. 0: no limit.
//
// Crash: publishes and enqueues waiting for a worker are lost (their senders send again). Stored
// messages survive if the broker is durable, and are delivered again on recovery; a
// volatile broker loses them. The broker does not deduplicate publishes: a producer that
// publishes again after a lost acknowledgement creates a second copy.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "models/balancer.hpp"
#include "models/world.hpp"

namespace models {

struct Subscription {
  uint32_t topic = 0;
  ServiceId service = kNoService;
  uint32_t step = 0;          // the subscriber's step that the topic triggers or compensates
  uint32_t max_attempts = 0;  // deliveries before the dead-letter queue; 0 = without limit
  bool notify = false;        // a dead letter is announced to the subscriber (kDeadLettered)
};

class Broker final : public sim::Behavior {
 public:
  // Called when a message of a subscription without notice is dead-lettered.
  using DeadLetter = std::function<void(uint64_t txn, const Subscription& s)>;
  Broker(World& w, std::vector<Subscription> subscriptions, DeadLetter on_dead_letter = {});

  void on_message(sim::Node& self, const sim::Message& m) override;
  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) override;
  void on_timer(sim::Node& self, uint64_t payload) override;
  void on_crash(sim::Node& self) override;
  void on_recover(sim::Node& self) override;

 private:
  static constexpr uint32_t kQueued = 0xffff'ffffu;  // Stored::sub of a queued message
  struct Stored {
    bool live = false;
    bool notice = false;  // delivering the dead-letter notice, not the message
    uint32_t gen = 0;
    uint64_t txn = 0;
    uint32_t sub = 0;  // index into subs_, or kQueued
    sim::Message msg;  // a queued message: as enqueued (its relay_node the destination)
    sim::NodeId origin = sim::kNoNode;  // a queued message's sender
    uint32_t attempt = 0;
    sim::NodeId node = sim::kNoNode;  // the replica of the last delivery
    sim::TimerId timer;
    uint32_t lane = 0;     // its subscription's or destination's prefetch lane
    bool waiting = false;  // held back by the prefetch limit: not yet delivered
  };
  // The deliveries of one subscription or destination: how many are unacknowledged, and
  // the stored messages waiting for one of them to end.
  struct Lane {
    uint32_t in_flight = 0;
    std::deque<uint32_t> waiting;
  };
  // A newly stored message: delivered now, or queued in its lane behind the prefetch limit.
  void admit(sim::Node& self, uint32_t slot);
  // Admits the lane's waiting messages while it has room.
  void fill(sim::Node& self, Lane& lane);
  // Delivers a stored message (again): a topic's or a queue's.
  void deliver_any(sim::Node& self, uint32_t slot);
  uint32_t lane_of_queue(uint32_t destination);
  void stored(sim::Node& self, const sim::Message& enqueued);
  void deliver(sim::Node& self, uint32_t slot);
  void deliver_queued(sim::Node& self, uint32_t slot);
  // The wait after delivery number `attempt` (from 1) before the next.
  sim::Time redelivery_wait(uint32_t attempt) const;
  // The message leaves the broker; the next one waiting in its lane is delivered.
  void drop(sim::Node& self, uint32_t slot);
  // A stored message will never be delivered: an async step's is over for the ledger.
  void given_up(uint32_t slot);

  World& w_;
  Balancer balancer_;
  std::vector<Subscription> subs_;
  std::vector<std::vector<uint32_t>> by_topic_;  // indexes into subs_
  DeadLetter on_dead_letter_;
  std::vector<sim::Message> publishes_;  // volatile: waiting for or in handling
  std::vector<uint32_t> free_publishes_;
  std::vector<Stored> stored_;  // durable when the broker is
  std::vector<uint32_t> free_stored_;
  std::vector<Lane> lanes_;  // one per subscription, then one per queue destination
  std::unordered_map<uint32_t, uint32_t> queue_lanes_;  // destination -> its lane
};

// Puts a Broker with `subscriptions` on the world's broker node, if the scenario has one
// (the patterns whose commands may travel through it, and async steps, need it); `keep`
// owns it.
void install_broker(World& w, std::vector<std::unique_ptr<sim::Behavior>>& keep,
                    std::vector<Subscription> subscriptions = {},
                    Broker::DeadLetter on_dead_letter = {});

}  // namespace models
