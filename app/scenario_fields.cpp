#include "app/scenario_fields.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <unordered_map>

#include "models/registry.hpp"

namespace app {

namespace {

using T = FieldType;

// One row per field. `value` is the default as a file would write it (so that writing it
// changes nothing: tests/app/fields_test.cpp sets each one and compares the run); `note`
// says the default in words where no value can be written.
const std::vector<Field> kFields{
    // ------------------------------------------------------------ the top level
    {"", "name", T::kText, "", "unnamed", "", "the scenario's name, copied into every output row (one line, no control characters)"},
    {"", "seed", T::kSeed, "", "1", "", "master seed; every random stream derives from it"},
    {"", "duration", T::kDuration, "s", "", "one of `duration`, `transactions` is required",
     "requests arrive for this much simulated time"},
    {"", "transactions", T::kCount, "requests", "", "", "or: stop arrivals after this many requests"},
    {"", "warmup", T::kDuration, "s", "0", "",
     "requests arriving before this time are not measured (must be shorter than `duration`)"},
    {"", "drain", T::kDuration, "s", "60s", "",
     "after arrivals stop, in-flight work gets at most this long to finish before outcomes are "
     "classified"},
    {"", "workload", T::kSection, "", "", "required", "the clients (below)", "workload"},
    {"", "network", T::kSection, "", "", "zero delay, full mesh", "delays, loss, links (below)", "network"},
    {"", "services", T::kNamedMap, "", "", "required", "the services, by name (below)", "service"},
    {"", "broker", T::kSection, "", "", "none",
     "the message broker (below); needed by every pattern run over the broker (`choreography`, "
     "`saga_choreographed`, and `orchestration/broker`, ...) and by async steps",
     "broker"},
    {"", "workflow", T::kSection, "", "", "one of `workflow`, `workflows` is required",
     "the business function (below)", "workflow"},
    {"", "workflows", T::kNamedMap, "", "", "",
     "or: a mix of request types, each a workflow with its share of the arrivals (below)", "workflow"},
    {"", "patterns", T::kList, "", "[orchestration]", "",
     "the patterns to run: a list, or one name; each entry a pattern with its transport (below)", "pattern"},
    {"", "retry", T::kSection, "", "", "one attempt", "retry policy for synchronous calls (below)", "retry"},
    {"", "timeouts", T::kSection, "", "", "as below", "timeouts of calls, votes and locks (below)", "timeouts"},
    {"", "two_phase_commit", T::kSection, "", "", "as below", "the two-phase commit variant, and Paxos Commit's acceptors (below)",
     "two_phase_commit"},
    {"", "tcc", T::kSection, "", "", "as below", "try-confirm-cancel reservations (below)", "tcc"},
    {"", "tracing", T::kSection, "", "", "none",
     "distributed tracing as a cost: sampled spans, their CPU, and the collector they are sent to (below)",
     "tracing"},
    {"", "faults", T::kList, "", "", "none", "scheduled crashes and partitions (below)", "fault"},
    {"", "sweep", T::kAny, "", "", "none", "parameters to sweep with `coordsim sweep` (below)"},

    // ------------------------------------------------------------ workload
    {"workload", "arrival", T::kChoice, "poisson, closed", "poisson", "",
     "`poisson` (open loop: requests arrive at random at `rate`, whatever happens to earlier ones) "
     "or `closed` (a fixed number of clients that each wait for their answer, then think, then "
     "send the next)"},
    {"workload", "rate", T::kRate, "1/s", "", "required for `poisson`",
     "open loop: mean arrivals per unit of time, e.g. `200/s`"},
    {"workload", "phases", T::kList, "", "", "none",
     "open loop: later rate changes, e.g. `[{at: 60s, rate: 800/s}, {at: 70s, rate: 200/s}]` for a "
     "burst; times must increase",
     "phase"},
    {"workload", "clients", T::kCount, "clients", "", "required for `closed`", "closed loop: number of clients"},
    {"workload", "think", T::kDistribution, "s", "0", "",
     "closed loop: a client's pause between an answer and its next request"},
    {"workload", "deadline", T::kDuration, "s", "", "none",
     "how long a client waits for an answer; an answer after it does not count as available. "
     "Required for `closed` (a client that never hears back moves on after it)"},
    {"workload", "retry", T::kSection, "", "", "one try", "the client's own end-to-end retries (below)",
     "client_retry"},

    {"phase", "at", T::kDuration, "s", "", "required", "when the rate changes"},
    {"phase", "rate", T::kRate, "1/s", "", "required", "the mean arrivals per unit of time from then on"},

    {"client_retry", "attempts", T::kCount, "tries", "", "required", "tries of one request, the first included"},
    {"client_retry", "timeout", T::kDuration, "s", "", "none",
     "a try without an answer after this long is given up, and the next one is sent after the "
     "backoff. Required with more than one attempt"},
    {"client_retry", "backoff", T::kAny, "", "{base: 100ms, max: 2s}", "",
     "wait before try n, as `retry.backoff` below", "backoff"},
    {"client_retry", "jitter", T::kChoice, "none, full", "full", "",
     "`none` or `full` (a uniform fraction of the wait)"},

    // ------------------------------------------------------------ network
    {"network", "latency", T::kDistribution, "s", "0", "",
     "one-way delay of a message between any two nodes"},
    {"network", "loss", T::kProbability, "", "0", "", "probability that a message is lost"},
    {"network", "duplicate", T::kProbability, "", "0", "", "probability that a message is delivered twice"},
    {"network", "mesh", T::kBool, "", "true", "",
     "`true`: every pair of nodes is linked with the defaults above, and `links` override pairs. "
     "`false`: only `links` exist, and a message between nodes that are not linked follows the "
     "path of least mean delay"},
    {"network", "links", T::kList, "", "", "none", "links that differ from the defaults (below)", "link"},

    {"link", "from", T::kNode, "", "", "required", "one end: a service, a replica `NAME#K`, `client` or `broker`"},
    {"link", "to", T::kNode, "", "", "required", "the other end"},
    {"link", "latency", T::kDistribution, "s", "", "`network.latency`", "one-way delay on this link"},
    {"link", "loss", T::kProbability, "", "", "`network.loss`", "probability that a message on it is lost"},
    {"link", "duplicate", T::kProbability, "", "", "`network.duplicate`",
     "probability that a message on it is delivered twice"},
    {"link", "both_ways", T::kBool, "", "true", "", "`false`: a one-way link, from `from` to `to`"},

    // ------------------------------------------------------------ services
    {"service", "workers", T::kCount, "requests", "1", "", "requests served at once"},
    {"service", "queue", T::kCount, "requests", "", "unbounded",
     "requests that may wait for a worker; one more is rejected"},
    {"service", "calls", T::kChoice, "blocking, async", "async", "",
     "`blocking`: a worker that makes a synchronous call stays busy until the reply or timeout "
     "(thread-per-request: a slow dependency exhausts the pool). `async`: the worker is freed "
     "while it waits"},
    {"service", "ops", T::kNamedMap, "distribution", "", "none",
     "the service's operations and their service times, e.g. `{charge: exp(5ms), refund: exp(5ms)}`"},
    {"service", "mttf", T::kMeanTime, "s", "", "never fails",
     "mean time to failure: the service crashes at random. A plain duration means an exponential "
     "with that mean; a distribution is used as written. Give `mttf` and `mttr` both or neither"},
    {"service", "mttr", T::kMeanTime, "s", "", "never fails", "mean time to repair, as `mttf`"},
    {"service", "keys", T::kSection, "", "", "no contention", "its data, for contention (below)", "keys"},
    {"service", "inbox", T::kBool, "", "false", "",
     "`true`: an idempotent receiver. The service records, durably, the steps it executed per "
     "transaction, and answers a duplicate delivery or a retried call from that record, without "
     "running the step again (docs/patterns.md)"},
    {"service", "replicas", T::kCount, "nodes", "1", "", "nodes of this service, from 1 to 1000 (below)"},
    {"service", "balance", T::kChoice, "round_robin, random, least_outstanding", "round_robin", "",
     "how a caller picks a replica"},
    {"service", "failover", T::kBool, "", "true", "",
     "`true`: a retried call goes to another replica than the try before; `false`: to the same one"},

    {"keys", "count", T::kCount, "keys", "", "required", "how many keys the service holds"},
    {"keys", "zipf", T::kNumber, "", "0", "", "the Zipf skew of which key a step touches (0 = uniform)"},
    {"keys", "per_step", T::kCount, "keys", "1", "", "keys one step touches"},

    // ------------------------------------------------------------ broker
    {"broker", "workers", T::kCount, "messages", "4", "", "messages the broker handles at once"},
    {"broker", "latency", T::kDistribution, "s", "0", "", "the broker's handling time per message"},
    {"broker", "redelivery", T::kDuration, "s", "1s", "",
     "an unacknowledged delivery is sent again after this long, then after twice as long each time..."},
    {"broker", "redelivery_max", T::kDuration, "s", "30s", "", "...up to this long (at least `redelivery`)"},
    {"broker", "max_attempts", T::kCount, "deliveries", "5", "",
     "after this many deliveries without acknowledgement the message goes to the dead-letter "
     "queue; `0` delivers without limit"},
    {"broker", "prefetch", T::kCount, "messages", "0", "",
     "deliveries of one subscription (or of one destination's queue) that may be unacknowledged at "
     "once; the others wait in the broker, in order, until one is acknowledged or given up. `0`: "
     "no limit (a slow subscriber gets everything at once, and its redeliveries with it)"},
    {"broker", "durable", T::kBool, "", "true", "",
     "`true`: queued messages survive a broker crash; `false`: they are lost"},
    {"broker", "mttf", T::kMeanTime, "s", "", "never fails", "random crashes of the broker, as for services"},
    {"broker", "mttr", T::kMeanTime, "s", "", "never fails", "the broker's time to repair"},

    // ------------------------------------------------------------ tracing
    {"tracing", "sample", T::kProbability, "", "1", "",
     "the fraction of transactions traced, a hashed draw from the transaction id: the same ones "
     "under every pattern, and the ones `coordsim run --trace-sample` with the same fraction follows"},
    {"tracing", "span_cpu", T::kDuration, "s", "0", "", "CPU time a service spends recording one span"},
    {"tracing", "collector", T::kSection, "", "", "as below", "the node the spans are sent to (below)", "collector"},

    {"collector", "workers", T::kCount, "spans", "1", "", "spans the collector handles at once"},
    {"collector", "queue", T::kCount, "spans", "", "unbounded", "spans that may wait at the collector; more are lost"},
    {"collector", "collect", T::kDistribution, "s", "0", "", "the collector's time per span"},
    {"collector", "mttf", T::kMeanTime, "s", "", "never fails", "random crashes of the collector, as for services"},
    {"collector", "mttr", T::kMeanTime, "s", "", "never fails", "the collector's time to repair"},

    // ------------------------------------------------------------ workflow
    {"workflow", "weight", T::kNumber, "share", "", "required in `workflows`",
     "only in `workflows`: the request type's share of the arrivals (its weight over the sum)"},
    {"workflow", "entry", T::kNode, "", "", "required",
     "the service that receives the clients' requests (the orchestrator or coordinator, or the "
     "publisher of the first event)"},
    {"workflow", "entry_op", T::kOperation, "", "", "none (no time)", "one of the entry's `ops`: its own work per request"},
    {"workflow", "steps", T::kList, "", "", "required",
     "the steps, in order (below). At least one step, unless `entry_op` is given", "step"},

    {"step", "parallel", T::kList, "", "", "",
     "in place of a step: two or more steps run at the same time, `parallel: [step, step, ...]`", "step"},
    {"step", "name", T::kName, "", "", "none",
     "a name for the step (unique in the workflow), for `--set` and `--sweep` paths"},
    {"step", "service", T::kNode, "", "", "required",
     "the service that does it: not the entry, except under two_phase_commit alone (the "
     "coordinator co-located with a participant, docs/patterns.md)"},
    {"step", "action", T::kOperation, "", "", "required", "one of the service's `ops`"},
    {"step", "side_effect", T::kBool, "", "true", "", "whether it changes state that must be all-or-nothing"},
    {"step", "compensate", T::kOperation, "", "", "none",
     "the operation that undoes it (sagas). Only for steps with side effects; a saga needs one "
     "on every side-effect step that a later step follows"},
    {"step", "fails", T::kProbability, "", "0", "",
     "probability that it is refused for a business reason (card declined, out of stock). "
     "Decided once per transaction and step, so a retry meets it again, and every pattern sees "
     "the same refusals"},
    {"step", "errors", T::kProbability, "", "0", "",
     "probability that an attempt fails with a technical error (a 500, a dropped connection): "
     "nothing is applied and a retry may succeed. Drawn per transaction, step and attempt"},
    {"step", "idempotent", T::kBool, "", "false", "",
     "applying it twice has no extra effect (otherwise a second application counts as a duplicate effect)"},
    {"step", "pivot", T::kBool, "", "", "the last side-effect step without compensation",
     "`true`: the saga's point of no return (below)"},
    {"step", "confirm", T::kOperation, "", "", "none",
     "TCC: the operation (of the step's service) that confirms its reservation; without it, "
     "confirming takes no time"},
    {"step", "cancel", T::kOperation, "", "", "none",
     "TCC: the operation that cancels its reservation; without it, cancelling takes no time"},
    {"step", "calls", T::kList, "", "", "none", "what the step's operation calls before it answers: a call tree (below)",
     "call"},
    {"step", "optional", T::kBool, "", "false", "",
     "`true`: the answer does not need this step; when it fails, the request is answered without "
     "it and counted `degraded` instead of failed. Only for steps with `side_effect: false`"},
    {"step", "async", T::kBool, "", "false", "",
     "`true`: fire and forget. Sent through the broker once the transaction has committed, off "
     "the critical path (a confirmation e-mail); redelivered until it is done; nobody waits for "
     "it. Only with `side_effect: false`, without `fails`, after every awaited step, and not in a "
     "parallel group; needs a `broker`"},

    {"call", "parallel", T::kList, "", "", "",
     "in place of a call: two or more calls made at the same time", "call"},
    {"call", "service", T::kNode, "", "", "required", "the service called (not the workflow's entry)"},
    {"call", "action", T::kOperation, "", "", "required", "one of its `ops`"},
    {"call", "calls", T::kList, "", "", "none", "what this call calls in turn", "call"},
    {"call", "timeout", T::kDuration, "s", "", "`timeouts.call`", "a try without a reply after this long is retried"},
    {"call", "attempts", T::kCount, "tries", "", "`retry.attempts`",
     "tries, the first included; the wait between them is `retry.backoff`"},
    {"call", "errors", T::kProbability, "", "0", "",
     "probability that a try fails with a technical error, drawn per transaction, call, try of "
     "the step and try of the call"},

    {"pattern", "pattern", T::kPattern, "", "", "required", "the pattern (an entry may also be written `NAME` or `NAME/TRANSPORT`)"},
    {"pattern", "transport", T::kChoice, "rpc, broker", "", "the pattern's first", "what its messages travel over"},

    // ------------------------------------------------------------ policies
    {"retry", "attempts", T::kCount, "tries", "1", "", "tries of one synchronous call, the first included"},
    {"retry", "backoff", T::kAny, "", "{base: 50ms, max: 1s}", "",
     "wait before retry n: `\"exponential(base: B, max: M)\"` or `{base: B, max: M}` waits B x "
     "2^(n-1), at most M; a plain duration waits that long every time",
     "backoff"},
    {"retry", "jitter", T::kChoice, "none, full, equal", "none", "",
     "`none`; `full`: a uniform fraction of the wait; `equal`: half the wait plus a uniform "
     "fraction of the other half"},
    {"retry", "compensation_attempts", T::kCount, "tries", "0", "",
     "tries of a saga compensation (orchestrated: calls; choreographed: deliveries) before the "
     "transaction is left violated; `0` retries without limit"},

    {"backoff", "base", T::kDuration, "s", "", "required", "the wait before the first retry"},
    {"backoff", "max", T::kDuration, "s", "", "required", "the longest wait (at least `base`)"},

    {"timeouts", "call", T::kDuration, "s", "500ms", "",
     "a synchronous call without a reply after this long is retried or failed; a sender sends "
     "again what the broker has not accepted (an event, a command, an answer) after this long, "
     "then twice as long each time up to `broker.redelivery_max`; TCC confirms only reservations with "
     "this long left to live; 2PC sends PREPARE again to a participant whose vote has not come, "
     "and a decision again until it is acknowledged, after this long and then twice as long "
     "each time up to `timeouts.prepare`"},
    {"timeouts", "prepare", T::kDuration, "s", "1s", "",
     "two-phase commit: the coordinator aborts a transaction whose votes are not all in after "
     "this long; a participant in doubt asks for the decision every this long (and counts as "
     "blocked after it)"},
    {"timeouts", "lock_wait", T::kDuration, "s", "200ms", "",
     "a transaction waiting longer than this for a lock gives up (2PC aborts it)"},
    {"timeouts", "log_force", T::kDuration, "s", "0", "", "time to force a record to a durable log"},

    {"two_phase_commit", "variant", T::kChoice,
     "presumed_abort, presumed_nothing, presumed_commit, paxos_commit, basic", "presumed_abort", "",
     "which records are forced and which messages acknowledged (docs/patterns.md); `basic` is "
     "`presumed_nothing`; `paxos_commit` decides each vote with Paxos among 2F+1 acceptors"},
    {"two_phase_commit", "tolerated_faults", T::kCount, "acceptors", "1", "",
     "paxos_commit: F, the acceptor failures tolerated (2F+1 acceptors; 0 to 3)"},
    {"two_phase_commit", "acceptors", T::kChoice, "own_nodes, participants", "own_nodes", "",
     "paxos_commit: acceptors on nodes of their own (`acceptor1`, ... in faults and links), or "
     "on the first 2F+1 participants' nodes (the entry's first when it hosts a step)"},
    {"two_phase_commit", "acceptor_mttf", T::kMeanTime, "s", "", "never fails",
     "paxos_commit, own_nodes: random crashes of each acceptor, as for services"},
    {"two_phase_commit", "acceptor_mttr", T::kMeanTime, "s", "", "never fails",
     "paxos_commit, own_nodes: an acceptor's time to repair"},
    {"tcc", "expiry", T::kDuration, "s", "30s", "", "how long a TCC reservation lives before it releases itself"},

    // ------------------------------------------------------------ faults
    {"fault", "at", T::kDuration, "s", "", "required", "when the fault begins"},
    {"fault", "for", T::kDuration, "s", "", "required", "how long it lasts"},
    {"fault", "crash", T::kNode, "", "", "",
     "a service (all its replicas), one replica `NAME#K`, `broker` or `collector` is down for the window"},
    {"fault", "partition", T::kAny, "", "", "",
     "two or more groups of nodes (`[[a], [b, c]]`) that cannot reach each other during the "
     "window; nodes not named are unaffected"},
    {"fault", "cut", T::kSection, "", "", "",
     "one-way: messages from the `from` nodes to the `to` nodes are lost; the other direction flows",
     "cut"},
    {"cut", "from", T::kAny, "", "", "required", "the nodes whose messages are cut, a list of names"},
    {"cut", "to", T::kAny, "", "", "required", "the nodes they no longer reach, a list of names"},
};

const std::vector<std::pair<std::string_view, std::string_view>> kGroups{
    {"", ""},
    {"workload", "workload"},
    {"phase", "workload.phases.N"},
    {"client_retry", "workload.retry"},
    {"network", "network"},
    {"link", "network.links.N"},
    {"service", "services.NAME"},
    {"keys", "services.NAME.keys"},
    {"broker", "broker"},
    {"tracing", "tracing"},
    {"collector", "tracing.collector"},
    {"workflow", "workflow"},
    {"step", "workflow.steps.N"},
    {"call", "workflow.steps.N.calls.N"},
    {"pattern", "patterns.N"},
    {"retry", "retry"},
    {"backoff", "retry.backoff"},
    {"timeouts", "timeouts"},
    {"two_phase_commit", "two_phase_commit"},
    {"tcc", "tcc"},
    {"fault", "faults.N"},
    {"cut", "faults.N.cut"},
};

std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

const std::vector<Field>& scenario_fields() { return kFields; }

const std::vector<std::string>& field_keys(std::string_view group) {
  // Made once: the loader asks for a group's keys at every mapping it opens.
  static const std::unordered_map<std::string_view, std::vector<std::string>> kKeys = [] {
    std::unordered_map<std::string_view, std::vector<std::string>> m;
    for (const Field& f : kFields) m[f.group].emplace_back(f.key);
    return m;
  }();
  static const std::vector<std::string> kNone;
  const auto it = kKeys.find(group);
  return it == kKeys.end() ? kNone : it->second;
}

const Field* find_field(std::string_view group, std::string_view key) {
  for (const Field& f : kFields) {
    if (f.group == group && f.key == key) return &f;
  }
  return nullptr;
}

std::vector<std::string> field_choices(std::string_view group, std::string_view key) {
  const Field* f = find_field(group, key);
  std::vector<std::string> out;
  std::string_view rest = f->unit;
  while (!rest.empty()) {
    const size_t comma = rest.find(", ");
    out.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 2);
  }
  return out;
}

std::string type_name(const Field& f) {
  switch (f.type) {
    case T::kText: return "text";
    case T::kName: return "name";
    case T::kSeed: return "whole number";
    case T::kCount: return "count";
    case T::kNumber: return "number";
    case T::kProbability: return "probability";
    case T::kDuration: return "duration";
    case T::kRate: return "rate";
    case T::kDistribution: return "distribution";
    case T::kMeanTime: return "duration or distribution";
    case T::kBool: return "true or false";
    case T::kChoice: return fmt::format("one of {}", f.unit);
    case T::kPattern: return fmt::format("one of {}", fmt::join(models::pattern_names(), ", "));
    case T::kNode: return "node";
    case T::kOperation: return "operation";
    case T::kSection: return "mapping";
    case T::kList: return "list";
    case T::kNamedMap: return "mapping of names";
    case T::kAny: return "see meaning";
  }
  return "";
}

std::string default_text(const Field& f) {
  if (!f.value.empty()) return fmt::format("`{}`", f.value);
  return std::string(f.note);
}

std::vector<std::string_view> field_groups() {
  std::vector<std::string_view> out;
  for (const auto& g : kGroups) out.push_back(g.first);
  return out;
}

std::string group_path(std::string_view group) {
  for (const auto& g : kGroups) {
    if (g.first == group) return std::string(g.second);
  }
  return std::string(group);
}

namespace {

// The unit column: what a number of the field counts, or for durations and rates the SI unit
// of the outputs (a file may write any unit).
std::string unit_text(const Field& f) {
  switch (f.type) {
    case T::kCount:
    case T::kNumber: return std::string(f.unit);
    default: return "";  // a duration or rate carries its unit; a choice lists its words
  }
}

}  // namespace

bool print_fields(const std::string& prefix, bool markdown) {
  if (markdown) {
    const auto groups = field_groups();
    if (std::find(groups.begin(), groups.end(), prefix) == groups.end()) {
      std::vector<std::string_view> named(groups.begin() + 1, groups.end());
      fmt::print(stderr, "coordsim fields: no group \"{}\"; the groups are \"\" (the top level), {}\n", prefix,
                 fmt::join(named, ", "));
      return false;
    }
    fmt::print("| key | type | meaning | default |\n|---|---|---|---|\n");
    for (const Field& f : kFields) {
      if (f.group != prefix) continue;
      const std::string unit = unit_text(f);
      fmt::print("| `{}` | {}{} | {} | {} |\n", f.key, type_name(f),
                 unit.empty() ? "" : fmt::format(" ({})", unit), cell(f.doc), cell(default_text(f)));
    }
    return true;
  }
  size_t shown = 0;
  for (const Field& f : kFields) {
    const std::string base = group_path(f.group);
    const std::string path = base.empty() ? std::string(f.key) : fmt::format("{}.{}", base, f.key);
    if (path.rfind(prefix, 0) != 0) continue;
    const std::string unit = unit_text(f);
    const std::string def = f.value.empty() ? std::string(f.note) : std::string(f.value);
    fmt::print("{}\n  {}{}{}\n  {}\n", path, type_name(f), unit.empty() ? "" : fmt::format(", in {}", unit),
               def.empty() ? "" : fmt::format("; default {}", def), f.doc);
    ++shown;
  }
  if (shown == 0) {
    fmt::print(stderr, "coordsim fields: no scenario field starts with \"{}\"; `coordsim fields` lists them all\n",
               prefix);
    return false;
  }
  return true;
}

}  // namespace app
