// models::Workflow: the business function every pattern runs, compiled from
// WorkflowConfig against a World (names resolved to node and operation ids).
//
// Steps run in stages: consecutive steps with the same `group` form one stage and run in
// parallel; stages run in order. Step i's effect is bit i of a transaction's effect mask.
//
// Saga roles (Garcia-Molina and Salem 1987; the compensatable / pivot / retriable steps of
// microservice sagas): the pivot is the point of no return, the step marked `pivot`, or
// else the last step with a side effect and no compensation (a saga whose side-effect steps
// all have compensations has none). Steps in stages before the pivot's are compensated on
// failure; steps after it are retried forward until they succeed. The loader checks that a
// saga's workflow follows that order (app/scenario_workflow.cpp).
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
#include "sim/time.hpp"

namespace models {

enum class SagaRole : uint8_t { kBeforePivot, kPivot, kAfterPivot };

// A service of the scenario, by its index in ScenarioConfig::services (its replicas are
// nodes: World::replicas()).
using ServiceId = uint32_t;
constexpr ServiceId kNoService = 0xffff'ffffu;

// One call of a call tree, compiled: what the handler of a step (or of another call) calls
// before it answers. Calls are numbered from 1 within their workflow (0 is the step itself);
// `groups` are its own calls, in order, the calls of a group in parallel.
struct CallNode {
  ServiceId service = kNoService;
  uint32_t op = 0;
  double errors = 0;
  sim::Time timeout;
  uint32_t attempts = 1;
  std::vector<std::vector<uint32_t>> groups;
};

struct Step {
  uint32_t index = 0;
  ServiceId service = kNoService;
  uint32_t action_op = 0;
  std::optional<uint32_t> compensate_op;
  std::optional<uint32_t> confirm_op, cancel_op;  // TCC
  bool side_effect = true;
  bool idempotent = false;
  bool inbox = false;  // its service deduplicates by transaction (an inbox)
  double fails = 0;    // business refusal per (transaction, step)
  double errors = 0;   // technical failure per attempt
  SagaRole role = SagaRole::kBeforePivot;
  bool async = false;     // fired once the transaction commits, not awaited (no stage)
  bool optional = false;  // a failure counts as done, and the answer as degraded
  std::vector<std::vector<uint32_t>> calls;  // the handler's calls (CallNode numbers)
  std::string service_name, action;
  // Compensated on a saga's failure: a side effect with a compensation, before the pivot.
  bool compensable() const {
    return side_effect && compensate_op.has_value() && role == SagaRole::kBeforePivot;
  }
};

// The saga pivot of a workflow as written: the step marked `pivot`, else the last step with
// a side effect and no compensation; nullopt if there is none.
std::optional<size_t> saga_pivot(const WorkflowConfig& wf);

class World;

// The workflow of one request type, compiled against a World (names resolved to service
// and operation ids).
class Workflow {
 public:
  Workflow(const WorkflowConfig& cfg, uint32_t type, const World& world);

  const std::string& name() const { return name_; }
  uint32_t type() const { return type_; }  // its index among the scenario's workflows
  const std::vector<Step>& steps() const { return steps_; }
  // The awaited steps in stages (async steps are in none).
  const std::vector<std::vector<uint32_t>>& stages() const { return stages_; }
  // Bit i set iff step i is awaited (not async).
  uint32_t awaited_mask() const { return awaited_mask_; }
  // The async steps: fired, through the broker, once a transaction of this type commits.
  const std::vector<uint32_t>& async_steps() const { return async_steps_; }
  uint32_t async_mask() const { return ~awaited_mask_ & all_mask(); }
  uint32_t all_mask() const {
    return steps_.size() == 32 ? ~0u : (1u << steps_.size()) - 1;
  }
  ServiceId entry() const { return entry_; }
  uint32_t entry_op() const { return entry_op_; }
  // Bit i set iff step i has a side effect.
  uint32_t side_effect_mask() const { return side_effect_mask_; }
  // The saga pivot's step index, if the workflow has one.
  std::optional<uint32_t> pivot() const { return pivot_; }
  // The stage of a step (an async step's is stages().size(): after them all).
  uint32_t stage_of(uint32_t step) const { return stage_of_[step]; }
  // Call number `part` (from 1) of the workflow's call trees.
  const CallNode& call(uint32_t part) const { return calls_[part]; }

 private:
  // Compiles `groups` (and their calls, recursively) into calls_.
  std::vector<std::vector<uint32_t>> compile(const CallGroups& groups, const World& world);

  std::string name_;
  uint32_t type_ = 0;
  std::vector<Step> steps_;
  std::vector<std::vector<uint32_t>> stages_;
  ServiceId entry_ = kNoService;
  uint32_t entry_op_ = 0;
  uint32_t side_effect_mask_ = 0;
  uint32_t awaited_mask_ = 0;
  std::vector<uint32_t> async_steps_;
  std::optional<uint32_t> pivot_;
  std::vector<uint32_t> stage_of_;
  std::vector<CallNode> calls_;  // calls_[0] unused: part 0 is the step itself
};

// A uniform draw in [0, 1) that depends only on its arguments.
double hashed_uniform(uint64_t seed, uint64_t replication, uint64_t txn, uint32_t step,
                      uint32_t purpose);

// Purposes of hashed draws (keep them distinct).
// A technical error's purpose also carries the attempt: kTechnicalError + (attempt << 8).
// A call's technical error uses the step kTechnicalErrorCall + part.
enum DrawPurpose : uint32_t {
  kBusinessFailure = 1, kKeyChoice = 2, kTechnicalError = 3, kRequestType = 4, kCallError = 5,
  kJoinReplica = 6, kTraceSample = 7
};

}  // namespace models
