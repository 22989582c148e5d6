// saga_orchestrated: the entry service is a saga orchestrator with a durable saga log.
// (Protocol: docs/patterns.md; the state machine is in saga_orchestrated.cpp.)
#pragma once

#include "models/pattern.hpp"

namespace models {

extern const PatternInfo kSagaOrchestratedPattern;

}  // namespace models
