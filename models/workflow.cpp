#include "models/workflow.hpp"

#include "models/world.hpp"
#include "sim/assert.hpp"
#include "sim/rng.hpp"

namespace models {

std::optional<size_t> saga_pivot(const WorkflowConfig& wf) {
  std::optional<size_t> last_uncompensated;
  for (size_t i = 0; i < wf.steps.size(); ++i) {
    const StepConfig& s = wf.steps[i];
    if (s.pivot) return i;
    if (s.side_effect && !s.compensate) last_uncompensated = i;
  }
  return last_uncompensated;
}

Workflow::Workflow(const WorkflowConfig& cfg, uint32_t type, const World& world)
    : name_(cfg.name), type_(type) {
  SIM_ASSERT(cfg.steps.size() <= kMaxSteps, "too many workflow steps");
  calls_.emplace_back();  // part 0: the step itself
  entry_ = world.service(cfg.entry);
  auto entry_op = world.op_id(entry_, cfg.entry_op ? *cfg.entry_op : kImplicitRequestOp);
  SIM_ASSERT(entry_op.has_value(), "the entry operation is missing");
  entry_op_ = *entry_op;
  for (size_t i = 0; i < cfg.steps.size(); ++i) {
    const StepConfig& sc = cfg.steps[i];
    Step s;
    s.index = static_cast<uint32_t>(i);
    s.service = world.service(sc.service);
    auto op_of = [&](const std::optional<std::string>& name) -> std::optional<uint32_t> {
      if (!name) return std::nullopt;
      auto id = world.op_id(s.service, *name);
      SIM_ASSERT(id.has_value(), "a step names an operation its service lacks");
      return id;
    };
    s.action_op = *op_of(sc.action);
    s.compensate_op = op_of(sc.compensate);
    s.confirm_op = op_of(sc.confirm);
    s.cancel_op = op_of(sc.cancel);
    s.side_effect = sc.side_effect;
    s.idempotent = sc.idempotent;
    s.inbox = world.service_config(s.service).inbox;
    s.fails = sc.fails;
    s.errors = sc.errors;
    s.calls = compile(sc.calls, world);
    s.service_name = sc.service;
    s.action = sc.action;
    s.async = sc.async;
    s.optional = sc.optional;
    if (s.side_effect) side_effect_mask_ |= 1u << i;
    if (s.async) {
      async_steps_.push_back(s.index);
      stage_of_.push_back(0);  // set below, once the stages are known
    } else {
      awaited_mask_ |= 1u << i;
      if (stages_.empty() || sc.group != cfg.steps[i - 1].group) stages_.emplace_back();
      stages_.back().push_back(s.index);
      stage_of_.push_back(static_cast<uint32_t>(stages_.size() - 1));
    }
    steps_.push_back(std::move(s));
  }
  for (uint32_t a : async_steps_) stage_of_[a] = static_cast<uint32_t>(stages_.size());
  if (const auto p = saga_pivot(cfg)) {
    pivot_ = static_cast<uint32_t>(*p);
    const uint32_t pivot_stage = stage_of_[*p];
    for (Step& s : steps_) {
      s.role = s.index == *p                   ? SagaRole::kPivot
               : stage_of_[s.index] > pivot_stage ? SagaRole::kAfterPivot
                                                  : SagaRole::kBeforePivot;
    }
  }
}

std::vector<std::vector<uint32_t>> Workflow::compile(const CallGroups& groups, const World& world) {
  std::vector<std::vector<uint32_t>> out;
  for (const auto& group : groups) {
    out.emplace_back();
    for (const CallConfig& c : group) {
      CallNode node;
      node.service = world.service(c.service);
      const auto op = world.op_id(node.service, c.action);
      SIM_ASSERT(op.has_value(), "a call names an operation its service lacks");
      node.op = *op;
      node.errors = c.errors;
      node.timeout = c.timeout.value_or(world.config().timeouts.call);
      node.attempts = c.attempts.value_or(world.config().retry.attempts);
      const auto part = static_cast<uint32_t>(calls_.size());
      SIM_ASSERT(part <= kMaxCalls, "too many calls in a workflow");
      calls_.push_back(node);
      auto children = compile(c.calls, world);  // may grow calls_: index, not reference
      calls_[part].groups = std::move(children);
      out.back().push_back(part);
    }
  }
  return out;
}

double hashed_uniform(uint64_t seed, uint64_t replication, uint64_t txn, uint32_t step,
                      uint32_t purpose) {
  uint64_t s = seed ^ (replication * 0x9e3779b97f4a7c15ULL) ^ (txn * 0xd1b54a32d192ed03ULL) ^
               ((static_cast<uint64_t>(step) << 32 | purpose) * 0x8cb92ba72f3d8dd7ULL);
  sim::splitmix64(s);
  return static_cast<double>(sim::splitmix64(s) >> 11) * 0x1.0p-53;
}

}  // namespace models
