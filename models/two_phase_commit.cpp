#include "models/txn_array.hpp"
#include "models/two_phase_commit.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <unordered_map>
#include <memory>
#include <vector>

#include "models/balancer.hpp"
#include "models/broker.hpp"
#include "models/entry.hpp"
#include "models/service_node.hpp"
#include "models/flow_table.hpp"
#include "models/keys.hpp"
#include "models/limits.hpp"
#include "models/messages.hpp"
#include "models/token.hpp"
#include "models/world.hpp"
#include "sim/timeout_queue.hpp"

namespace models {
namespace {

// Calls f(s) for every set bit s of `bits` (a set of step indexes), lowest first.
template <typename F>
void for_each_bit(uint32_t bits, F&& f) {
  for (; bits != 0; bits &= bits - 1) f(static_cast<uint32_t>(std::countr_zero(bits)));
}

// 2PC's own messages (models/messages.hpp: a pattern's types are 100 and up).
enum TwoPcMessage : uint32_t {
  kPrepare = 100,
  kVote = 101,           // value = Vote
  kCommit = 102,
  kAbort = 103,
  kAck = 104,
  kDecisionQuery = 105,  // a participant in doubt asks the coordinator
  // Paxos Commit (Gray & Lamport 2006, section 4), one Paxos instance per participant:
  kPhase2a = 106,  // accept: a participant's own vote (ballot 0) or a recovery ballot's values
  kPhase2b = 107,  // accepted: from an acceptor, for every instance of the transaction at once
  kPhase1a = 108,  // a recovery ballot asks the acceptors to promise it
  kPhase1b = 109,  // the promise, with what the acceptor accepted
  kRefused = 110,  // a ballot below the acceptor's promise: refused, with what it accepted
};

// kNoError: the participant could not prepare for a technical reason (the step's `errors`):
// a NO vote, but the client hears "error", not "refused".
enum Vote : int64_t { kNo = 0, kYes = 1, kReadOnly = 2, kNoError = 3 };


// ---------------------------------------------------------------- Paxos Commit
// The values of a transaction's instances (one per participant, by step bit): `acc`, the
// instances with a value; `prep`, those whose value is "prepared" (else "aborted");
// `err`, the aborted ones that failed technically (the client hears "error", not "refused").
// On the wire: ref = acc | prep << 32, flags = err.
struct Values {
  uint32_t acc = 0, prep = 0, err = 0;
  static Values of(const sim::Message& m) {
    return {static_cast<uint32_t>(m.ref), static_cast<uint32_t>(m.ref >> 32), m.flags};
  }
  void put(sim::Message& m) const {
    m.ref = acc | (uint64_t{prep} << 32);
    m.flags = err;
  }
};

// Ballots: 0 is each participant's own (its vote, sent straight to the acceptors); a
// recovery ballot is (round << 32) | proposer, the proposer being its node and its branch
// there (a participant's step, or kNoStep for the coordinator): unique per proposer, growing
// with the round. Carried in Message::value, except in a promise (kPhase1b), whose value is
// the ballot of the values it reports and whose attempt is the round promised (the
// promise goes to the proposer of that round).
uint64_t ballot_of(uint32_t round, sim::NodeId node, uint32_t tag) {
  SIM_ASSERT(node < (1u << 26) && tag <= kNoStep && round > 0, "a Paxos Commit ballot out of range");
  return (uint64_t{round} << 32) | (uint64_t{node} << 6) | tag;
}
uint32_t round_of(uint64_t ballot) { return static_cast<uint32_t>(ballot >> 32); }

// Which of the transaction's acceptors a node is (the World's order), or -1.
int acceptor_index(const World& w, sim::NodeId n) {
  const auto& a = w.acceptors();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == n) return static_cast<int>(i);
  }
  return -1;
}
uint32_t quorum(const World& w) { return w.config().two_phase_commit.tolerated_faults + 1; }
constexpr size_t kMaxAcceptors = 2 * kMaxToleratedFaults + 1;

// A Paxos message about txn from `self` to `dst`. `tag` names the proposer's branch on its
// node (a participant's step) or kNoStep (the coordinator); replies carry it back.
void paxos_send(World& w, sim::Node& self, uint32_t type, sim::NodeId dst, uint64_t txn, uint32_t tag,
                uint64_t ballot, const Values& v, uint32_t round = 0) {
  sim::Message m;
  m.type = type;
  m.dst = dst;
  m.txn = txn;
  m.step = tag;
  m.value = static_cast<int64_t>(ballot);
  m.attempt = round;
  v.put(m);
  w.send(self, m);
}

// What a decided set of values means for the transaction: commit when every participant
// but the optional ones prepared (an optional one that did not is left out).
struct PaxosOutcome {
  bool commit = false, refused = false, degraded = false;
  uint32_t prepared = 0;  // the participants that must hear the decision
};
PaxosOutcome outcome_of(const World& w, uint64_t txn, uint32_t all, const Values& v) {
  uint32_t optional = 0;
  for (const Step& s : w.workflow(txn).steps()) {
    if (s.optional) optional |= 1u << s.index;
  }
  const uint32_t failed = all & ~(v.prep & v.acc);
  PaxosOutcome o;
  o.prepared = all & v.prep & v.acc;
  o.commit = (failed & ~optional) == 0;
  o.degraded = (failed & optional) != 0;
  o.refused = !o.commit && (failed & ~optional & ~v.err) != 0;
  return o;
}

// One recovery ballot, run by the coordinator (its prepare timed out) or by a participant
// in doubt (Gray & Lamport, section 4.3): phase 1 asks every acceptor to promise ballot b and
// report what it accepted; with F+1 promises, each instance takes the value of the highest
// ballot reported, or "aborted" where none is (no value can have been chosen for it then);
// phase 2 asks every acceptor to accept those values; F+1 acceptances choose them. Several
// proposers may run at once: Paxos keeps what they choose the same.
struct Proposer {
  uint32_t round = 0;
  uint64_t ballot = 0;
  uint32_t promised = 0, accepted = 0;  // acceptor indexes, as bits
  uint64_t best_vbal = 0;
  uint32_t learnt_from = 0, full = 0;  // acceptors heard; those that accepted every instance
  std::array<uint64_t, kMaxAcceptors> full_vbal{};  // the ballot those accepted at
  bool phase2 = false, done = false;  // done: the values are known (chosen or learnt)
  Values seen, proposal;

  void start(World& w, sim::Node& self, uint64_t txn, uint32_t tag) {
    ballot = ballot_of(++round, self.id(), tag);
    promised = accepted = learnt_from = full = 0;
    best_vbal = 0;
    done = false;
    phase2 = false;
    seen = {};
    for (sim::NodeId a : w.acceptors()) paxos_send(w, self, kPhase1a, a, txn, tag, ballot, {});
  }
  bool running() const { return ballot != 0; }
  // Whether start() ever ran: until then every field keeps its initial value, since each
  // method that changes one requires running().
  bool started() const { return round != 0; }
  // Paxos's learning, from any acceptor's answer (a promise, or a refusal, which carries
  // the acceptor's state too): the values are chosen once F+1 acceptors report every
  // instance accepted at the same ballot, whatever ballot others report (counted ballot by
  // ballot: a higher one accepted at one acceptor does not hide a lower one accepted at F+1,
  // which a recovery ballot that lost its duel left behind). A proposer that lost a duel
  // learns the winner's values this way, without a phase 2.
  bool learn(World& w, const sim::Message& m, int k, uint32_t all) {
    if (learnt_from >> k & 1u) return false;
    learnt_from |= 1u << k;
    const Values v = Values::of(m);
    if (v.acc != all) return false;
    const auto vbal = static_cast<uint64_t>(m.value);
    full |= 1u << k;
    full_vbal[static_cast<size_t>(k)] = vbal;
    uint32_t same = 0;
    for (size_t a = 0; a < kMaxAcceptors; ++a) same += (full >> a & 1u) != 0 && full_vbal[a] == vbal;
    if (same < quorum(w)) return false;
    phase2 = done = true;  // (nothing more to do)
    proposal = v;  // (one ballot proposes one set of values)
    return true;
  }
  // A refusal of this round's ballot. True when it completes the learning of the values.
  bool refused(World& w, const sim::Message& m, uint32_t all) {
    const int k = acceptor_index(w, m.src);
    if (!running() || m.attempt != round || k < 0 || done) return false;
    return learn(w, m, k, all);
  }
  // A promise: once F+1 are in, phase 2 begins with the highest ballot's values. True when
  // the answers show the values chosen already: they are `proposal`.
  bool promise(World& w, sim::Node& self, const sim::Message& m, uint32_t all) {
    const int k = acceptor_index(w, m.src);
    if (!running() || phase2 || m.attempt != round || k < 0 || (promised >> k & 1u)) return false;
    promised |= 1u << k;
    if (learn(w, m, k, all)) return true;
    const Values v = Values::of(m);
    const auto vbal = static_cast<uint64_t>(m.value);
    if (vbal > best_vbal || (vbal == 0 && promised == (1u << k))) {  // a higher ballot's values
      best_vbal = vbal;
      seen = v;
    } else if (vbal == 0 && best_vbal == 0) {  // the participants' own votes, as far as each has them
      seen.acc |= v.acc;
      seen.prep |= v.prep & v.acc;
      seen.err |= v.err & v.acc;
    }
    if (static_cast<uint32_t>(std::popcount(promised)) < quorum(w)) return false;
    phase2 = true;
    proposal.acc = all;
    proposal.prep = seen.prep & seen.acc & all;
    proposal.err = (seen.err & seen.acc) | (all & ~seen.acc);  // no vote known: aborted
    for (sim::NodeId a : w.acceptors()) paxos_send(w, self, kPhase2a, a, m.txn, m.step, ballot, proposal);
    return false;
  }
  // An acceptance of this ballot: true once F+1 have chosen `proposal`.
  bool accepted_by(World& w, const sim::Message& m) {
    const int k = acceptor_index(w, m.src);
    if (!phase2 || done || static_cast<uint64_t>(m.value) != ballot || k < 0 || (accepted >> k & 1u)) return false;
    accepted |= 1u << k;
    done = static_cast<uint32_t>(std::popcount(accepted)) == quorum(w);
    return done;
  }
};

// ---------------------------------------------------------------- coordinator
using Variant = TwoPhaseCommitConfig::Variant;

struct CoordFlow {
  // kCollecting: presumed commit, forcing the collecting record; kVoting: prepares out;
  // kForcing: forcing the decision; kFinishing: the decision sent, waiting for the acks.
  enum class Phase : uint8_t { kCollecting, kVoting, kForcing, kFinishing } phase = Phase::kVoting;
  std::array<sim::NodeId, kMaxSteps> at{};  // the replica of each branch (chosen at prepare)
  bool committing = false;  // the decision being forced or finished is commit
  bool error = false;       // a participant could not prepare (a technical error)
  bool answered = false;    // the client has its answer (or its connection died with a crash)
  Answer pending = Answer::kNone;  // the answer to give once the decision is durable
  uint64_t txn = 0;
  uint32_t all = 0;  // every participant of the transaction's workflow
  uint32_t voted = 0, yes = 0, read_only = 0, acked = 0;
  uint32_t tell = 0;  // the participants the decision goes to (and, where acknowledged, from)
  int32_t worker = -1;
  uint64_t timeout = 0;              // id in the prepare timeouts
  sim::BackoffTimeouts::Id resend;      // PREPARE again (voting)
  sim::BackoffTimeouts::Id retransmit;  // the decision again, or a higher recovery ballot
  uint32_t bundles = 0;  // Paxos Commit: the acceptors whose ballot-0 acceptance of every vote came
  Proposer px;           // Paxos Commit: the recovery ballot once the prepare timed out
  // Every field but `at`, which begin() writes for every branch before it is read.
  void reset(uint64_t t) {
    phase = Phase::kVoting;
    committing = answered = error = false;
    pending = Answer::kNone;
    txn = t;
    all = voted = yes = read_only = acked = tell = bundles = 0;
    worker = -1;
    timeout = 0;
    resend = retransmit = {};
    if (px.started()) px = Proposer{};
  }
};

// What the coordinator's timer payloads are (Token kinds: apart from the participant's, so
// that a node that is both, co-located, tells them apart).
enum CoordKind : uint32_t {
  kCommitForced = 41,
  kPrepareQueue = 42,
  kRetransmitQueue = 43,
  kCollectingForced = 44,
  kAbortForced = 45,
  kResendQueue = 46,
};
constexpr bool coordinator_kind(uint32_t kind) { return kind >= kCommitForced && kind <= kResendQueue; }
// Resends back off (sim::BackoffTimeouts): the coordinator's PREPARE to a participant whose
// vote has not come and its decision to one that has not acknowledged it, and Paxos
// Commit's recovery ballots (the coordinator's and a participant's), go again after
// timeouts.call, then twice as long each time, up to timeouts.prepare (the wait of a
// participant in doubt before it asks). A timeout shorter than the round trip then costs a
// few copies, not one per timeouts.call. Each level's queue has its own tag: the kind's,
// with the level in the Token's part.
constexpr uint64_t kLevelStep = pack(0, 0, 0, 1);
sim::Time resend_most(const World& w) { return std::max(w.config().timeouts.call, w.config().timeouts.prepare); }

// A durable record that names the branches' replicas: an open commit record (presumed
// nothing and presumed abort, until its end record) or a collecting record (presumed
// commit, until the decision is durable or the abort acknowledged).
struct BranchRecord {
  std::array<sim::NodeId, kMaxSteps> at{};
  void reset(uint64_t) {}
};

class Coordinator final : public EntryService {
 public:
  Coordinator(World& w, sim::NodeId self)
      : EntryService(w, self),
        variant_(w.config().two_phase_commit.variant),
        balancer_(w, self),
        prepare_timeouts_(w.config().timeouts.prepare, Token::tag(kPrepareQueue)),
        retransmits_(w.config().timeouts.call, resend_most(w), Token::tag(kRetransmitQueue), kLevelStep),
        resends_(w.config().timeouts.call, resend_most(w), Token::tag(kResendQueue), kLevelStep) {
    flows_.follow(w.ledger().released());
    commit_open_.follow(w.ledger().released());
    collecting_.follow(w.ledger().released());
    commit_mask_.follow(w.ledger().released());
  }

  void on_message(sim::Node& self, const sim::Message& m) override {
    if (relayed(m)) return;
    switch (m.type) {
      case kRequest:
        accept(self, m);
        break;
      case kVote:
        on_vote(self, m);
        break;
      case kAck:
        on_ack(self, m);
        break;
      case kDecisionQuery:
        on_query(self, m);
        break;
      case kPhase1b:
        if (CoordFlow* f = flows_.find(m.txn); f != nullptr && f->phase == CoordFlow::Phase::kVoting) {
          if (f->px.promise(w_, self, m, f->all)) paxos_decided(self, *f, f->px.proposal);
        }
        break;
      case kPhase2b:
        on_accepted(self, m);
        break;
      case kRefused:
        if (CoordFlow* f = flows_.find(m.txn); f != nullptr && f->phase == CoordFlow::Phase::kVoting) {
          if (f->px.refused(w_, m, f->all)) paxos_decided(self, *f, f->px.proposal);
        }
        break;
      default:
        break;
    }
  }

  void on_timer(sim::Node& self, uint64_t payload) override {
    const Token t = Token::unpack(payload);
    switch (t.kind) {
      case kPrepareQueue:
        prepare_timeouts_.expire(self, [&](uint64_t txn) {
          CoordFlow* f = flows_.find(txn);
          if (f == nullptr || f->phase != CoordFlow::Phase::kVoting) return;
          if (variant_ != Variant::kPaxosCommit) {
            abort(self, *f, Answer::kError);
            return;
          }
          // Paxos Commit: the votes did not all reach F+1 acceptors in time. A recovery
          // ballot decides them (aborting those not cast), and another after each timeout.
          f->px.start(w_, self, f->txn, kNoStep);
          f->retransmit = retransmits_.arm(self, f->txn, 0);  // (again, backing off)
        });
        return;
      case kResendQueue:
        // PREPARE again to every participant whose vote has not come (a duplicate is
        // answered from the participant's log).
        resends_.expire(self, payload, [&](uint64_t txn, uint32_t level) {
          CoordFlow* f = flows_.find(txn);
          if (f == nullptr || f->phase != CoordFlow::Phase::kVoting) return;
          for_each_bit(f->all & ~f->voted, [&](uint32_t s) { send(self, kPrepare, *f, s); });
          f->resend = resends_.arm(self, f->txn, level + 1);
        });
        return;
      case kRetransmitQueue:
        retransmits_.expire(self, payload, [&](uint64_t txn, uint32_t level) {
          CoordFlow* f = flows_.find(txn);
          if (f != nullptr && f->phase == CoordFlow::Phase::kVoting && f->px.running()) {
            // Paxos Commit: the recovery ballot did not finish (a lost message, an acceptor
            // down, or a higher ballot of a participant): a higher one.
            f->px.start(w_, self, f->txn, kNoStep);
            f->retransmit = retransmits_.arm(self, f->txn, level + 1);
            return;
          }
          if (f == nullptr || f->phase != CoordFlow::Phase::kFinishing) return;
          for_each_bit(f->tell & ~f->acked,
                       [&](uint32_t s) { send(self, f->committing ? kCommit : kAbort, *f, s); });
          f->retransmit = retransmits_.arm(self, f->txn, level + 1);
        });
        return;
      default:
        break;
    }
    CoordFlow* f = flows_.find(t.txn);
    if (f != nullptr) forced(self, *f, static_cast<CoordKind>(t.kind));
  }

  void on_crash(sim::Node& self) override {
    (void)self;
    flows_.clear();  // undecided transactions are lost (and aborted when asked about)
    prepare_timeouts_.clear();
    retransmits_.clear();
    resends_.clear();
  }

  void on_recover(sim::Node& self) override {
    // The cost is the number of open records, not the run's length.
    // Commit records without an end record: tell the participants again.
    commit_open_.for_each([&](uint64_t txn, const BranchRecord& r) {
      CoordFlow& f = recovered(txn, r);
      f.tell = commit_mask_.get(txn);
      f.committing = true;
      commit_logged(self, f);
    });
    // Presumed commit: a collecting record without a decision is an abort; its participants
    // are told and acknowledge.
    collecting_.for_each([&](uint64_t txn, const BranchRecord& r) {
      CoordFlow& f = recovered(txn, r);
      w_.ledger().decide(txn, Decision::kAbort);
      f.tell = f.all;
      finish(self, f, false);
    });
  }

  // Every participant of txn's workflow (its awaited steps), as a bit set.
  uint32_t all_of(uint64_t txn) const { return w_.workflow(txn).awaited_mask(); }

 private:
  CoordFlow& recovered(uint64_t txn, const BranchRecord& r) {
    CoordFlow& f = flows_.open(txn);
    f.answered = true;  // the client's connection died with the crash
    f.at = r.at;
    f.all = all_of(txn);
    return f;
  }

  // The request is served (on `worker`, held, or -1): prepare every participant (presumed
  // commit: once the collecting record, naming them, is durable).
  void begin(sim::Node& self, uint64_t txn, int32_t worker) override {
    CoordFlow& f = flows_.open(txn);
    f.worker = worker;
    f.all = all_of(txn);
    for (const Step& s : w_.workflow(txn).steps()) {
      if (!s.async) f.at[s.index] = balancer_.pick(s.service);  // (async: fired once committed)
    }
    if (variant_ == Variant::kPresumedCommit) {
      collecting_.open(txn).at = f.at;
      f.phase = CoordFlow::Phase::kCollecting;
      force(self, f, kCollectingForced);
      return;
    }
    prepare(self, f);
  }

  void prepare(sim::Node& self, CoordFlow& f) {
    f.phase = CoordFlow::Phase::kVoting;
    for_each_bit(f.all, [&](uint32_t s) { send(self, kPrepare, f, s); });
    f.timeout = prepare_timeouts_.arm(self, f.txn);
    f.resend = resends_.arm(self, f.txn, 0);
  }

  // Forces a record of f's transaction to the log (timeouts.log_force), then goes on.
  void force(sim::Node& self, CoordFlow& f, CoordKind k) {
    w_.forced_write(self, f.txn, k == kCollectingForced ? "collecting" : k == kCommitForced ? "commit" : "abort");
    const sim::Time t = w_.config().timeouts.log_force;
    if (t > sim::Time::zero()) {
      self.set_timer(t, pack(f.txn, 0, k));
    } else {
      forced(self, f, k);
    }
  }
  void forced(sim::Node& self, CoordFlow& f, CoordKind k) {
    if (k == kCollectingForced && f.phase == CoordFlow::Phase::kCollecting) prepare(self, f);
    if (f.phase != CoordFlow::Phase::kForcing) return;
    if (k == kCommitForced) commit_logged(self, f);
    if (k == kAbortForced) abort_logged(self, f);
  }

  // A message to a branch: to the replica that prepared it.
  void send(sim::Node& self, uint32_t type, const CoordFlow& f, uint32_t step) {
    send_to(self, type, f.at[step], f.txn, step);
  }
  void send_to(sim::Node& self, uint32_t type, sim::NodeId dst, uint64_t txn, uint32_t step) {
    sim::Message m;
    m.type = type;
    m.dst = dst;
    m.txn = txn;
    m.step = step;
    w_.send(self, m);
  }

  void on_vote(sim::Node& self, const sim::Message& m) {
    CoordFlow* f = flows_.find(m.txn);
    const uint32_t bit = 1u << m.step;
    if (f == nullptr || f->phase != CoordFlow::Phase::kVoting || (f->voted & bit)) return;
    f->voted |= bit;
    const bool failed = m.value == kNo || m.value == kNoError;
    if (failed && w_.workflow(f->txn).steps()[m.step].optional) {
      w_.ledger().degrade(f->txn);  // left out: it has nothing to commit (like read-only)
      f->read_only |= bit;
    } else if (failed) {
      if (m.value == kNo) {
        w_.ledger().refuse(f->txn);
      } else {
        f->error = true;
      }
      if (variant_ != Variant::kBasic) {  // the presumptions decide at the first no
        abort(self, *f, f->error ? Answer::kError : Answer::kRejected);
        return;
      }
    } else {
      (m.value == kYes ? f->yes : f->read_only) |= bit;
    }
    if (f->voted != f->all) return;
    if ((f->yes | f->read_only) != f->all) {  // presumed nothing: every vote is in
      abort(self, *f, f->error ? Answer::kError : Answer::kRejected);
      return;
    }
    // Every vote is yes or read-only: commit.
    prepare_timeouts_.cancel(f->timeout);
    resends_.cancel(f->resend);
    f->tell = f->yes;
    f->committing = true;
    if (f->tell == 0 && variant_ != Variant::kBasic) {
      // Nothing to commit: presumed abort writes nothing; presumed commit writes its commit
      // record without forcing it (nobody is in doubt who could ask).
      commit_logged(self, *f);
      return;
    }
    f->phase = CoordFlow::Phase::kForcing;
    force(self, *f, kCommitForced);
  }

  // The commit decision is durable: tell the participants and the client.
  void commit_logged(sim::Node& self, CoordFlow& f) {
    w_.ledger().decide(f.txn, Decision::kCommit);
    if (!f.answered) fire_async(self, f.txn);  // (not again when a recovery commits it again)
    commit_mask_.at(f.txn) = f.tell;
    reply(self, f, Answer::kOk);
    if (variant_ == Variant::kPresumedCommit) {
      // The commit record ends the transaction here: commits are not acknowledged. It is
      // complete once the last participant has applied its effect (Participant::committed).
      if (collecting_.find(f.txn) != nullptr) collecting_.close(f.txn);
      for_each_bit(f.tell, [&](uint32_t s) { send(self, kCommit, f, s); });
      end(self, f, f.tell == 0);
      return;
    }
    if (f.tell == 0) {  // all read-only: nothing to commit
      end(self, f);
      return;
    }
    if (commit_open_.find(f.txn) == nullptr) commit_open_.open(f.txn).at = f.at;
    finish(self, f, true);
  }

  // Sends the decision to f.tell and waits for their acknowledgements, sending it again
  // after timeouts.call, backing off (kLevelStep).
  void finish(sim::Node& self, CoordFlow& f, bool commit) {
    f.committing = commit;
    f.phase = CoordFlow::Phase::kFinishing;
    for_each_bit(f.tell & ~f.acked, [&](uint32_t s) { send(self, commit ? kCommit : kAbort, f, s); });
    f.retransmit = retransmits_.arm(self, f.txn, 0);
  }

  void on_ack(sim::Node& self, const sim::Message& m) {
    CoordFlow* f = flows_.find(m.txn);
    if (f == nullptr || f->phase != CoordFlow::Phase::kFinishing) return;
    f->acked |= 1u << m.step;
    if ((f->acked & f->tell) != f->tell) return;
    retransmits_.cancel(f->retransmit);
    // The end record (not forced).
    if (f->committing) {
      commit_open_.close(f->txn);
    } else if (collecting_.find(f->txn) != nullptr) {
      collecting_.close(f->txn);
    }
    end(self, *f);
  }

  // Paxos Commit: an acceptor accepted the transaction's values. At ballot 0 (the votes as
  // cast) the decision is known once F+1 acceptors have accepted every vote; at a recovery
  // ballot, once F+1 have accepted its proposal.
  void on_accepted(sim::Node& self, const sim::Message& m) {
    CoordFlow* f = flows_.find(m.txn);
    if (f == nullptr || f->phase != CoordFlow::Phase::kVoting) return;
    const int k = acceptor_index(w_, m.src);
    if (k < 0) return;
    if (m.value == 0) {
      const Values v = Values::of(m);
      if (v.acc != f->all) return;
      f->bundles |= 1u << k;
      if (static_cast<uint32_t>(std::popcount(f->bundles)) == quorum(w_)) paxos_decided(self, *f, v);
      return;
    }
    if (f->px.accepted_by(w_, m)) paxos_decided(self, *f, f->px.proposal);
  }

  // Paxos Commit: the values are chosen, and so is the outcome. The coordinator writes
  // nothing: the acceptors hold the decision. Neither commits nor aborts are acknowledged (a
  // participant in doubt learns it from the acceptors); the transaction is complete once
  // its last participant has applied its effect, or at once for an abort.
  void paxos_decided(sim::Node& self, CoordFlow& f, const Values& v) {
    prepare_timeouts_.cancel(f.timeout);
    retransmits_.cancel(f.retransmit);
    resends_.cancel(f.resend);
    const PaxosOutcome o = outcome_of(w_, f.txn, f.all, v);
    if (o.degraded) w_.ledger().degrade(f.txn);
    f.tell = o.prepared;
    if (o.commit) {
      w_.ledger().decide(f.txn, Decision::kCommit);
      if (!f.answered) fire_async(self, f.txn);
      reply(self, f, Answer::kOk);
      for_each_bit(f.tell, [&](uint32_t s) { send(self, kCommit, f, s); });
      end(self, f, f.tell == 0);
      return;
    }
    w_.ledger().decide(f.txn, Decision::kAbort);
    if (o.refused) w_.ledger().refuse(f.txn);
    reply(self, f, o.refused ? Answer::kRejected : Answer::kError);
    for_each_bit(f.tell, [&](uint32_t s) { send(self, kAbort, f, s); });
    end(self, f);
  }

  // A participant in doubt asks: answer from the log, by the variant's presumption.
  void on_query(sim::Node& self, const sim::Message& m) {
    const bool committed = (commit_mask_.get(m.txn) & (1u << m.step)) != 0;
    if (committed) {
      send_to(self, kCommit, m.src, m.txn, m.step);
      return;
    }
    const CoordFlow* f = flows_.find(m.txn);
    if (f != nullptr && (f->phase != CoordFlow::Phase::kFinishing || f->committing)) return;  // deciding
    // Presumed commit: no record at all means committed (and forgotten); a collecting record
    // without a decision means abort. The others presume abort.
    const bool presume_commit = variant_ == Variant::kPresumedCommit && f == nullptr &&
                                collecting_.find(m.txn) == nullptr;
    send_to(self, presume_commit ? kCommit : kAbort, m.src, m.txn, m.step);
  }

  void abort(sim::Node& self, CoordFlow& f, Answer a) {
    prepare_timeouts_.cancel(f.timeout);
    resends_.cancel(f.resend);
    w_.ledger().decide(f.txn, Decision::kAbort);
    const uint32_t voted_no = f.voted & ~f.yes & ~f.read_only;
    switch (variant_) {
      case Variant::kBasic:
        // Presumed nothing: the abort is forced, then sent to every participant, and each
        // acknowledges it.
        f.pending = a;
        f.tell = f.all;
        f.committing = false;
        f.phase = CoordFlow::Phase::kForcing;
        force(self, f, kAbortForced);
        return;
      case Variant::kPresumedAbort:
        // Nothing forced, nothing acknowledged: ABORT to every participant that may have
        // prepared; the coordinator forgets the transaction at once.
        for_each_bit(f.all & ~voted_no & ~f.read_only, [&](uint32_t s) { send(self, kAbort, f, s); });
        reply(self, f, a);
        end(self, f);
        return;
      case Variant::kPaxosCommit:
        SIM_ASSERT(false, "Paxos Commit decides through paxos_decided");
        return;
      case Variant::kPresumedCommit:
        // The abort record is not forced (the collecting record without a commit record
        // says abort after a crash); the participants acknowledge.
        reply(self, f, a);
        f.tell = f.all & ~voted_no & ~f.read_only;
        if (f.tell == 0) {
          collecting_.close(f.txn);
          end(self, f);
          return;
        }
        finish(self, f, false);
        return;
    }
  }

  // Presumed nothing: the abort record is durable.
  void abort_logged(sim::Node& self, CoordFlow& f) {
    reply(self, f, f.pending);
    finish(self, f, false);
  }

  void end(sim::Node& self, CoordFlow& f, bool complete = true) {
    const uint64_t txn = f.txn;
    if (complete) w_.ledger().complete(txn, self.now());
    if (f.worker >= 0) self.release(static_cast<uint32_t>(f.worker));
    flows_.close(txn);
  }

  void reply(sim::Node& self, CoordFlow& f, Answer a) {
    if (f.answered) {  // (or the client's connection died in a crash: kept for its retry)
      settle(f.txn, a);
      return;
    }
    f.answered = true;
    answer(self, f.txn, a);
  }

  Variant variant_;
  Balancer balancer_;
  FlowTable<CoordFlow> flows_;  // volatile
  sim::TimeoutQueue prepare_timeouts_;               // volatile
  sim::BackoffTimeouts retransmits_, resends_;       // volatile
  TxnArray<uint32_t> commit_mask_;  // durable: commit records (the participants told)
  FlowTable<BranchRecord> commit_open_;  // durable: commit records without an end record
  FlowTable<BranchRecord> collecting_;   // durable (presumed commit): collecting records
};

// ---------------------------------------------------------------- participant
struct Branch {
  enum class State : uint8_t {
    kNone, kLocking, kWorking, kPrepared, kDeciding, kCommitted, kAborted, kReadOnly
  };
  State state = State::kNone;
  bool abort_requested = false;  // an abort came while the branch was still preparing
  bool committing = false;       // kDeciding: commit (true) or abort (false)
  sim::NodeId coordinator = sim::kNoNode;
  sim::Time lock_asked, locked_at, voted_at;
  Proposer px;  // Paxos Commit: the branch's own recovery ballot, while it is in doubt
  uint64_t timeout = 0;  // id in the lock-wait or the query queue
  sim::BackoffTimeouts::Id ballot;  // Paxos Commit: a higher recovery ballot, backing off
  // Field by field: a slot is reopened for every prepare, and the proposer (most of the
  // branch's bytes) needs clearing only if a recovery ballot ever started in this slot.
  void reset(uint64_t) {
    state = State::kNone;
    abort_requested = committing = false;
    coordinator = sim::kNoNode;
    lock_asked = locked_at = voted_at = sim::Time{};
    timeout = 0;
    ballot = {};
    if (px.started()) px = Proposer{};
  }
  // Decided: only the state matters from now on (the branch is retired to its tag).
  bool decided() const {
    return state == State::kCommitted || state == State::kAborted || state == State::kReadOnly;
  }
};

// What a participant's tokens are (Token kinds; the step field holds the branch's slot).
enum PartKind : uint32_t {
  kPreparedForced = 1,
  kCommittedForced = 2,
  kAbortedForced = 9,   // presumed nothing and presumed commit: the abort record, then the ack
  kNoForced = 10,       // presumed nothing: the abort record of a NO voter, then its vote
  kNoErrorForced = 11,
  kLockQueue = 3,
  kQueryQueue = 4,
  kPrepareWork = 5,
  kCommitWork = 6,
  kAbortWork = 7,
  kLockOwner = 8,  // a branch as the owner of locks, and as a timeout queue's key
  kBallotQueue = 12,  // Paxos Commit: a recovery ballot that did not finish, tried again
};

class Participant;

// A service's lock manager, shared by its replicas' participants (the service's datastore
// holds the locks). A branch, (transaction, slot), lives on one replica, which is told when
// its waiting request is granted.
struct ServiceLocks {
  ServiceLocks();
  LockTable table;
  std::unordered_map<uint64_t, Participant*> waiting;  // lock owner -> its replica
};

class Participant final : public ServiceNode {
 public:
  Participant(World& w, sim::NodeId self, ServiceLocks& locks)
      : ServiceNode(w, self),
        variant_(w.config().two_phase_commit.variant),
        keys_(w.keys(w.service_of(self))),
        locks_(locks),
        lock_waits_(w.config().timeouts.lock_wait, Token::tag(kLockQueue)),
        queries_(w.config().timeouts.prepare, Token::tag(kQueryQueue)),
        ballots_(w.config().timeouts.call, resend_most(w), Token::tag(kBallotQueue), kLevelStep) {
    // A slot per (request type, step) this service hosts.
    const ServiceId service = w.service_of(self);
    for (const auto& wf : w.workflows()) {
      slot_of_.emplace_back(wf->steps().size(), kNoSlot);
      for (const Step& s : wf->steps()) {
        if (s.service != service) continue;
        slot_of_.back()[s.index] = static_cast<uint32_t>(steps_.size());
        steps_.push_back(s.index);
      }
    }
    SIM_ASSERT(steps_.size() <= Token::kMaxPart, "too many 2PC branches on one service");
    branches_.resize(steps_.size());
    for (auto& table : branches_) table.follow(w.ledger().released());
    node_ = &w.node(self);
    commit_op_ = node_->op_id("commit");
    abort_op_ = node_->op_id("abort");
  }

  // Branches prepared and not yet told the decision, now (for sampling).
  size_t in_doubt() {
    size_t n = 0;
    for (auto& table : branches_) {
      table.for_each([&](uint64_t, Branch& b) { n += b.state == Branch::State::kPrepared ? 1 : 0; });
    }
    return n;
  }

  // A lock request of branch `own` is granted (ServiceLocks).
  void on_locked(uint64_t own) {
    const uint64_t txn = Token::unpack(own).txn;
    const uint32_t slot = Token::unpack(own).part;
    Branch& b = branch(txn, slot);
    if (b.state != Branch::State::kLocking) return;
    lock_waits_.cancel(b.timeout);
    w_.ledger().lock_waited(txn, node_->now() - b.lock_asked);
    start_work(*node_, txn, slot, b);
    settle(txn, slot, b);
  }

 protected:
  void handle(sim::Node& self, const sim::Message& m) override {
    const uint32_t slot = slot_of(m.txn, m.step);
    Branch& b = branch(m.txn, slot);
    if (m.type != kPhase1b && m.type != kPhase2b && m.type != kRefused) {  // (those come from acceptors)
      b.coordinator = m.src;  // every other 2PC message to a participant is its coordinator's
      coordinator_ = m.src;
    }
    handle_message(self, m, slot, b);
    settle(m.txn, slot, b);
  }

  void handle_message(sim::Node& self, const sim::Message& m, uint32_t slot, Branch& b) {
    switch (m.type) {
      case kPrepare:
        on_prepare(self, m, slot, b);
        break;
      case kCommit:
        on_commit(self, m.txn, slot, b);
        break;
      case kAbort:
        on_abort(self, m.txn, slot, b);
        break;
      case kPhase1b:
        if (b.state == Branch::State::kPrepared && b.px.promise(w_, self, m, all_of(m.txn))) {
          learnt_from_acceptors(self, m.txn, slot, b);
        }
        break;
      case kPhase2b:
        if (b.state == Branch::State::kPrepared && m.value != 0 && b.px.accepted_by(w_, m)) {
          learnt_from_acceptors(self, m.txn, slot, b);
        }
        break;
      case kRefused:
        if (b.state == Branch::State::kPrepared && b.px.refused(w_, m, all_of(m.txn))) {
          learnt_from_acceptors(self, m.txn, slot, b);
        }
        break;
      default:
        break;
    }
  }

  uint32_t all_of(uint64_t txn) const { return w_.workflow(txn).awaited_mask(); }

  // Paxos Commit: the branch's recovery ballot chose the transaction's values; act on the
  // outcome as if the coordinator had said it (it is the same: Paxos chooses one value).
  void learnt_from_acceptors(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b) {
    const PaxosOutcome o = outcome_of(w_, txn, all_of(txn), b.px.proposal);
    if (o.degraded) w_.ledger().degrade(txn);
    if (o.commit) {
      on_commit(self, txn, slot, b);
      return;
    }
    if (o.refused) w_.ledger().refuse(txn);
    w_.ledger().decide(txn, Decision::kAbort);
    w_.ledger().complete(txn, self.now());  // (the coordinator, if it lives, completes it too)
    on_abort(self, txn, slot, b);
  }

  // The prepare's work (the step's action and its calls) is done.
  void run_done(sim::Node& self, uint64_t c, StepResult r) override {
    const uint64_t txn = cookie_value(c);
    const uint32_t slot = cookie_part(c);
    Branch& b = branch(txn, slot);
    prepared_work(self, txn, slot, b, r);
    settle(txn, slot, b);
  }

  void job_done(sim::Node& self, const sim::Job& job, uint32_t) override {
    const Token t = Token::unpack(job.token);
    const uint64_t txn = t.txn;
    const uint32_t slot = t.part;
    Branch& b = branch(txn, slot);
    switch (t.kind) {
      case kCommitWork:
        committed(self, txn, slot, b);
        break;
      case kAbortWork:
        aborted(txn, slot, b);
        break;
      default:
        break;
    }
    settle(txn, slot, b);
  }

  void timer(sim::Node& self, uint64_t payload) override {
    const Token t = Token::unpack(payload);
    if (t.kind == kLockQueue) {
      lock_waits_.expire(self, [&](uint64_t own) {
        const uint64_t txn = Token::unpack(own).txn;
        const uint32_t slot = Token::unpack(own).part;
        Branch& b = branch(txn, slot);
        if (b.state != Branch::State::kLocking) return;
        // Waited too long: abort unilaterally (this also breaks deadlocks).
        w_.ledger().lock_waited(txn, self.now() - b.lock_asked);
        unlock(own);
        b.state = Branch::State::kAborted;
        branch_aborted(txn, slot, false);
        vote_no(self, txn, slot, b, kNo);
        settle(txn, slot, b);
      });
      return;
    }
    // Asks again: after timeouts.prepare, or (a recovery ballot that did not finish) after
    // a wait that doubles with each ballot.
    auto again = [&](uint64_t own, uint32_t level) {
      const uint64_t txn = Token::unpack(own).txn;
      const uint32_t slot = Token::unpack(own).part;
      Branch& b = branch(txn, slot);
      if (b.state == Branch::State::kPrepared) ask(self, txn, slot, b, level);
    };
    if (t.kind == kQueryQueue) {
      queries_.expire(self, [&](uint64_t own) { again(own, 0); });
      return;
    }
    if (t.kind == kBallotQueue) {
      ballots_.expire(self, payload, [&](uint64_t own, uint32_t level) { again(own, level + 1); });
      return;
    }
    const uint64_t txn = t.txn;
    const uint32_t slot = t.part;
    Branch& b = branch(txn, slot);
    switch (t.kind) {
      case kPreparedForced:
        if (b.state == Branch::State::kWorking) become_prepared(self, txn, slot, b);
        break;
      case kCommittedForced:
        if (b.state == Branch::State::kCommitted) ack(self, txn, slot, b);
        break;
      case kAbortedForced:
        if (b.state == Branch::State::kAborted) ack(self, txn, slot, b);
        break;
      case kNoForced:
      case kNoErrorForced:
        if (b.state == Branch::State::kAborted) vote(self, txn, slot, b, t.kind == kNoForced ? kNo : kNoError);
        break;
      default:
        break;
    }
    settle(txn, slot, b);
  }

  void crashed(sim::Node& self) override {
    (void)self;
    lock_waits_.clear();
    queries_.clear();
    ballots_.clear();
    // What was not prepared is lost, with its locks; a decision being applied must be learnt
    // again. Prepared branches keep their locks (the datastore's, durable). Decided branches
    // are retired to their tags, which are durable.
    for (uint32_t slot = 0; slot < branches_.size(); ++slot) {
      branches_[slot].for_each([&](uint64_t txn, Branch& b) {
        switch (b.state) {
          case Branch::State::kLocking:
          case Branch::State::kWorking:
            if (keys_.enabled()) unlock(owner(txn, slot));
            b.state = Branch::State::kNone;
            b.abort_requested = false;
            break;
          case Branch::State::kDeciding:
            b.state = Branch::State::kPrepared;
            break;
          default:
            break;
        }
      });
    }
  }

  void recovered(sim::Node& self) override {
    // Every prepared branch (its locks still held) asks for the decision.
    for (uint32_t slot = 0; slot < branches_.size(); ++slot) {
      branches_[slot].for_each([&](uint64_t txn, Branch& b) {
        if (b.state == Branch::State::kPrepared) ask(self, txn, slot, b);
      });
    }
  }

 private:
  uint32_t slot_of(uint64_t txn, uint32_t step) const {
    const auto& slots = slot_of_[w_.type_of(txn)];
    SIM_ASSERT(step < slots.size() && slots[step] != kNoSlot,
               "a 2PC message for a step this service does not host");
    return slots[step];
  }
  // Asks the service's lock manager for the branch's keys; false: it waits.
  bool lock(uint64_t own, uint64_t txn, uint32_t slot) {
    if (locks_.table.acquire(own, keys_of(txn, slot))) return true;
    locks_.waiting[own] = this;
    return false;
  }
  void unlock(uint64_t own) {
    locks_.waiting.erase(own);
    locks_.table.release(own);
  }
  // The branch of txn at this slot: open, or reopened from the state it was retired with.
  Branch& branch(uint64_t txn, uint32_t slot) {
    int tag = -1;
    Branch& b = branches_[slot].open(txn, &tag);
    if (tag >= 0) {
      b.state = static_cast<Branch::State>(tag);
      b.coordinator = coordinator_;
    }
    return b;
  }
  // Retires a decided branch (b, the open branch of txn) to its state: all that is left
  // to remember of it.
  void settle(uint64_t txn, uint32_t slot, const Branch& b) {
    if (b.decided()) {
      branches_[slot].close(txn, static_cast<uint8_t>(b.state));
    } else if (b.state == Branch::State::kNone) {
      branches_[slot].close(txn);  // (a stray message): as if never opened
    }
  }
  static uint64_t owner(uint64_t txn, uint32_t slot) { return pack(txn, 0, kLockOwner, slot); }
  static uint64_t token(uint64_t txn, uint32_t slot, PartKind k) { return pack(txn, 0, k, slot); }
  std::vector<uint64_t> keys_of(uint64_t txn, uint32_t slot) const {
    std::vector<uint64_t> keys;
    for (uint32_t k = 0; k < keys_.per_step(); ++k) keys.push_back(keys_.key(w_, txn, steps_[slot], k));
    return keys;
  }

  void on_prepare(sim::Node& self, const sim::Message& m, uint32_t slot, Branch& b) {
    switch (b.state) {
      case Branch::State::kNone:
        break;
      case Branch::State::kPrepared:
      case Branch::State::kDeciding:
      case Branch::State::kCommitted:
        vote(self, m.txn, slot, b, kYes);  // a repeated prepare: the same answer
        return;
      case Branch::State::kAborted:
        vote(self, m.txn, slot, b, kNo);
        return;
      case Branch::State::kReadOnly:
        vote(self, m.txn, slot, b, kReadOnly);
        return;
      default:
        return;  // still preparing: the vote will come
    }
    b.lock_asked = self.now();
    if (keys_.enabled() && !lock(owner(m.txn, slot), m.txn, slot)) {
      b.state = Branch::State::kLocking;
      b.timeout = lock_waits_.arm(self, owner(m.txn, slot));
      return;
    }
    start_work(self, m.txn, slot, b);
  }

  void start_work(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b) {
    b.locked_at = self.now();
    b.state = Branch::State::kWorking;
    if (!run(self, txn, steps_[slot], 1, cookie(txn, slot))) {
      release_locks(self, txn, slot, b);
      b.state = Branch::State::kAborted;
      branch_aborted(txn, slot, false);
      vote_no(self, txn, slot, b, kNo);
    }
  }

  // The branch votes no. That decides the transaction's abort, unless the step is optional:
  // then the coordinator leaves it out and the others go on.
  void branch_aborted(uint64_t txn, uint32_t slot, bool told) {
    if (w_.workflow(txn).steps()[steps_[slot]].optional) return;
    w_.ledger().participant_decided(txn, Decision::kAbort, told, false);
  }

  void prepared_work(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b, StepResult ran) {
    if (b.state != Branch::State::kWorking) return;
    const Step& step = w_.workflow(txn).steps()[steps_[slot]];
    // A technical error (a call of the step's tree, or the step's own: one prepare attempt
    // per branch) or a business refusal: vote no.
    const bool error =
        !b.abort_requested && (ran == StepResult::kError || w_.technical_error(txn, step, 1));
    if (b.abort_requested) {
      abandon(self, txn, slot, b);
      return;
    }
    if (error || w_.refuses(txn, step)) {
      release_locks(self, txn, slot, b);
      b.state = Branch::State::kAborted;
      branch_aborted(txn, slot, false);
      vote_no(self, txn, slot, b, error ? kNoError : kNo);
      return;
    }
    if (!step.side_effect && variant_ != Variant::kBasic && variant_ != Variant::kPaxosCommit) {
      // the read-only optimization (Paxos Commit has none: every participant's instance
      // needs a value)
      release_locks(self, txn, slot, b);
      b.state = Branch::State::kReadOnly;
      vote(self, txn, slot, b, kReadOnly);
      return;
    }
    w_.forced_write(self, txn, "prepared");
    const sim::Time force = w_.config().timeouts.log_force;
    if (force > sim::Time::zero()) {
      self.set_timer(force, token(txn, slot, kPreparedForced));
    } else {
      become_prepared(self, txn, slot, b);
    }
  }

  // The abort came while the branch was still preparing (its work, or the force of its
  // prepared record): it aborts as told, without becoming prepared and in doubt.
  void abandon(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b) {
    release_locks(self, txn, slot, b);
    b.state = Branch::State::kAborted;
    w_.ledger().participant_decided(txn, Decision::kAbort, true, false);
    vote(self, txn, slot, b, kNo);
    if (acks_aborts()) ack(self, txn, slot, b);
  }

  // The prepared record is durable: vote yes and wait, in doubt, for the decision (unless
  // the abort came meanwhile).
  void become_prepared(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b) {
    if (b.abort_requested) {
      abandon(self, txn, slot, b);
      return;
    }
    b.state = Branch::State::kPrepared;
    b.voted_at = self.now();
    w_.ledger().in_doubt(txn, +1);
    vote(self, txn, slot, b, kYes);
    b.timeout = queries_.arm(self, owner(txn, slot));
  }

  void on_commit(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b) {
    if (b.state == Branch::State::kCommitted) {
      // A duplicate: the coordinator did not hear our ack (presumed commit and Paxos Commit
      // ack nothing).
      if (acks_commits()) ack(self, txn, slot, b);
      return;
    }
    if (b.state != Branch::State::kPrepared) return;  // deciding already, or not prepared
    cancel_ask(b);
    learnt(txn, b);
    b.state = Branch::State::kDeciding;
    b.committing = true;
    if (commit_op_ && self.submit(*commit_op_, token(txn, slot, kCommitWork), subject(txn))) return;
    committed(self, txn, slot, b);
  }

  void committed(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b) {
    if (b.state != Branch::State::kDeciding || !b.committing) return;
    const Step& step = w_.workflow(txn).steps()[steps_[slot]];
    w_.ledger().apply(txn, step.index, step.idempotent, self.now());
    w_.ledger().participant_decided(txn, Decision::kCommit, true, true);
    w_.ledger().in_doubt(txn, -1);
    release_locks(self, txn, slot, b);
    b.state = Branch::State::kCommitted;
    // Presumed commit and Paxos Commit: the commit record is not forced and not
    // acknowledged; the last participant to apply its effect completes the transaction
    // (nobody tells the coordinator).
    if (!acks_commits()) {
      if (w_.ledger().all_applied(txn)) w_.ledger().complete(txn, self.now());
      return;
    }
    force_then(self, txn, slot, b, kCommittedForced);
  }

  void on_abort(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b) {
    switch (b.state) {
      case Branch::State::kNone:
        b.state = Branch::State::kAborted;  // a later prepare gets a no
        if (acks_aborts()) ack(self, txn, slot, b);
        return;
      case Branch::State::kAborted:
      case Branch::State::kReadOnly:  // (an abort to a read-only branch whose vote was lost)
        if (acks_aborts()) ack(self, txn, slot, b);  // (its abort record, if any, is in)
        return;
      case Branch::State::kLocking:
        lock_waits_.cancel(b.timeout);
        unlock(owner(txn, slot));
        b.state = Branch::State::kAborted;
        vote(self, txn, slot, b, kNo);
        if (acks_aborts()) ack(self, txn, slot, b);
        return;
      case Branch::State::kWorking:
        b.abort_requested = true;
        return;
      case Branch::State::kPrepared:
        cancel_ask(b);
        learnt(txn, b);
        b.state = Branch::State::kDeciding;
        b.committing = false;
        if (abort_op_ && self.submit(*abort_op_, token(txn, slot, kAbortWork), subject(txn))) return;
        aborted(txn, slot, b);
        return;
      default:
        return;
    }
  }

  void aborted(uint64_t txn, uint32_t slot, Branch& b) {
    if (b.state != Branch::State::kDeciding || b.committing) return;
    w_.ledger().participant_decided(txn, Decision::kAbort, true, true);
    w_.ledger().in_doubt(txn, -1);
    release_locks(*node_, txn, slot, b);
    b.state = Branch::State::kAborted;
    // Presumed abort: the abort record is not forced and not acknowledged.
    if (acks_aborts()) force_then(*node_, txn, slot, b, kAbortedForced);
  }

  void release_locks(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b) {
    if (!keys_.enabled()) return;
    w_.ledger().lock_held(txn, self.now() - b.locked_at);
    unlock(owner(txn, slot));
  }

  // Sends the coordinator a message about this branch.
  void tell(sim::Node& self, uint32_t type, uint64_t txn, uint32_t slot, const Branch& b,
            int64_t value = 0) {
    sim::Message m;
    m.type = type;
    m.dst = b.coordinator;
    m.txn = txn;
    m.step = steps_[slot];
    m.value = value;
    w_.send(self, m);
  }
  void vote(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b, Vote v) {
    if (variant_ != Variant::kPaxosCommit) {
      tell(self, kVote, txn, slot, b, v);
      return;
    }
    // Paxos Commit: the vote is the branch's ballot-0 value of its instance, sent to the
    // first F+1 acceptors (Gray & Lamport, section 4.3: the others are needed only when one
    // of these fails). They tell the coordinator.
    const auto& acceptors = w_.acceptors();
    for (uint32_t k = 0; k < quorum(w_) && k < acceptors.size(); ++k) {
      sim::Message m;
      m.type = kPhase2a;
      m.dst = acceptors[k];
      m.txn = txn;
      m.step = steps_[slot];
      m.value = 0;
      m.flags = static_cast<uint32_t>(v);
      m.ref = b.coordinator;
      w_.send(self, m);
    }
  }
  // A NO vote of a branch that aborted on its own: presumed nothing forces its abort record
  // first; the presumptions write it without forcing.
  void vote_no(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b, Vote v) {
    if (variant_ != Variant::kBasic) {  // (Paxos Commit: the acceptors record it)
      vote(self, txn, slot, b, v);
      return;
    }
    force_then(self, txn, slot, b, v == kNo ? kNoForced : kNoErrorForced);
  }
  // Aborts are acknowledged (presumed nothing and presumed commit), and commits (presumed
  // nothing and presumed abort).
  bool acks_aborts() const { return variant_ == Variant::kBasic || variant_ == Variant::kPresumedCommit; }
  bool acks_commits() const { return variant_ == Variant::kBasic || variant_ == Variant::kPresumedAbort; }
  // Forces a record of the branch, then does what `k` says (ack or vote).
  void force_then(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b, PartKind k) {
    w_.forced_write(self, txn, k == kCommittedForced ? "committed" : "abort");
    const sim::Time force = w_.config().timeouts.log_force;
    if (force > sim::Time::zero()) {
      self.set_timer(force, token(txn, slot, k));
      return;
    }
    if (k == kCommittedForced || k == kAbortedForced) {
      ack(self, txn, slot, b);
    } else {
      vote(self, txn, slot, b, k == kNoForced ? kNo : kNoError);
    }
  }
  // The branch, in doubt since its yes vote, learnt the decision now.
  // Blocked: in doubt beyond the failure-free window, timeouts.prepare (after which it
  // asks); under Paxos Commit, beyond that and one recovery ballot (its two phases, each
  // within timeouts.call), since a ballot that finishes from the acceptors blocks nobody.
  void learnt(uint64_t txn, const Branch& b) {
    const sim::Time span = node_->now() - b.voted_at;
    sim::Time window = w_.config().timeouts.prepare;
    if (variant_ == Variant::kPaxosCommit) {
      window = sim::Time::saturating_add(window, sim::Time::saturating_add(w_.config().timeouts.call, w_.config().timeouts.call));
    }
    w_.ledger().blocked_for(txn, span, span > window);
  }
  void ack(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b) { tell(self, kAck, txn, slot, b); }
  // The branch learnt the decision: no more asking (the last ask armed the ballot queue
  // once a recovery ballot began).
  void cancel_ask(const Branch& b) {
    if (b.px.running()) {
      ballots_.cancel(b.ballot);
    } else {
      queries_.cancel(b.timeout);
    }
  }
  // Asks the coordinator for the decision, and again every timeouts.prepare; under Paxos
  // Commit, finds it out from the acceptors with a recovery ballot of its own (a new one
  // each time), whether the coordinator lives or not. `level`: the ballots so far.
  void ask(sim::Node& self, uint64_t txn, uint32_t slot, Branch& b, uint32_t level = 0) {
    if (variant_ == Variant::kPaxosCommit) {
      // (a ballot that did not finish, say overtaken by another proposer's, is followed by
      // a higher one after timeouts.call, then twice as long each time up to
      // timeouts.prepare: that one learns any value chosen meanwhile)
      b.px.start(w_, self, txn, steps_[slot]);
      b.ballot = ballots_.arm(self, owner(txn, slot), level);
      return;
    }
    tell(self, kDecisionQuery, txn, slot, b);
    b.timeout = queries_.arm(self, owner(txn, slot));
  }

  Variant variant_;
  const KeyChooser& keys_;
  ServiceLocks& locks_;                     // the service's
  sim::TimeoutQueue lock_waits_, queries_;  // volatile
  sim::BackoffTimeouts ballots_;            // volatile
  std::vector<uint32_t> steps_;             // the steps hosted here, by slot
  static constexpr uint32_t kNoSlot = ~0u;
  std::vector<std::vector<uint32_t>> slot_of_;  // [type][step]: this service's slot, or kNoSlot
  // Per slot: the branches in flight; a decided branch is retired to its state (the tag),
  // which is durable, as is a prepared branch's record.
  std::vector<FlowTable<Branch>> branches_;
  sim::NodeId coordinator_ = sim::kNoNode;  // the coordinator last heard from
  sim::Node* node_ = nullptr;
  std::optional<uint32_t> commit_op_, abort_op_;
};

// ---------------------------------------------------------------- acceptor
// Paxos Commit's acceptor (Gray & Lamport 2006, section 4): one Paxos acceptor for each
// instance of every transaction, with one record per transaction; as the paper allows, it
// handles all of a transaction's instances together: one forced write and one phase 2b
// message for them all.
//   - ballot 0, a participant's vote (kPhase2a with value 0): collected until every
//     participant of the transaction has voted, then forced and sent to the coordinator
//     (kPhase2b, ballot 0) in one bundle. A vote again, after that: the bundle again.
//   - kPhase1a(b) with b above its promise: forces the promise, then answers kPhase1b(b)
//     with what it accepted durably (the ballot, attempt, of the values reported).
//   - kPhase2a(b) with b not below its promise: forces the values, then kPhase2b(b).
// What it had not forced is lost in a crash (nothing of it was reported).
struct AcceptorRecord {
  // Durable (forced):
  uint64_t promised = 0;  // the highest ballot promised
  uint64_t vbal = 0;      // the ballot of the accepted values (0: the participants' votes)
  Values accepted;        // acc == 0: none accepted
  // Volatile, valid while epoch is the acceptor's:
  uint32_t epoch = 0;
  uint64_t promising = 0;     // a promise being forced
  uint64_t accepting = 0;     // a recovery ballot's values being forced
  bool bundling = false;      // the votes being forced
  Values votes, proposal;     // the votes received, the recovery ballot's values
  sim::NodeId leader = sim::kNoNode;  // the coordinator the votes name
  sim::NodeId promise_to = sim::kNoNode, accept_to = sim::kNoNode;
  uint32_t promise_tag = 0, accept_tag = 0;
};

enum AcceptorKind : uint32_t { kVotesForced = 30, kPromiseForced = 31, kValuesForced = 32 };
constexpr bool acceptor_kind(uint32_t kind) { return kind >= kVotesForced && kind <= kValuesForced; }

class Acceptor final : public sim::Behavior {
 public:
  explicit Acceptor(World& w) : w_(w) { records_.follow(w.ledger().released()); }

  void on_message(sim::Node& self, const sim::Message& m) override {
    switch (m.type) {
      case kPhase2a:
        if (m.value == 0) {
          on_vote(self, m);
        } else {
          on_accept(self, m);
        }
        return;
      case kPhase1a:
        on_prepare(self, m);
        return;
      default:
        return;
    }
  }

  void on_timer(sim::Node& self, uint64_t payload) override {
    const Token t = Token::unpack(payload);
    AcceptorRecord& r = record(t.txn);
    switch (t.kind) {
      case kVotesForced:
        if (!r.bundling) return;
        r.bundling = false;
        // Not after a promise of a recovery ballot, which reported no votes.
        if (r.promised > 0 || r.vbal > 0) return;
        r.accepted = r.votes;
        tell_votes(self, t.txn, r);
        return;
      case kPromiseForced:
        if (r.promising == 0) return;
        r.promised = std::max(r.promised, r.promising);
        r.promising = 0;
        promise(self, t.txn, r);
        return;
      case kValuesForced:
        if (r.accepting == 0) return;
        if (r.accepting >= r.promised) {
          r.promised = r.vbal = r.accepting;
          r.accepted = r.proposal;
          paxos_send(w_, self, kPhase2b, r.accept_to, t.txn, r.accept_tag, r.vbal, r.accepted);
        }
        r.accepting = 0;
        return;
      default:
        return;
    }
  }

  void on_crash(sim::Node& self) override {
    (void)self;
    ++epoch_;  // every record's volatile part is gone
  }

 private:
  // The record of txn, its volatile part cleared if a crash came since it was last used.
  AcceptorRecord& record(uint64_t txn) {
    AcceptorRecord& r = records_.at(txn);
    if (r.epoch != epoch_) {
      AcceptorRecord durable;
      durable.promised = r.promised;
      durable.vbal = r.vbal;
      durable.accepted = r.accepted;
      durable.epoch = epoch_;
      r = durable;
    }
    return r;
  }

  void force(sim::Node& self, uint64_t txn, AcceptorKind k, const char* what) {
    w_.forced_write(self, txn, what);
    const sim::Time t = w_.config().timeouts.log_force;
    self.set_timer(t, pack(txn, 0, k));  // (a zero force still goes through the event list)
  }

  void on_vote(sim::Node& self, const sim::Message& m) {
    AcceptorRecord& r = record(m.txn);
    if (r.promised > 0 || r.promising > 0 || r.vbal > 0) return;  // a recovery ballot came first
    r.leader = static_cast<sim::NodeId>(m.ref);
    const uint32_t all = w_.workflow(m.txn).awaited_mask();
    if (r.accepted.acc == all) {  // forced already: the coordinator missed the bundle
      tell_votes(self, m.txn, r);
      return;
    }
    const uint32_t bit = 1u << m.step;
    r.votes.acc |= bit;
    if (m.flags == kYes) r.votes.prep |= bit;
    if (m.flags == kNoError) r.votes.err |= bit;
    if (r.votes.acc != all || r.bundling) return;
    r.bundling = true;
    force(self, m.txn, kVotesForced, "votes");
  }

  void tell_votes(sim::Node& self, uint64_t txn, const AcceptorRecord& r) {
    if (r.leader == sim::kNoNode) return;
    paxos_send(w_, self, kPhase2b, r.leader, txn, kNoStep, 0, r.accepted);
  }

  void on_prepare(sim::Node& self, const sim::Message& m) {
    AcceptorRecord& r = record(m.txn);
    const auto b = static_cast<uint64_t>(m.value);
    if (b < r.promised || b < r.promising) {  // promised a higher one
      refuse(self, m, r);
      return;
    }
    if (b == r.promised) {  // a duplicate: answer again
      r.promise_to = m.src;
      r.promise_tag = m.step;
      promise(self, m.txn, r);
      return;
    }
    const bool forcing = r.promising > 0;
    if (forcing) {  // the lower ballot being promised loses: tell its proposer what is accepted
      paxos_send(w_, self, kRefused, r.promise_to, m.txn, r.promise_tag, r.vbal, r.accepted, round_of(r.promising));
    }
    r.promise_to = m.src;
    r.promise_tag = m.step;
    r.promising = b;
    if (!forcing) force(self, m.txn, kPromiseForced, "promise");
  }

  // A ballot below the promise: refused, with what is accepted (so that its proposer may
  // learn the chosen values).
  void refuse(sim::Node& self, const sim::Message& m, const AcceptorRecord& r) {
    paxos_send(w_, self, kRefused, m.src, m.txn, m.step, r.vbal, r.accepted, round_of(static_cast<uint64_t>(m.value)));
  }

  void promise(sim::Node& self, uint64_t txn, const AcceptorRecord& r) {
    paxos_send(w_, self, kPhase1b, r.promise_to, txn, r.promise_tag, r.vbal, r.accepted, round_of(r.promised));
  }

  void on_accept(sim::Node& self, const sim::Message& m) {
    AcceptorRecord& r = record(m.txn);
    const auto b = static_cast<uint64_t>(m.value);
    if (b < r.promised || b < r.promising || b < r.accepting) {
      refuse(self, m, r);
      return;
    }
    if (b == r.vbal) {  // a duplicate: answer again
      paxos_send(w_, self, kPhase2b, m.src, m.txn, m.step, r.vbal, r.accepted);
      return;
    }
    const bool forcing = r.accepting > 0;
    if (forcing && b > r.accepting) {  // (as for a promise)
      paxos_send(w_, self, kRefused, r.accept_to, m.txn, r.accept_tag, r.vbal, r.accepted, round_of(r.accepting));
    }
    r.accept_to = m.src;
    r.accept_tag = m.step;
    r.proposal = Values::of(m);
    r.accepting = b;
    if (!forcing) force(self, m.txn, kValuesForced, "accepted");
  }

  World& w_;
  uint32_t epoch_ = 1;
  TxnArray<AcceptorRecord> records_;  // by transaction, freed with the ledger's records
};

// A node with several roles: the coordinator on a participant's node (co-location), and
// Paxos Commit's acceptor on either. They share the node's workers, log and crashes; what
// they send each other stays inside the node (World::send), which saves those messages.
class Roles final : public sim::Behavior {
 public:
  Roles(std::unique_ptr<sim::Behavior> coordinator, std::unique_ptr<sim::Behavior> participant,
        std::unique_ptr<sim::Behavior> acceptor)
      : coordinator_(std::move(coordinator)), participant_(std::move(participant)), acceptor_(std::move(acceptor)) {}
  void on_message(sim::Node& self, const sim::Message& m) override {
    sim::Behavior* to = participant_.get();  // PREPARE, the decision, its calls' replies
    switch (m.type) {
      case kRequest:
      case kVote:
      case kAck:
      case kDecisionQuery:
        to = coordinator_.get();
        break;
      case kPhase2a:
      case kPhase1a:
        to = acceptor_.get();
        break;
      case kPhase1b:
      case kPhase2b:  // to the coordinator, or to a participant's recovery ballot
      case kRefused:
        if (m.step == kNoStep) to = coordinator_.get();
        break;
      default:
        break;
    }
    if (to != nullptr) to->on_message(self, m);
  }
  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) override {
    if (Token::unpack(job.token).kind == EntryService::kEntryJob) {
      coordinator_->on_job_done(self, job, worker);
    } else {
      participant_->on_job_done(self, job, worker);
    }
  }
  void on_timer(sim::Node& self, uint64_t payload) override {
    const uint32_t kind = Token::unpack(payload).kind;
    if (coordinator_kind(kind)) {
      coordinator_->on_timer(self, payload);
    } else if (acceptor_kind(kind)) {
      acceptor_->on_timer(self, payload);
    } else {
      participant_->on_timer(self, payload);
    }
  }
  void on_crash(sim::Node& self) override {
    for (auto* r : {coordinator_.get(), participant_.get(), acceptor_.get()}) {
      if (r != nullptr) r->on_crash(self);
    }
  }
  void on_recover(sim::Node& self) override {
    for (auto* r : {coordinator_.get(), participant_.get(), acceptor_.get()}) {
      if (r != nullptr) r->on_recover(self);
    }
  }

 private:
  std::unique_ptr<sim::Behavior> coordinator_, participant_, acceptor_;
};

class TwoPhaseCommit final : public Pattern {
 public:
  void install(World& w) override {
    install_broker(w, behaviors_);
    locks_.resize(w.service_count());
    for (ServiceId s = 0; s < w.service_count(); ++s) {
      locks_[s] = std::make_unique<ServiceLocks>();
      const LockTable& table = locks_[s]->table;
      w.add_gauge(w.service_config(s).name, "locks_held", [&table] { return static_cast<double>(table.held_keys()); });
    }
    const auto& acceptors = w.acceptors();
    for (sim::NodeId id = 1; id < w.node_count(); ++id) {
      const bool acceptor = std::find(acceptors.begin(), acceptors.end(), id) != acceptors.end();
      if (!w.is_service(id)) {
        if (acceptor) {  // an acceptor of its own
          behaviors_.push_back(std::make_unique<Acceptor>(w));
          w.node(id).set_behavior(behaviors_.back().get());
        }
        continue;
      }
      const ServiceId s = w.service_of(id);
      std::unique_ptr<sim::Behavior> coordinator, participant;
      Participant* p = nullptr;
      if (w.is_entry(s)) coordinator = std::make_unique<Coordinator>(w, id);
      if (!w.is_entry(s) || hosts_steps(w, s)) {
        auto made = std::make_unique<Participant>(w, id, *locks_[s]);
        p = made.get();
        participant = std::move(made);
      }
      if (p != nullptr) {
        w.add_gauge(w.node(id).name(), "in_doubt", [p] { return static_cast<double>(p->in_doubt()); });
      }
      if (acceptor || (coordinator && participant)) {
        behaviors_.push_back(std::make_unique<Roles>(std::move(coordinator), std::move(participant),
                                                     acceptor ? std::make_unique<Acceptor>(w) : nullptr));
      } else {
        behaviors_.push_back(coordinator ? std::move(coordinator) : std::move(participant));
      }
      w.node(id).set_behavior(behaviors_.back().get());
    }
  }

 private:
  static bool hosts_steps(const World& w, ServiceId s) {
    for (const auto& wf : w.workflows()) {
      for (const Step& st : wf->steps()) {
        if (st.service == s) return true;
      }
    }
    return false;
  }
  std::vector<std::unique_ptr<ServiceLocks>> locks_;  // by service
  std::vector<std::unique_ptr<sim::Behavior>> behaviors_;
};

ServiceLocks::ServiceLocks()
    : table([this](uint64_t owner) {
        const auto it = waiting.find(owner);
        if (it == waiting.end()) return;
        Participant* p = it->second;
        waiting.erase(it);
        p->on_locked(owner);
      }) {}

}  // namespace

const PatternInfo kTwoPhaseCommitPattern{
    "two_phase_commit",
    "a coordinator prepares every participant, then commits or aborts them all (locks, logs)",
    [](Transport) -> std::unique_ptr<Pattern> { return std::make_unique<TwoPhaseCommit>(); },
    1u << static_cast<unsigned>(Transport::kRpc),
    Transport::kRpc,
    /*saga=*/false,
    /*atomic=*/true,
    /*may_block=*/true,
    /*durable_entry=*/true,
    [](uint32_t type) -> const char* {
      switch (type) {
        case kPrepare: return "Prepare";
        case kVote: return "Vote";
        case kCommit: return "Commit";
        case kAbort: return "Abort";
        case kAck: return "Ack";
        case kDecisionQuery: return "DecisionQuery";
        case kPhase2a: return "Accept(2a)";
        case kPhase2b: return "Accepted(2b)";
        case kPhase1a: return "Prepare(1a)";
        case kPhase1b: return "Promise(1b)";
        case kRefused: return "Refused";
        default: return nullptr;
      }
    },
    /*colocates=*/true};

}  // namespace models
