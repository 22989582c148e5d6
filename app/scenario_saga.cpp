// The checks of a workflow against the patterns listed: the saga order (compensatable
// steps, at most one pivot, retriable steps) and co-location of a step on its workflow's
// entry (scenario_internal.hpp).
#include <fmt/format.h>

#include "app/scenario_internal.hpp"
#include "app/yaml_reader.hpp"
#include "models/registry.hpp"
#include "models/workflow.hpp"

namespace app {

using models::ScenarioConfig;
using models::StepConfig;

void check_saga_order(const Ctx& ctx, const yaml::Node& root, const ScenarioConfig& c) {
  for (const models::WorkflowConfig& wf : c.workflows) check_saga_order(ctx, root, c, wf);
}

void check_colocation(const Ctx& ctx, const yaml::Node& root, const ScenarioConfig& c) {
  const models::PatternChoice* other = nullptr;
  for (const models::PatternChoice& p : c.patterns) {
    if (!p.info->colocates && other == nullptr) other = &p;
  }
  if (other == nullptr) return;
  for (const models::WorkflowConfig& wf : c.workflows) {
    for (const StepConfig& s : wf.steps) {
      if (s.service != wf.entry) continue;
      ctx.fail(node_at(root, s.path)["service"], join(s.path, "service"),
               fmt::format("a step cannot run on the entry service \"{}\" under {} (only "
                           "two_phase_commit runs a step on its coordinator's node); the "
                           "entry's own work per request is workflow.entry_op",
                           s.service, other->label()));
    }
  }
}

void check_saga_order(const Ctx& ctx, const yaml::Node& root, const ScenarioConfig& c,
                      const models::WorkflowConfig& wf) {
  const auto& steps = wf.steps;
  const auto p = models::saga_pivot(wf);
  if (!p) return;  // every side effect can be compensated: no pivot, no retriable steps
  const StepConfig& pivot = steps[*p];
  // "the saga's pivot payment.refund (workflow.steps.1; ...)"
  const std::string the_pivot = fmt::format(
      "the saga's pivot {} ({}{})", name_of(pivot), pivot.path,
      pivot.pivot ? "" : "; by default the last step without compensation");
  for (const StepConfig& s : steps) {
    if (&s == &pivot) continue;
    const yaml::Node at = node_at(root, s.path);
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
