#include "models/workflow.hpp"

#include "models/world.hpp"
#include "sim/assert.hpp"
#include "sim/rng.hpp"

namespace models {

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
    if (sc.compensate) {
      auto c = n.op_id(*sc.compensate);
      SIM_ASSERT(c.has_value(), "a step's compensation names an operation its service lacks");
      s.compensate_op = *c;
    }
    s.side_effect = sc.side_effect;
    s.idempotent = sc.idempotent;
    s.fails = sc.fails;
    s.service_name = sc.service;
    s.action = sc.action;
    if (s.side_effect) side_effect_mask_ |= 1u << i;
    if (i == 0 || sc.group != cfg.steps[i - 1].group) stages_.emplace_back();
    stages_.back().push_back(s.index);
    steps_.push_back(std::move(s));
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
