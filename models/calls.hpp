// models::Call and models::Caller: the synchronous calls a coordinator (an orchestrator, a
// saga orchestrator, TCC's coordinator) makes to the services of its steps, each attempt
// with a timeout (timeouts.call) and, after a failed attempt, a retry after a backoff (the
// retry block). A call's timers are Tokens (txn, step, kind) whose kinds the coordinator
// chooses, so one coordinator can keep several kinds of calls apart.
//
// An attempt fails when its timeout passes or when it is answered with a technical error
// (StepResult::kError). Any other answer, to any attempt, ends the call: the step ran.
#pragma once

#include <cstdint>

#include "models/step_store.hpp"
#include "models/world.hpp"
#include "sim/rng.hpp"

namespace models {

struct Call {
  enum class State : uint8_t { kIdle, kWaiting, kBackoff, kDone };
  State state = State::kIdle;
  uint32_t attempt = 0;  // attempts sent so far
  sim::TimerId timer;    // the attempt's timeout, or the backoff
  bool open() const { return state == State::kWaiting || state == State::kBackoff; }
};

class Caller {
 public:
  Caller(World& w, sim::NodeId self);

  // Sends the next attempt of `type` for (txn, step) and arms its timeout, a timer of
  // `timeout_kind`.
  void send(sim::Node& self, Call& c, uint32_t type, uint64_t txn, uint32_t step,
            uint32_t timeout_kind);

  enum class Reply { kStale, kFailedAttempt, kAnswered };
  // Classifies a reply to c (its value a StepResult when `results`): stale (c is not open,
  // or a technical error of an earlier attempt), the current attempt failed (a technical
  // error), or answered (c is done). Cancels c's timer unless stale.
  Reply reply(sim::Node& self, Call& c, const sim::Message& m, bool results = true);

  // The current attempt failed. If `limit` attempts (0: without limit) allow another,
  // counts a retry, waits a backoff (a timer of `retry_kind`; then call send() again) and
  // returns true; otherwise c is done and false.
  bool retry_later(sim::Node& self, Call& c, uint64_t txn, uint32_t step, uint32_t limit,
                   uint32_t retry_kind);
  // Stops the call: its timer is cancelled, later replies are stale.
  void abandon(sim::Node& self, Call& c);

 private:
  World& w_;
  sim::Rng rng_;  // backoff jitter
};

}  // namespace models
