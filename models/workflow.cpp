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

Workflow::Workflow(const WorkflowConfig& cfg, const World& world) {
  SIM_ASSERT(cfg.steps.size() <= kMaxSteps, "too many workflow steps");
  entry_ = world.service(cfg.entry);
  const sim::Node& entry_node = world.node(entry_);
  auto entry_op = entry_node.op_id(cfg.entry_op ? *cfg.entry_op : kImplicitRequestOp);
  SIM_ASSERT(entry_op.has_value(), "the entry operation is missing");
  entry_op_ = *entry_op;
  for (size_t i = 0; i < cfg.steps.size(); ++i) {
    const StepConfig& sc = cfg.steps[i];
    Step s;
    s.index = static_cast<uint32_t>(i);
    s.service = world.service(sc.service);
    const sim::Node& n = world.node(s.service);
    auto op = n.op_id(sc.action);
    SIM_ASSERT(op.has_value(), "a step names an operation its service lacks");
    s.action_op = *op;
    auto op_of = [&](const std::optional<std::string>& name) -> std::optional<uint32_t> {
      if (!name) return std::nullopt;
      auto id = n.op_id(*name);
      SIM_ASSERT(id.has_value(), "a step names an operation its service lacks");
      return id;
    };
    s.compensate_op = op_of(sc.compensate);
    s.confirm_op = op_of(sc.confirm);
    s.cancel_op = op_of(sc.cancel);
    s.side_effect = sc.side_effect;
    s.idempotent = sc.idempotent;
    s.inbox = world.service_config(s.service).inbox;
    s.fails = sc.fails;
    s.errors = sc.errors;
    s.service_name = sc.service;
    s.action = sc.action;
    if (s.side_effect) side_effect_mask_ |= 1u << i;
    if (i == 0 || sc.group != cfg.steps[i - 1].group) stages_.emplace_back();
    stages_.back().push_back(s.index);
    stage_of_.push_back(static_cast<uint32_t>(stages_.size() - 1));
    steps_.push_back(std::move(s));
  }
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

double hashed_uniform(uint64_t seed, uint64_t replication, uint64_t txn, uint32_t step,
                      uint32_t purpose) {
  uint64_t s = seed ^ (replication * 0x9e3779b97f4a7c15ULL) ^ (txn * 0xd1b54a32d192ed03ULL) ^
               ((static_cast<uint64_t>(step) << 32 | purpose) * 0x8cb92ba72f3d8dd7ULL);
  sim::splitmix64(s);
  return static_cast<double>(sim::splitmix64(s) >> 11) * 0x1.0p-53;
}

}  // namespace models
