// The workflow section of a scenario, and the saga order its steps must follow when a saga
// pattern runs it.
#include <fmt/format.h>

#include <cctype>
#include <optional>
#include <unordered_map>

#include "app/scenario_fields.hpp"
#include "app/scenario_internal.hpp"
#include "models/limits.hpp"
#include "models/workflow.hpp"

namespace app {
namespace {

using models::ScenarioConfig;
using models::StepConfig;

// The keys of a step or a call: its group's, but `parallel`, which makes an entry a group
// instead (read by the list's reader).
const std::vector<std::string>& entry_keys(std::string_view group) {
  static const auto without = [](std::string_view g) {
    std::vector<std::string> keys = field_keys(g);
    std::erase(keys, "parallel");
    return keys;
  };
  static const std::vector<std::string> kStep = without("step"), kCall = without("call");
  return group == "step" ? kStep : group == "call" ? kCall : field_keys(group);
}

// `calls:` of a step or of a call: a list of calls and parallel groups, in order.
models::CallGroups read_calls(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                              const ScenarioConfig& c, uint32_t& count, int depth);

models::CallConfig read_call(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                             const ScenarioConfig& c, uint32_t& count, int depth) {
  MapReader m(ctx, n, path, entry_keys("call"));
  m.require("service", "service: mongo");
  m.require("action", "action: find");
  if (++count > models::kMaxCalls) {
    ctx.fail(n, path, fmt::format("a workflow's call trees have at most {} calls", models::kMaxCalls));
  }
  models::CallConfig call;
  call.path = path;
  call.service = read_node_ref(ctx, m.get("service"), m.path("service"), c, false);
  call.action = read_op_ref(ctx, m.get("action"), m.path("action"), *find_service(c, call.service));
  if (m.has("errors")) call.errors = read_probability(ctx, m.get("errors"), m.path("errors"));
  if (m.has("timeout")) call.timeout = read_duration(ctx, m.get("timeout"), m.path("timeout"), true);
  if (m.has("attempts")) {
    call.attempts = static_cast<uint32_t>(read_count(ctx, m.get("attempts"), m.path("attempts"), 1, 1000));
  }
  if (m.has("calls")) call.calls = read_calls(ctx, m.get("calls"), m.path("calls"), c, count, depth + 1);
  return call;
}

models::CallGroups read_calls(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                              const ScenarioConfig& c, uint32_t& count, int depth) {
  const yaml::Node seq = expect_sequence(ctx, n, path, "[{service: mongo, action: find}]");
  if (seq.size() == 0) ctx.fail(n, path, "the list of calls is empty; remove calls or give one");
  models::CallGroups groups;
  for (size_t i = 0; i < seq.size(); ++i) {
    const std::string p = join(path, std::to_string(i));
    const yaml::Node item = seq[i];
    groups.emplace_back();
    if (item.IsMap() && item["parallel"].IsDefined()) {
      MapReader pm(ctx, item, p, {"parallel"});
      const yaml::Node par = expect_sequence(ctx, pm.get("parallel"), pm.path("parallel"),
                                             "[{service: a, action: x}, {service: b, action: y}]");
      if (par.size() < 2) ctx.fail(par, pm.path("parallel"), "a parallel group needs at least two calls");
      for (size_t j = 0; j < par.size(); ++j) {
        groups.back().push_back(
            read_call(ctx, par[j], join(pm.path("parallel"), std::to_string(j)), c, count, depth));
      }
    } else {
      groups.back().push_back(read_call(ctx, item, p, c, count, depth));
    }
  }
  return groups;
}

StepConfig read_step(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                     const ScenarioConfig& c, const models::WorkflowConfig&, uint32_t group,
                     uint32_t& calls) {
  MapReader m(ctx, n, path, entry_keys("step"));
  m.require("service", "service: payment");
  m.require("action", "action: charge");
  StepConfig s;
  s.group = group;
  s.path = path;
  if (m.has("name")) s.name = read_name(ctx, m.get("name"), m.path("name"));
  s.service = read_node_ref(ctx, m.get("service"), m.path("service"), c, false);
  const models::ServiceConfig& svc = *find_service(c, s.service);
  s.action = read_op_ref(ctx, m.get("action"), m.path("action"), svc);
  if (m.has("side_effect")) s.side_effect = read_bool(ctx, m.get("side_effect"), m.path("side_effect"));
  // An operation of the step's own service that undoes or settles its effect.
  auto effect_op = [&](const char* key, const char* meaning) {
    if (!s.side_effect) {
      ctx.fail(m.get(key), m.path(key),
               fmt::format("a step without side effects has nothing to {}; remove {} or set "
                           "side_effect: true",
                           meaning, key));
    }
    std::string op = read_op_ref(ctx, m.get(key), m.path(key), svc);
    if (op == s.action) {
      ctx.fail(m.get(key), m.path(key),
               fmt::format("the {} operation must be a different operation from the action", key));
    }
    return op;
  };
  if (m.has("compensate")) s.compensate = effect_op("compensate", "compensate");
  if (m.has("confirm")) s.confirm = effect_op("confirm", "confirm");
  if (m.has("cancel")) s.cancel = effect_op("cancel", "cancel");
  if (m.has("fails")) s.fails = read_probability(ctx, m.get("fails"), m.path("fails"));
  if (m.has("errors")) s.errors = read_probability(ctx, m.get("errors"), m.path("errors"));
  if (m.has("idempotent")) s.idempotent = read_bool(ctx, m.get("idempotent"), m.path("idempotent"));
  if (m.has("calls")) s.calls = read_calls(ctx, m.get("calls"), m.path("calls"), c, calls, 0);
  // Async and optional steps are not part of the transaction's outcome: without side
  // effects, and (async) without a refusal nobody would hear.
  auto outside_outcome = [&](const char* key, const char* what) {
    if (s.side_effect) {
      ctx.fail(m.get(key), m.path(key),
               fmt::format("{}, so it cannot have a side effect on the transaction's data; add "
                           "side_effect: false",
                           what));
    }
  };
  if (m.has("async")) {
    s.async = read_bool(ctx, m.get("async"), m.path("async"));
    if (s.async) {
      outside_outcome("async", "an async step is fired once the transaction commits and nobody waits for it or undoes it");
      if (m.has("fails")) {
        ctx.fail(m.get("fails"), m.path("fails"),
                 "nobody hears an async step's refusal; remove fails (errors, retried by the "
                 "broker, are allowed)");
      }
    }
  }
  if (m.has("optional")) {
    s.optional = read_bool(ctx, m.get("optional"), m.path("optional"));
    if (s.optional) {
      outside_outcome("optional", "an optional step's failure only degrades the answer");
      if (s.async) {
        ctx.fail(m.get("optional"), m.path("optional"),
                 "an async step is never waited for, so it is optional already; remove optional");
      }
    }
  }
  if (m.has("pivot")) {
    s.pivot = read_bool(ctx, m.get("pivot"), m.path("pivot"));
    if (s.pivot && !s.side_effect) {
      ctx.fail(m.get("pivot"), m.path("pivot"),
               "a pivot is the step whose side effect cannot be undone (the saga's point of no "
               "return); this step has side_effect: false");
    }
    if (s.pivot && s.compensate) {
      ctx.fail(m.get("pivot"), m.path("pivot"),
               "a pivot cannot be compensated (it is the saga's point of no return); remove "
               "compensate, or pivot: true");
    }
  }
  return s;
}

// One workflow (a request type) at `path`: `workflow`, or `workflows.NAME` with a weight.
models::WorkflowConfig read_one(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                                const ScenarioConfig& c, bool weighted) {
  std::vector<std::string> keys = field_keys("workflow");
  if (!weighted) std::erase(keys, "weight");  // a share only means something in a mix
  MapReader m(ctx, n, path, keys);
  m.require("entry", "entry: order");
  models::WorkflowConfig wf;
  if (weighted) {
    m.require("weight", "weight: 0.6");
    wf.weight = read_number(ctx, m.get("weight"), m.path("weight"), 0, 1e12);
    if (wf.weight <= 0) {
      ctx.fail(m.get("weight"), m.path("weight"),
               fmt::format("expected a positive share of the arrivals, found {}", wf.weight));
    }
  }
  wf.entry = read_node_ref(ctx, m.get("entry"), m.path("entry"), c, false);
  if (m.has("entry_op")) {
    wf.entry_op = read_op_ref(ctx, m.get("entry_op"), m.path("entry_op"), *find_service(c, wf.entry));
  }
  if (!m.has("steps")) {
    if (wf.entry_op) return wf;  // the entry's own operation is the whole function
    ctx.fail(n, path,
             "the workflow does nothing: give steps, e.g. steps: [{service: payment, action: "
             "charge}], or an entry_op for the entry service's own work");
  }
  const yaml::Node steps = expect_sequence(ctx, m.get("steps"), m.path("steps"),
                                           "[{service: payment, action: charge}]");
  if (steps.size() == 0 && !wf.entry_op) {
    ctx.fail(steps, m.path("steps"),
             "the workflow does nothing: give at least one step, or an entry_op for the entry "
             "service's own work");
  }
  uint32_t group = 0;
  uint32_t calls = 0;           // the calls of the workflow's call trees so far
  std::optional<size_t> pivot;  // the step marked pivot: true, if any
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string p = join(m.path("steps"), std::to_string(i));
    const yaml::Node s = steps[i];
    auto add = [&](const yaml::Node& node, const std::string& at) {
      if (wf.steps.size() == models::kMaxSteps) {
        ctx.fail(node, at, fmt::format("a workflow has at most {} steps", models::kMaxSteps));
      }
      wf.steps.push_back(read_step(ctx, node, at, c, wf, group, calls));
      const StepConfig& added = wf.steps.back();
      for (size_t k = 0; !added.name.empty() && k + 1 < wf.steps.size(); ++k) {
        if (wf.steps[k].name != added.name) continue;
        ctx.fail(node["name"], join(at, "name"),
                 fmt::format("step name \"{}\" is already the name of {}; step names are unique "
                             "within a workflow",
                             added.name, wf.steps[k].path));
      }
      if (!wf.steps.back().pivot) return;
      if (pivot) {
        ctx.fail(node["pivot"], join(at, "pivot"),
                 fmt::format("a workflow has at most one pivot, and {} ({}) is already it",
                             name_of(wf.steps[*pivot]), wf.steps[*pivot].path));
      }
      pivot = wf.steps.size() - 1;
    };
    if (s.IsMap() && s["parallel"].IsDefined()) {
      MapReader pm(ctx, s, p, {"parallel"});
      const yaml::Node par = expect_sequence(ctx, pm.get("parallel"), pm.path("parallel"),
                                             "[{service: a, action: x}, {service: b, action: y}]");
      if (par.size() < 2) {
        ctx.fail(par, pm.path("parallel"), "a parallel group needs at least two steps");
      }
      for (size_t j = 0; j < par.size(); ++j) {
        const std::string at = join(pm.path("parallel"), std::to_string(j));
        add(par[j], at);
        if (wf.steps.back().async) {
          ctx.fail(par[j]["async"], join(at, "async"),
                   "an async step is fired on its own once the transaction commits; take it "
                   "out of the parallel group");
        }
      }
    } else {
      add(s, p);
    }
    if (!wf.steps.back().async && wf.steps.size() > 1 && wf.steps[wf.steps.size() - 2].async) {
      const models::StepConfig& a = wf.steps[wf.steps.size() - 2];
      ctx.fail(steps[i - 1]["async"], join(a.path, "async"),
               fmt::format("an async step is fired once the transaction commits, after every "
                           "awaited step; move {} after {} ({})",
                           name_of(a), name_of(wf.steps.back()), wf.steps.back().path));
    }
    ++group;
  }
  return wf;
}

}  // namespace

// The node at a dotted path from the root (workflow.steps.I, workflows.NAME.steps.I.calls.0,
// ...): the place a step or a call was read from.
yaml::Node node_at(const yaml::Node& root, const std::string& p) {
  yaml::Node n = root;
  size_t start = 0;
  while (start <= p.size()) {
    const size_t dot = p.find('.', start);
    const std::string seg = p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!seg.empty() && std::isdigit(static_cast<unsigned char>(seg[0]))) {
      n.reset(n[std::stoul(seg)]);
    } else {
      n.reset(n[seg]);
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return n;
}

std::string name_of(const StepConfig& s) { return s.service + "." + s.action; }

void check_async_broker(const Ctx& ctx, const yaml::Node& root, const ScenarioConfig& c) {
  if (c.broker.present) return;
  for (const models::WorkflowConfig& wf : c.workflows) {
    for (const StepConfig& s : wf.steps) {
      if (!s.async) continue;
      ctx.fail(node_at(root, s.path)["async"], join(s.path, "async"),
               "an async step is sent through the broker; add a broker block, e.g. broker: "
               "{latency: exp(2ms)}");
    }
  }
}

// The call that goes to the entry service of the earliest request type (the first such call
// in file order), for the check that the calls of a tree go to no entry service. Every tree is
// walked once, whatever the number of request types.
struct EntryCall {
  size_t workflow = SIZE_MAX;  // the request type whose entry it calls
  const models::CallConfig* call = nullptr;
};
void find_entry_calls(const models::CallGroups& groups,
                      const std::unordered_map<std::string_view, size_t>& entries, EntryCall& first) {
  for (const auto& group : groups) {
    for (const models::CallConfig& call : group) {
      const auto it = entries.find(call.service);
      if (it != entries.end() && it->second < first.workflow) first = {it->second, &call};
      find_entry_calls(call.calls, entries, first);
    }
  }
}

void read_workflows(const Ctx& ctx, const yaml::Node& root, ScenarioConfig& c) {
  const bool one = root["workflow"].IsDefined(), many = root["workflows"].IsDefined();
  if (one && many) {
    ctx.fail(root["workflows"], "workflows",
             "give either workflow (one request type) or workflows (a mix of named request "
             "types), not both");
  }
  if (!one && !many) {
    ctx.fail(root, "",
             "missing key \"workflow\" (for example workflow: {entry: order, steps: "
             "[{service: payment, action: charge}]}), or \"workflows\" for a mix of request "
             "types");
  }
  if (one) {
    c.workflows.push_back(read_one(ctx, root["workflow"], "workflow", c, false));
  } else {
    const yaml::Node n = root["workflows"];
    if (!n.IsMap() || n.size() == 0) {
      ctx.fail(n, "workflows",
               fmt::format("expected a mapping of request types to their workflows, e.g. "
                           "workflows: {{checkout: {{weight: 0.1, entry: web, steps: [...]}}}}, "
                           "found {}",
                           describe(n)));
    }
    for (const auto& [k, v] : unique_entries(ctx, n, "workflows")) {
      const std::string name = read_key_name(ctx, k, "workflows");
      if (c.workflows.size() == models::kMaxRequestTypes) {
        ctx.fail(k, "workflows",
                 fmt::format("a scenario has at most {} request types", models::kMaxRequestTypes));
      }
      c.workflows.push_back(read_one(ctx, v, join("workflows", name), c, true));
      c.workflows.back().name = name;
    }
  }
  // A service plays one part: the entry of request types, or the steps' (and calls') service.
  std::unordered_map<std::string_view, size_t> entries;  // entry service -> first request type
  for (size_t i = 0; i < c.workflows.size(); ++i) entries.try_emplace(c.workflows[i].entry, i);
  EntryCall first;
  for (const auto& b : c.workflows) {
    for (const StepConfig& s : b.steps) find_entry_calls(s.calls, entries, first);
  }
  for (size_t ai = 0; ai < c.workflows.size(); ++ai) {
    const models::WorkflowConfig& a = c.workflows[ai];
    if (first.workflow == ai) {
      const models::CallConfig& call = *first.call;
      ctx.fail(node_at(root, call.path)["service"], join(call.path, "service"),
               fmt::format("service \"{}\" is the entry of {}, so it cannot also be called; "
                           "give the call another service",
                           call.service,
                           a.name == "default" ? std::string("the workflow")
                                               : "request type \"" + a.name + "\""));
    }
    for (const auto& b : c.workflows) {
      if (&a == &b) continue;  // (its own entry: check_colocation, once the patterns are known)
      for (const StepConfig& s : b.steps) {
        if (s.service != a.entry) continue;
        const yaml::Node at = node_at(root, s.path);
        ctx.fail(at["service"], join(s.path, "service"),
                 fmt::format("service \"{}\" is the entry of {}, so it cannot also run a "
                             "step{}; give the step another service",
                             s.service, one ? "the workflow" : "request type \"" + a.name + "\"",
                             one ? "" : " of \"" + b.name + "\""));
      }
    }
  }
}

}  // namespace app
