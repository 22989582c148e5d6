// The model's fixed limits, in one place (the loader refuses what exceeds them).
#pragma once

#include <cstddef>

namespace models {

// Steps in one workflow: a transaction's effects are one bit per step of a 32-bit mask.
constexpr size_t kMaxSteps = 32;

}  // namespace models
