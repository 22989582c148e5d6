// models::Workflow: the business function every pattern runs, compiled from
// WorkflowConfig against a World (names resolved to node and operation ids).
//
// Steps run in stages: consecutive steps with the same `group` form one stage and run in
// parallel; stages run in order. Step i's effect is bit i of a transaction's effect mask.
//
// Per-transaction random decisions (does step i fail for business reasons? which keys
// does it touch?) are hashed from (seed, replication, transaction, step), not drawn from a
// stream: they are then the same under every pattern whatever order things happen in,
// which is what a fair comparison needs (common random numbers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/config.hpp"
#include "models/limits.hpp"
#include "sim/message.hpp"

namespace models {

struct Step {
  uint32_t index = 0;
  sim::NodeId service = sim::kNoNode;
  uint32_t action_op = 0;
  std::optional<uint32_t> compensate_op;
  bool side_effect = true;
  bool idempotent = false;
  double fails = 0;
  std::string service_name, action;
};

class World;

class Workflow {
 public:
  Workflow(const WorkflowConfig& cfg, const World& world);

  const std::vector<Step>& steps() const { return steps_; }
  const std::vector<std::vector<uint32_t>>& stages() const { return stages_; }
  sim::NodeId entry() const { return entry_; }
  uint32_t entry_op() const { return entry_op_; }
  // Bit i set iff step i has a side effect.
  uint32_t side_effect_mask() const { return side_effect_mask_; }

 private:
  std::vector<Step> steps_;
  std::vector<std::vector<uint32_t>> stages_;
  sim::NodeId entry_ = sim::kNoNode;
  uint32_t entry_op_ = 0;
  uint32_t side_effect_mask_ = 0;
};

// A uniform draw in [0, 1) that depends only on its arguments.
double hashed_uniform(uint64_t seed, uint64_t replication, uint64_t txn, uint32_t step,
                      uint32_t purpose);

// Purposes of hashed draws (keep them distinct).
enum DrawPurpose : uint32_t { kBusinessFailure = 1, kKeyChoice = 2 };

}  // namespace models
