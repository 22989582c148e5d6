#include "models/service_node.hpp"

#include "models/grow.hpp"
#include "models/messages.hpp"
#include "models/token.hpp"

namespace models {

ServiceNode::ServiceNode(World& w, sim::NodeId self, bool keep_worker)
    : w_(w),
      channel_(w, self, w.transport()),
      keep_worker_(keep_worker && w.node(self).config().call_model == sim::CallModel::kBlocking),
      caller_(w, self, Transport::kRpc) {}

uint32_t ServiceNode::open_exec() {
  const uint32_t slot = take_slot(execs_, free_);
  Exec& e = execs_[slot];
  const uint32_t gen = e.gen + 1;
  e = Exec{};
  e.gen = gen;
  e.live = true;
  return slot;
}

ServiceNode::Exec* ServiceNode::exec_of(uint64_t ref) {
  const auto slot = static_cast<uint32_t>(ref & 0xffff'ffffu);
  if (slot >= execs_.size()) return nullptr;
  Exec& e = execs_[slot];
  if (!e.live || e.gen != static_cast<uint32_t>(ref >> 32)) return nullptr;
  return &e;
}

bool ServiceNode::run(sim::Node& self, uint64_t txn, uint32_t step, uint32_t attempt,
                      uint64_t cookie) {
  const Step& s = w_.workflow(txn).steps()[step];
  SIM_ASSERT(Token::unpack(cookie).kind == 0, "a cookie not made by cookie()");
  if (s.calls.empty()) return self.submit(s.action_op, cookie | kDirect, subject(txn, step));
  const uint32_t slot = open_exec();
  Exec& e = execs_[slot];
  e.txn = txn;
  e.step = step;
  e.attempt = attempt;
  e.root = attempt;
  e.cookie = cookie;
  e.groups = &s.calls;
  if (self.submit(s.action_op, pack(slot, 0, kOpDone), subject(txn, step))) return true;
  e.live = false;
  free_.push_back(slot);
  return false;
}

void ServiceNode::serve_call(sim::Node& self, const sim::Message& m) {
  const auto part = static_cast<uint32_t>(m.value & 0xffff'ffff);
  const CallNode& call = w_.workflow(m.txn).call(part);
  const uint32_t slot = open_exec();
  Exec& e = execs_[slot];
  e.txn = m.txn;
  e.step = m.step;
  e.part = part;
  e.attempt = m.attempt;
  e.root = static_cast<uint32_t>(static_cast<uint64_t>(m.value) >> 32);
  e.caller = m.src;
  e.caller_ref = m.ref;
  e.caller_flags = m.flags;
  e.groups = &call.groups;
  if (!self.submit(call.op, pack(slot, 0, kOpDone), subject(m.txn, m.step))) finish(self, slot, StepResult::kError);
}

void ServiceNode::serve_fire(sim::Node& self, const sim::Message& m) {
  const Step& s = w_.workflow(m.txn).steps()[m.step];
  const uint32_t slot = open_exec();
  Exec& e = execs_[slot];
  e.txn = m.txn;
  e.step = m.step;
  e.attempt = ++fired_[pack(m.txn, m.step, 0)];
  e.root = e.attempt;
  e.fire = true;
  e.delivery = m;
  e.groups = &s.calls;
  if (self.submit(s.action_op, pack(slot, 0, kOpDone), subject(m.txn, m.step))) return;
  e.live = false;  // a full queue: not acknowledged, delivered again
  free_.push_back(slot);
}

void ServiceNode::op_done(sim::Node& self, uint32_t slot, uint32_t worker) {
  Exec& e = execs_[slot];
  if (e.part != 0) {  // a call: its technical error for this attempt comes first
    const CallNode& call = w_.workflow(e.txn).call(e.part);
    if (w_.call_error(e.txn, e.step, e.part, call.errors, e.root, e.attempt)) {
      finish(self, slot, StepResult::kError);
      return;
    }
  }
  if (e.groups->empty()) {
    finish(self, slot, StepResult::kDone);
    return;
  }
  if (self.config().call_model == sim::CallModel::kBlocking) {
    self.hold(worker);
    e.worker = static_cast<int32_t>(worker);
  }
  start_group(self, slot);
}

void ServiceNode::start_group(sim::Node& self, uint32_t slot) {
  Exec& e = execs_[slot];
  if (e.group == e.groups->size()) {
    finish(self, slot, StepResult::kDone);
    return;
  }
  const size_t n = (*e.groups)[e.group].size();
  e.calls.assign(n, Call{});
  e.outstanding = static_cast<uint32_t>(n);
  for (uint32_t i = 0; i < n; ++i) send_call(self, slot, i);
}

void ServiceNode::send_call(sim::Node& self, uint32_t slot, uint32_t i) {
  Exec& e = execs_[slot];
  const uint32_t part = (*e.groups)[e.group][i];
  const CallNode& call = w_.workflow(e.txn).call(part);
  sim::Message m;
  m.type = kNestedCall;
  m.txn = e.txn;
  m.step = e.step;
  m.value = static_cast<int64_t>(part | (uint64_t{e.root} << 32));
  m.flags = i;
  m.ref = ref_of(slot);
  caller_.send(self, e.calls[i], m, call.service, call.timeout, pack(slot, 0, kCallTimeout, i));
}

void ServiceNode::on_reply(sim::Node& self, const sim::Message& m) {
  Exec* e = exec_of(m.ref);
  if (e == nullptr || m.flags >= e->calls.size()) return;
  const auto slot = static_cast<uint32_t>(m.ref & 0xffff'ffffu);
  switch (caller_.reply(self, e->calls[m.flags], m)) {
    case Caller::Reply::kStale:
      return;
    case Caller::Reply::kFailedAttempt:
      call_failed(self, slot, m.flags);
      return;
    case Caller::Reply::kAnswered:
      break;
  }
  if (--e->outstanding > 0) return;
  ++e->group;
  start_group(self, slot);
}

void ServiceNode::call_failed(sim::Node& self, uint32_t slot, uint32_t i) {
  Exec& e = execs_[slot];
  const CallNode& call = node_of(e, i);
  if (caller_.retry_later(self, e.calls[i], e.txn, call.attempts, pack(slot, 0, kCallRetry, i))) {
    return;
  }
  finish(self, slot, StepResult::kError);  // fail fast: the other calls are abandoned
}

void ServiceNode::finish(sim::Node& self, uint32_t slot, StepResult r) {
  Exec& e = execs_[slot];
  for (Call& c : e.calls) caller_.abandon(self, c);
  const int32_t worker = e.worker;
  const uint32_t part = e.part;
  const uint64_t cookie = e.cookie;
  if (e.fire) {
    const Step& s = w_.workflow(e.txn).steps()[e.step];
    if (r == StepResult::kDone && !w_.technical_error(e.txn, s, e.attempt)) {
      fired_.erase(pack(e.txn, e.step, 0));
      w_.ledger().async_ended(e.txn, e.step);
      channel_.acknowledge(self, e.delivery);
    }
    e.live = false;
    e.calls.clear();
    free_.push_back(slot);
    if (worker >= 0) self.release(static_cast<uint32_t>(worker));
    return;
  }
  sim::Message reply;
  reply.type = kNestedReply;
  reply.dst = e.caller;
  reply.txn = e.txn;
  reply.step = e.step;
  reply.attempt = e.attempt;
  reply.value = static_cast<int64_t>(r);
  reply.flags = e.caller_flags;
  reply.ref = e.caller_ref;
  e.live = false;
  e.calls.clear();
  free_.push_back(slot);
  if (part == 0 && keep_worker_) {
    run_done_keeping(self, cookie, r, worker);
    return;
  }
  if (part == 0) {
    run_done(self, cookie, r);
  } else {
    w_.send(self, reply);
  }
  if (worker >= 0) self.release(static_cast<uint32_t>(worker));
}

void ServiceNode::on_message(sim::Node& self, const sim::Message& m) {
  if (!channel_.receive(self, m)) return;  // the broker's acceptance of an answer
  if (m.type == kNestedCall) {
    serve_call(self, m);
  } else if (m.type == kFire) {
    serve_fire(self, m);
  } else if (m.type == kNestedReply) {
    on_reply(self, m);
  } else {
    handle(self, m);
  }
}

void ServiceNode::on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) {
  const uint64_t kind = job.token & Token::kMaxKind;
  if (kind == kDirect) {
    if (keep_worker_) {
      self.hold(worker);
      run_done_keeping(self, job.token & ~uint64_t{Token::kMaxKind}, StepResult::kDone,
                       static_cast<int32_t>(worker));
      return;
    }
    run_done(self, job.token & ~uint64_t{Token::kMaxKind}, StepResult::kDone);
  } else if (kind == kOpDone) {
    op_done(self, static_cast<uint32_t>(Token::unpack(job.token).txn), worker);
  } else {
    job_done(self, job, worker);
  }
}

void ServiceNode::on_timer(sim::Node& self, uint64_t payload) {
  const Token t = Token::unpack(payload);
  if (t.kind < kFirstKind) {
    timer(self, payload);
    return;
  }
  const auto slot = static_cast<uint32_t>(t.txn);
  if (slot >= execs_.size() || !execs_[slot].live || t.part >= execs_[slot].calls.size()) return;
  Exec& e = execs_[slot];
  Call& c = e.calls[t.part];
  if (t.kind == kCallTimeout && c.state == Call::State::kWaiting) {
    caller_.expired(c);
    call_failed(self, slot, t.part);
  } else if (t.kind == kCallRetry && c.state == Call::State::kBackoff) {
    send_call(self, slot, t.part);
  }
}

void ServiceNode::on_crash(sim::Node& self) {
  // Volatile: every execution on this replica is lost. The slots keep their generations, so
  // a late answer to a lost execution is not taken for a new one's.
  free_.clear();
  for (uint32_t s = static_cast<uint32_t>(execs_.size()); s-- > 0;) {
    execs_[s].live = false;
    execs_[s].calls.clear();
    free_.push_back(s);
  }
  channel_.crashed();
  crashed(self);
}

}  // namespace models
