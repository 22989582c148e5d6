#include "app/explain_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "app/exit_codes.hpp"
#include "app/files.hpp"
#include "app/runner.hpp"
#include "app/trace_command.hpp"
#include "models/run.hpp"
#include "models/world.hpp"

namespace app {
namespace {

using models::TraceEvent;
using K = TraceEvent::Kind;

// A time, in seconds to the microsecond: "12.300000 s".
std::string at(sim::Time t) { return fmt::format("{:.6f} s", t.seconds()); }
// A duration: "0.612 ms", "2.300 s".
std::string span(sim::Time d) {
  return d < sim::Time::from_seconds(1) ? fmt::format("{:.3f} ms", d.seconds() * 1e3)
                                        : fmt::format("{:.3f} s", d.seconds());
}

// A Mermaid participant id for a node (names may hold '#', '-', ...).
std::string pid(sim::NodeId n) { return fmt::format("n{}", n); }

// Collects the chosen transactions' events, and every crash and recovery, during a run;
// tells the stories when the run ends.
class StoryCollector final : public models::TraceSink {
 public:
  explicit StoryCollector(std::vector<Story>& out) : out_(out) {}
  void begin_run(const models::World&) override {
    events_.clear();
    faults_.clear();
  }
  void event(const models::World&, const TraceEvent& e) override {
    if (e.has_txn) {
      events_[e.txn].push_back(e);
    } else if (faults_.size() < kMaxFaults) {
      faults_.push_back(e);
    }
  }
  void end_run(const models::World& w) override {
    for (auto& [txn, evs] : events_) out_.push_back(tell(w, txn, evs));
  }

 private:
  static constexpr size_t kMaxFaults = 1'000'000;
  Story tell(const models::World& w, uint64_t txn, std::vector<TraceEvent>& evs) const;
  std::vector<Story>& out_;
  std::map<uint64_t, std::vector<TraceEvent>> events_;
  std::vector<TraceEvent> faults_;
};

const char* answer_text(models::Answer a) {
  switch (a) {
    case models::Answer::kNone: return "nothing";
    case models::Answer::kOk: return "ok";
    case models::Answer::kRejected: return "refused (a business no)";
    case models::Answer::kError: return "error";
  }
  return "?";
}

std::string step_name(const models::Workflow& wf, uint32_t step) {
  if (step >= wf.steps().size()) return "";
  const models::Step& s = wf.steps()[step];
  return fmt::format("{}.{}", s.service_name, s.action);
}

// " (step payment.charge)" where the event is about a step: a message to or from the step's
// service, a job that is not the step's own action (a compensation); "" otherwise.
std::string step_of(const models::World& w, const models::Workflow& wf, const TraceEvent& e) {
  if (e.step == models::kNoStep || e.step >= wf.steps().size()) return "";
  const models::Step& s = wf.steps()[e.step];
  if (e.kind == K::kMessage) {
    const bool to_service = (w.is_service(e.node) && w.service_of(e.node) == s.service) ||
                            (w.is_service(e.peer) && w.service_of(e.peer) == s.service);
    if (!to_service) return "";
  }
  if (e.kind == K::kJob || e.kind == K::kQueued) {
    if (e.what == s.action) return "";
  }
  return fmt::format(" (step {})", step_name(wf, e.step));
}

std::string line(const models::World& w, const models::Workflow& wf, const TraceEvent& e) {
  const std::string node = w.node(e.node).name();
  const std::string step = step_of(w, wf, e);
  switch (e.kind) {
    case K::kMessage: {
      const std::string peer = w.node(e.peer).name();
      const std::string what = e.duplicate ? e.what + ", a network duplicate," : e.what;
      const std::string attempt = e.attempt > 1 ? fmt::format(", attempt {}", e.attempt) : "";
      if (!e.delivered) {
        return fmt::format("{} -> {}: {}{}{} sent, dropped at {} ({})", node, peer, what, step, attempt,
                           at(e.end), sim::drop_name(e.drop));
      }
      return fmt::format("{} -> {}: {}{}{} (arrives {})", node, peer, what, step, attempt, at(e.end));
    }
    case K::kJob:
      return fmt::format("{}: {}{} served in {}", node, e.what, step, span(e.end - e.start));
    case K::kQueued:
      return fmt::format("{}: {}{} waited {} in the queue", node, e.what, step, span(e.end - e.start));
    case K::kJobLost:
      return fmt::format("{}: {}{}", node, e.what, step);
    case K::kForce:
      return fmt::format("{}: forces its {} record to the log", node, e.what);
    case K::kMark:
      return fmt::format("{}: {}{}", node, e.what, step);
    case K::kCrash:  // with the recovery after it: [start, end]
      return e.end == sim::Time::max() ? fmt::format("{} down from {} to the end of the run", node, at(e.start))
                                       : fmt::format("{} down from {} to {}", node, at(e.start), at(e.end));
    case K::kRecover:
      return fmt::format("{} recovers", node);
    case K::kPartition:
      return fmt::format("{} until {}", e.what, at(e.end));
  }
  return "";
}

// Why the outcome is what it is, from the transaction's record and its events.
std::vector<std::string> reasons(const models::World& w, const models::Workflow& wf, uint64_t txn,
                                 const models::TxnRecord& r, const std::vector<TraceEvent>& evs) {
  std::vector<std::string> out;
  std::vector<std::string> in_place, undone, never;
  for (const models::Step& s : wf.steps()) {
    if (!s.side_effect) continue;
    const uint32_t bit = 1u << s.index;
    const std::string n = step_name(wf, s.index);
    if (r.applied & bit) {
      in_place.push_back(n);
    } else if (r.ever_applied & bit) {
      undone.push_back(n);
    } else {
      never.push_back(n);
    }
  }
  if (!in_place.empty()) out.push_back(fmt::format("in place: {}", fmt::join(in_place, ", ")));
  if (!undone.empty()) out.push_back(fmt::format("applied, then compensated: {}", fmt::join(undone, ", ")));
  if (!never.empty()) out.push_back(fmt::format("never applied: {}", fmt::join(never, ", ")));
  size_t lost = 0, dup = 0;
  for (const TraceEvent& e : evs) {
    if (e.kind == K::kMessage && !e.delivered) ++lost;
    if (e.kind == K::kMessage && e.duplicate) ++dup;
  }
  if (lost > 0) out.push_back(fmt::format("{} message{} dropped", lost, lost == 1 ? "" : "s"));
  if (dup > 0) out.push_back(fmt::format("{} network duplicate{}", dup, dup == 1 ? "" : "s"));
  if (r.retries > 0) out.push_back(fmt::format("{} retr{}", r.retries, r.retries == 1 ? "y" : "ies"));
  if (r.compensations > 0) out.push_back(fmt::format("{} compensation{} sent", r.compensations, r.compensations == 1 ? "" : "s"));
  if (r.refused) {
    // Which step said no: the business draws are the same under every pattern.
    std::string who;
    for (const models::Step& s : wf.steps()) {
      if (w.refuses(txn, s)) {
        who = step_name(wf, s.index);
        break;
      }
    }
    out.push_back(who.empty() ? "a business refusal (or a NO vote) decided the abort"
                              : fmt::format("{} refused it (a business no), which decided the abort", who));
  }
  if (r.in_doubt > 0) out.push_back(fmt::format("{} participant{} still in doubt at the end", r.in_doubt, r.in_doubt == 1 ? "" : "s"));
  if (r.answer != models::Answer::kNone) {
    out.push_back(fmt::format("the client was told {} at {} (after {})", answer_text(r.answer), at(r.answered),
                              span(r.answered - r.arrival)));
  } else {
    out.push_back("the client never got an answer");
  }
  if (!r.done) out.push_back("the pattern never finished with it");
  const models::PatternInfo& p = *w.pattern().info;
  if (!in_place.empty() && !never.empty() && !p.saga && !p.atomic && r.compensations == 0) {
    out.push_back(fmt::format("{} does not undo what a failed transaction applied: the effects "
                              "in place stay",
                              p.name));
  }
  return out;
}

const char* outcome_meaning(models::Outcome o) {
  switch (o) {
    case models::Outcome::kCommitted: return "every side effect is in place";
    case models::Outcome::kAborted: return "no effect remains, and the system decided to abort";
    case models::Outcome::kFailed: return "nothing was applied, and the transaction did not complete";
    case models::Outcome::kBlocked: return "a participant is still in doubt";
    case models::Outcome::kViolated: return "some side effects remain and others do not: an atomicity violation";
  }
  return "";
}

Story StoryCollector::tell(const models::World& w, uint64_t txn, std::vector<TraceEvent>& evs) const {
  Story st;
  st.pattern = w.pattern().label();
  st.txn = txn;
  const models::Ledger& l = w.ledger_view();
  if (txn >= l.size()) {
    st.text = fmt::format("transaction {} under {}: never arrived (the run had {} transactions)\n", txn,
                          st.pattern, l.size());
    return st;
  }
  const models::TxnRecord& r = l.at(txn);
  const models::Workflow& wf = *w.workflows()[r.type];
  const models::Outcome o = l.classify(r);
  // The nodes it involved, and the faults of those nodes while it was open.
  std::set<sim::NodeId> nodes;
  for (const TraceEvent& e : evs) {
    nodes.insert(e.node);
    if (e.kind == K::kMessage) nodes.insert(e.peer);
  }
  sim::Time last = r.arrival;
  for (const TraceEvent& e : evs) last = std::max(last, e.end);
  // A crash and the recovery after it are one window down.
  std::vector<TraceEvent> windows;
  std::map<sim::NodeId, size_t> open;
  for (const TraceEvent& f : faults_) {
    if (f.kind == K::kCrash) {
      open[f.node] = windows.size();
      windows.push_back(f);
      windows.back().end = sim::Time::max();
    } else if (f.kind == K::kRecover && open.count(f.node) > 0) {
      windows[open[f.node]].end = f.start;
      open.erase(f.node);
    } else if (f.kind == K::kPartition) {
      windows.push_back(f);
    }
  }
  std::vector<std::string> downs;
  for (const TraceEvent& f : windows) {
    const bool mine = f.kind == K::kPartition || nodes.count(f.node) > 0;
    if (!mine || f.end < r.arrival || f.start > last) continue;
    evs.push_back(f);
    if (f.kind == K::kCrash) {
      downs.push_back(f.end == sim::Time::max()
                          ? fmt::format("{} was down from {} to the end of the run", w.node(f.node).name(), at(f.start))
                          : fmt::format("{} was down from {} to {}", w.node(f.node).name(), at(f.start), at(f.end)));
    }
  }
  std::stable_sort(evs.begin(), evs.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.start < b.start; });

  std::string t = fmt::format("transaction {} under {}: {}\n", txn, st.pattern, models::outcome_name(o));
  t += fmt::format("  request type {}, arrived at {}{}\n", wf.name(), at(r.arrival),
                   r.measured ? "" : " (not measured: in the warm-up or after the arrivals)");
  for (const TraceEvent& e : evs) t += fmt::format("  {:>14}  {}\n", at(e.start), line(w, wf, e));
  t += "  why:\n";
  for (const std::string& why : reasons(w, wf, txn, r, evs)) t += fmt::format("    - {}\n", why);
  for (const std::string& down : downs) t += fmt::format("    - {}, while it was open\n", down);
  t += fmt::format("    => {}: {}\n", models::outcome_name(o), outcome_meaning(o));
  st.text = std::move(t);

  // The diagram: participants in order of first appearance.
  std::string d = "sequenceDiagram\n";
  std::vector<sim::NodeId> order;
  auto appear = [&](sim::NodeId n) {
    if (std::find(order.begin(), order.end(), n) == order.end()) order.push_back(n);
  };
  for (const TraceEvent& e : evs) {
    if (e.kind == K::kPartition || e.kind == K::kCrash) continue;
    appear(e.node);
    if (e.kind == K::kMessage) appear(e.peer);
  }
  for (const TraceEvent& e : evs) {
    if (e.kind == K::kCrash) appear(e.node);
  }
  for (sim::NodeId n : order) d += fmt::format("  participant {} as {}\n", pid(n), w.node(n).name());
  for (const TraceEvent& e : evs) {
    switch (e.kind) {
      case K::kMessage:
        d += fmt::format("  {}{}{}: {}{}\n", pid(e.node), e.delivered ? "->>" : "-x", pid(e.peer), e.what,
                         e.delivered ? "" : fmt::format(" ({})", sim::drop_name(e.drop)));
        break;
      case K::kJob:
        d += fmt::format("  Note over {}: {} {}\n", pid(e.node), e.what, span(e.end - e.start));
        break;
      case K::kPartition:
        if (!order.empty()) d += fmt::format("  Note over {}: {}\n", pid(order.front()), e.what);
        break;
      case K::kQueued:
        break;
      default:
        d += e.kind == K::kCrash ? fmt::format("  Note over {}: {}\n", pid(e.node), line(w, wf, e))
                                 : fmt::format("  Note over {}: {} at {}\n", pid(e.node),
                                               e.kind == K::kForce ? "force " + e.what : e.what, at(e.start));
    }
  }
  st.diagram = std::move(d);
  return st;
}

}  // namespace

std::vector<Story> explain(const Scenario& s, const ExplainArgs& a) {
  std::vector<Story> out;
  for (const models::PatternChoice& p : s.config.patterns) {
    models::TxnFilter f;
    f.ids = a.txns;
    if (a.outcome) {
      for (const auto& ids : find_outcome(s, {p}, 0, *a.outcome, a.first)) {
        f.ids.insert(f.ids.end(), ids.begin(), ids.end());
      }
      if (f.ids.empty()) {
        out.push_back({p.label(), 0,
                       fmt::format("no transaction ends {} under {}\n", models::outcome_name(*a.outcome), p.label()),
                       ""});
        continue;
      }
    }
    StoryCollector collector(out);
    models::TraceRecorder rec(collector, f);
    const size_t before = out.size();
    MemoryGuard guard;
    const models::RunResult run = models::run(s.config, p, 0, &rec, &guard);
    if (const std::string why = stopped_text(run, guard); !why.empty()) out.push_back({p.label(), 0, fmt::format("note: {}\n", why), ""});
    // A transaction that never arrived has no event: say so.
    for (uint64_t id : f.ids) {
      const bool told = std::any_of(out.begin() + static_cast<std::ptrdiff_t>(before), out.end(),
                                    [&](const Story& st) { return st.txn == id; });
      if (!told) out.push_back({p.label(), id, fmt::format("transaction {} under {}: never arrived\n", id, p.label()), ""});
    }
  }
  return out;
}

int explain_command(const Scenario& s, const ExplainArgs& a) {
  const std::vector<Story> stories = explain(s, a);
  std::string diagrams;
  for (const Story& st : stories) {
    fmt::print("{}", st.text);
    if (!st.diagram.empty()) {
      fmt::print("\n  sequence diagram (Mermaid: paste it into a Markdown file or mermaid.live):\n\n{}\n", st.diagram);
      diagrams += fmt::format("%% transaction {} under {}\n{}\n", st.txn, st.pattern, st.diagram);
    }
  }
  if (!a.mermaid.empty()) {
    if (auto st = write_file_atomic(a.mermaid, diagrams); !st.ok()) {
      fmt::print(stderr, "coordsim: {}\n", st.message());
      return kExitRunError;
    }
  }
  return kExitOk;
}

}  // namespace app
