// models::Call and models::Caller: the synchronous calls a caller (an orchestrator, a saga
// orchestrator, TCC's coordinator, a service making the calls of a call tree) makes to the
// services it needs, each attempt to a replica picked by the caller's Balancer (a retry
// fails over), with a timeout, and after a failed attempt a retry after a backoff (the
// retry block). A call's timers carry payloads the caller chooses (Tokens), so one caller
// can keep several kinds of calls apart.
//
// An attempt fails when its timeout passes or when it is answered with a technical error
// (StepResult::kError). Any other answer, to any attempt, ends the call: the step ran.
//
// Over the broker (the pattern's transport) a call is a command through the callee
// service's queue (Channel): the broker picks the replica, and the answer says which one
// it was (Call::node). The timeout and the retries are the same.
#pragma once

#include <cstdint>

#include "models/balancer.hpp"
#include "models/channel.hpp"
#include "models/step_store.hpp"
#include "models/world.hpp"
#include "sim/rng.hpp"

namespace models {

struct Call {
  enum class State : uint8_t { kIdle, kWaiting, kBackoff, kDone };
  State state = State::kIdle;
  uint32_t attempt = 0;              // attempts sent so far
  sim::NodeId node = sim::kNoNode;   // the replica the last attempt went to (over the broker:
                                     // the one that answered)
  sim::TimerId timer;                // the attempt's timeout, or the backoff
  bool open() const { return state == State::kWaiting || state == State::kBackoff; }
};

class Caller {
 public:
  // Calls over the pattern's transport, or over `transport` (a call tree's calls are RPC).
  Caller(World& w, sim::NodeId self);
  Caller(World& w, sim::NodeId self, Transport transport);

  Balancer& balancer() { return balancer_; }
  Channel& channel() { return channel_; }

  // The caller's node received m: returns true iff it is for the pattern (an answer
  // delivered by the broker is acknowledged here; the broker's acceptances are not for it).
  bool receive(sim::Node& self, const sim::Message& m) {
    if (!channel_.receive(self, m)) return false;
    channel_.acknowledge(self, m);
    return true;
  }
  // The caller's node crashed.
  void crashed() { channel_.crashed(); }

  // Sends the next attempt of m (its dst and attempt are set here) to a replica of
  // `service`, and arms its timeout: a timer of `timeout` with `payload`.
  void send(sim::Node& self, Call& c, sim::Message m, ServiceId service, sim::Time timeout,
            uint64_t payload);
  // The same to one replica, `node`, at every attempt (no balancing, no failover: a
  // partitioned consumer). RPC only.
  void send_to(sim::Node& self, Call& c, sim::Message m, sim::NodeId node, sim::Time timeout,
               uint64_t payload);
  // A step call: `type` for (txn, step) to the step's service, timeouts.call, and a timeout
  // timer Token(txn, step, timeout_kind).
  void send(sim::Node& self, Call& c, uint32_t type, uint64_t txn, uint32_t step,
            uint32_t timeout_kind);

  enum class Reply { kStale, kFailedAttempt, kAnswered };
  // Classifies a reply to c (its value a StepResult when `results`): stale (c is not open,
  // or a technical error of an earlier attempt), the current attempt failed (a technical
  // error), or answered (c is done). Cancels c's timer unless stale.
  Reply reply(sim::Node& self, Call& c, const sim::Message& m, bool results = true);
  // c's attempt timed out (the owner saw its timer fire while c was waiting).
  void expired(Call& c) {
    if (!channel_.via_broker()) balancer_.ended(c.node);
  }

  // The current attempt failed. If `limit` attempts (0: without limit) allow another,
  // counts a retry, waits a backoff (a timer of `retry_kind`; then call send() again) and
  // returns true; otherwise c is done and false.
  bool retry_later(sim::Node& self, Call& c, uint64_t txn, uint32_t step, uint32_t limit,
                   uint32_t retry_kind);
  // The same with the backoff timer's whole payload given.
  bool retry_later(sim::Node& self, Call& c, uint64_t txn, uint32_t limit, uint64_t payload);
  // Stops the call: its timer is cancelled, later replies are stale.
  void abandon(sim::Node& self, Call& c);

 private:
  World& w_;
  Balancer balancer_;
  Channel channel_;
  sim::Rng rng_;  // backoff jitter
};

}  // namespace models
