// models::ServiceNode: what every pattern's service-side behavior shares, on one replica: it
// runs a step's action with the step's call tree, and it serves the calls that other
// services' call trees make to this service (datastores, caches and other services are
// ordinary services).
//
// Running a step: run(self, txn, step, attempt, cookie) serves the step's action on a worker
// (the operation's service time), then makes the step's calls, group after group, the calls
// of a group in parallel; when all are answered, run_done(self, cookie, kDone) is called on
// the derived class, or run_done(self, cookie, kError) as soon as one call has failed all its
// attempts (fail fast: the others are abandoned). What the step then does (apply, refuse,
// vote) is the pattern's.
//
// A call: kNestedCall(txn, step, attempt, value = the call's number and, in its high 32
// bits, the attempt of the step execution it belongs to, flags = its place in its group,
// ref = the caller's execution) to a replica of the callee's service (the
// caller's Balancer; a retry fails over); the answer is kNestedReply(value = kDone or
// kError, same ref, flags, attempt). Each attempt has the call's timeout; a failed attempt
// (timed out, or answered kError) is retried after a backoff (the retry block) until the
// call's attempts are used. The callee serves the call's operation, then draws the call's
// technical error for this attempt of the call within this attempt of the step (a retried
// step draws its tree's errors anew; an error is answered at once, its own calls not made),
// then makes its own calls, then answers.
//
// Async steps: a kFire delivered by the broker runs the step's action and call tree the
// same way, and is acknowledged once it is done (a technical error, drawn per delivery,
// leaves it unacknowledged: the broker delivers it again). Nothing answers: nobody waits.
//
// Workers: with `calls: blocking` the worker that served an operation is held until its
// calls are all answered (thread per request: a slow dependency exhausts the pool); with
// `async` it is freed at once.
//
// The pattern's commands come to it, and its answers go, over the pattern's transport
// (channel_: straight, or through the broker's queues, which also acknowledge commands);
// a call tree's calls always go straight (RPC).
//
// Crash: every execution on the replica is lost (volatile): no answer; callers time out.
//
// Token kinds from kFirstKind up are this class's (its jobs and timers); a derived class
// uses kinds below it for its own.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "models/calls.hpp"
#include "models/channel.hpp"
#include "models/step_store.hpp"
#include "models/token.hpp"
#include "models/world.hpp"

namespace models {

class ServiceNode : public sim::Behavior {
 public:
  static constexpr uint32_t kFirstKind = 48;

  // keep_worker: with `calls: blocking`, the worker that ran a step stays held after run()
  // and is handed to run_done_keeping() (a step that waits for more, like a link of a
  // synchronous chain).
  ServiceNode(World& w, sim::NodeId self, bool keep_worker = false);

  void on_message(sim::Node& self, const sim::Message& m) final;
  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) final;
  void on_timer(sim::Node& self, uint64_t payload) final;
  void on_crash(sim::Node& self) final;
  void on_recover(sim::Node& self) final { recovered(self); }

 protected:
  // The pattern's part: its messages, jobs, timers (kinds below kFirstKind), crash, recovery.
  virtual void handle(sim::Node& self, const sim::Message& m) = 0;
  virtual void job_done(sim::Node& self, const sim::Job& job, uint32_t worker) {
    (void)self, (void)job, (void)worker;
  }
  virtual void timer(sim::Node& self, uint64_t payload) { (void)self, (void)payload; }
  virtual void crashed(sim::Node& self) { (void)self; }
  virtual void recovered(sim::Node& self) { (void)self; }
  // A run() finished: kDone, or kError when a call failed.
  virtual void run_done(sim::Node& self, uint64_t cookie, StepResult r) = 0;
  // The same with keep_worker: `worker` is the held worker (or -1), which the derived class
  // releases when it is done with the step.
  virtual void run_done_keeping(sim::Node& self, uint64_t cookie, StepResult r, int32_t worker) {
    if (worker >= 0) self.release(static_cast<uint32_t>(worker));
    run_done(self, cookie, r);
  }

  // What run_done() is given back: a word of the derived class's, made here (a Token whose
  // kind is left free, so that a step without calls costs one job and nothing else).
  static uint64_t cookie(uint64_t value, uint32_t part = 0) { return pack(value, 0, 0, part); }
  static uint64_t cookie_value(uint64_t c) { return Token::unpack(c).txn; }
  static uint32_t cookie_part(uint64_t c) { return Token::unpack(c).part; }

  // Serves step `step` of txn (its action, then its calls); run_done(cookie) follows, unless
  // the node crashes first. Returns false if the node refused the job (its queue is full).
  // REQUIRES: cookie was made by cookie().
  bool run(sim::Node& self, uint64_t txn, uint32_t step, uint32_t attempt, uint64_t cookie);

  World& w_;
  Channel channel_;  // the pattern's transport: answer() commands through it

 private:
  // kDirect: the job of a step without calls; its token is the cookie with this kind.
  enum Kind : uint32_t { kOpDone = kFirstKind, kCallTimeout, kCallRetry, kDirect };
  // One execution of an operation and its calls on this replica.
  struct Exec {
    bool live = false;
    uint32_t gen = 0;
    uint64_t txn = 0;
    uint32_t step = 0, part = 0, attempt = 0;
    uint32_t root = 0;  // the attempt of the step execution this call tree belongs to
    // Who waits: the derived class (part 0: cookie), or a caller's execution.
    uint64_t cookie = 0;
    sim::NodeId caller = sim::kNoNode;
    uint64_t caller_ref = 0;
    uint32_t caller_flags = 0;
    const std::vector<std::vector<uint32_t>>* groups = nullptr;
    bool fire = false;            // an async step: acknowledge `delivery` once done
    sim::Message delivery;
    uint32_t group = 0, outstanding = 0;
    int32_t worker = -1;          // held (blocking), or -1
    std::vector<Call> calls;      // the current group's calls
  };
  uint32_t open_exec();
  uint64_t ref_of(uint32_t slot) const { return (uint64_t{execs_[slot].gen} << 32) | slot; }
  Exec* exec_of(uint64_t ref);
  void op_done(sim::Node& self, uint32_t slot, uint32_t worker);
  void start_group(sim::Node& self, uint32_t slot);
  void send_call(sim::Node& self, uint32_t slot, uint32_t i);
  void call_failed(sim::Node& self, uint32_t slot, uint32_t i);
  void finish(sim::Node& self, uint32_t slot, StepResult r);
  void serve_call(sim::Node& self, const sim::Message& m);
  void serve_fire(sim::Node& self, const sim::Message& m);
  void on_reply(sim::Node& self, const sim::Message& m);
  const CallNode& node_of(const Exec& e, uint32_t i) const {
    return w_.workflow(e.txn).call((*e.groups)[e.group][i]);
  }

  bool keep_worker_;
  Caller caller_;  // the calls of call trees: replicas, timeouts, backoff
  std::vector<Exec> execs_;
  std::vector<uint32_t> free_;
  std::unordered_map<uint64_t, uint32_t> fired_;  // deliveries of async steps, to draw errors
};

}  // namespace models
