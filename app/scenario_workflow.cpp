// The workflow section of a scenario, and the saga order its steps must follow when a saga
// pattern runs it.
#include <fmt/format.h>

#include <cctype>
#include <optional>

#include "app/scenario_internal.hpp"
#include "models/limits.hpp"
#include "models/workflow.hpp"

namespace app {
namespace {

using models::ScenarioConfig;
using models::StepConfig;

StepConfig read_step(const Ctx& ctx, const YAML::Node& n, const std::string& path,
                     const ScenarioConfig& c, uint32_t group) {
  MapReader m(ctx, n, path,
              {"service", "action", "compensate", "side_effect", "fails", "errors", "idempotent",
               "pivot", "confirm", "cancel"});
  m.require("service", "service: payment");
  m.require("action", "action: charge");
  StepConfig s;
  s.group = group;
  s.path = path;
  s.service = read_node_ref(ctx, m.get("service"), m.path("service"), c, false);
  if (s.service == c.workflow.entry) {
    ctx.fail(m.get("service"), m.path("service"),
             fmt::format("a step cannot run on the entry service \"{}\"; its own work per "
                         "request is workflow.entry_op",
                         s.service));
  }
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

// The node a step was read from (its path is workflow.steps.I or workflow.steps.I.parallel.J).
YAML::Node step_node(const YAML::Node& root, const StepConfig& s) {
  YAML::Node n = root["workflow"];
  size_t start = 0;
  const std::string p = s.path.substr(std::string("workflow.").size());
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

}  // namespace

void read_workflow(const Ctx& ctx, const YAML::Node& n, ScenarioConfig& c) {
  MapReader m(ctx, n, "workflow", {"entry", "entry_op", "steps"});
  m.require("entry", "entry: order");
  auto& wf = c.workflow;
  wf.entry = read_node_ref(ctx, m.get("entry"), m.path("entry"), c, false);
  if (m.has("entry_op")) {
    wf.entry_op = read_op_ref(ctx, m.get("entry_op"), m.path("entry_op"), *find_service(c, wf.entry));
  }
  if (!m.has("steps")) {
    if (wf.entry_op) return;  // the entry's own operation is the whole function
    ctx.fail(n, "workflow",
             "the workflow does nothing: give steps, e.g. steps: [{service: payment, action: "
             "charge}], or an entry_op for the entry service's own work");
  }
  const YAML::Node steps = expect_sequence(ctx, m.get("steps"), m.path("steps"),
                                           "[{service: payment, action: charge}]");
  if (steps.size() == 0 && !wf.entry_op) {
    ctx.fail(steps, m.path("steps"),
             "the workflow does nothing: give at least one step, or an entry_op for the entry "
             "service's own work");
  }
  uint32_t group = 0;
  std::optional<size_t> pivot;  // the step marked pivot: true, if any
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string p = join(m.path("steps"), std::to_string(i));
    const YAML::Node s = steps[i];
    auto add = [&](const YAML::Node& node, const std::string& path) {
      if (wf.steps.size() == models::kMaxSteps) {
        ctx.fail(node, path, fmt::format("a workflow has at most {} steps", models::kMaxSteps));
      }
      wf.steps.push_back(read_step(ctx, node, path, c, group));
      if (!wf.steps.back().pivot) return;
      if (pivot) {
        ctx.fail(node["pivot"], join(path, "pivot"),
                 fmt::format("a workflow has at most one pivot, and {} ({}) is already it",
                             name_of(wf.steps[*pivot]), wf.steps[*pivot].path));
      }
      pivot = wf.steps.size() - 1;
    };
    if (s.IsMap() && s["parallel"].IsDefined()) {
      MapReader pm(ctx, s, p, {"parallel"});
      const YAML::Node par = expect_sequence(ctx, pm.get("parallel"), pm.path("parallel"),
                                             "[{service: a, action: x}, {service: b, action: y}]");
      if (par.size() < 2) {
        ctx.fail(par, pm.path("parallel"), "a parallel group needs at least two steps");
      }
      for (size_t j = 0; j < par.size(); ++j) add(par[j], join(pm.path("parallel"), std::to_string(j)));
    } else {
      add(s, p);
    }
    ++group;
  }
}

void check_saga_order(const Ctx& ctx, const YAML::Node& root, const ScenarioConfig& c) {
  const auto& steps = c.workflow.steps;
  const auto p = models::saga_pivot(c.workflow);
  if (!p) return;  // every side effect can be compensated: no pivot, no retriable steps
  const StepConfig& pivot = steps[*p];
  // "the saga's pivot payment.refund (workflow.steps.1; ...)"
  const std::string the_pivot = fmt::format(
      "the saga's pivot {} ({}{})", name_of(pivot), pivot.path,
      pivot.pivot ? "" : "; by default the last step without compensation");
  for (const StepConfig& s : steps) {
    if (&s == &pivot) continue;
    const YAML::Node at = step_node(root, s);
    if (s.group == pivot.group) {
      ctx.fail(at, s.path,
               fmt::format("saga step {} runs beside {} in one parallel group; the pivot must "
                           "run alone, since a step beside it could fail after the pivot's effect, "
                           "which cannot be undone. Move the pivot out of the group",
                           name_of(s), the_pivot));
    }
    if (!s.side_effect) continue;
    if (s.group < pivot.group && !s.compensate) {
      ctx.fail(at, s.path,
               fmt::format("saga step {} has a side effect but no compensation, and comes before "
                           "{}: give it a compensate operation, or make it the pivot with "
                           "pivot: true",
                           name_of(s), the_pivot));
    }
    if (s.group > pivot.group) {
      const std::string after =
          fmt::format("saga step {} comes after {}, so it is retried until it succeeds",
                      name_of(s), the_pivot);
      if (s.compensate) {
        ctx.fail(at, s.path,
                 fmt::format("{} and is never compensated: remove its compensate operation",
                             after));
      }
      if (s.fails > 0) {
        ctx.fail(at, s.path,
                 fmt::format("{} and cannot refuse: its fails must be 0", after));
      }
      if (s.errors >= 1) {
        ctx.fail(at, s.path,
                 fmt::format("{}, which it never would: its errors must be below 1", after));
      }
      if (!s.idempotent && !find_service(c, s.service)->inbox) {
        ctx.fail(at, s.path,
                 fmt::format("{}, and a retry must not apply it twice: give it idempotent: true, "
                             "or give service \"{}\" an inbox (inbox: true)",
                             after, s.service));
      }
    }
  }
}

}  // namespace app
