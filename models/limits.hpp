// The model's fixed limits, in one place (the loader refuses what exceeds them).
#pragma once

#include <cstddef>

namespace models {

// Steps in one workflow: a transaction's effects are one bit per step of a 32-bit mask.
constexpr size_t kMaxSteps = 32;
// Request types (workflows) in one scenario: a transaction's type is one byte.
constexpr size_t kMaxRequestTypes = 255;
// Calls in the call trees of one workflow (a call is the `part` of a Token: 12 bits).
constexpr uint32_t kMaxCalls = 4095;
// Replicas of one service.
constexpr uint32_t kMaxReplicas = 1000;
// Paxos Commit's F (2F + 1 acceptors; a proposer keeps one ballot per acceptor).
constexpr uint32_t kMaxToleratedFaults = 3;

}  // namespace models
