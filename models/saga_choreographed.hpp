// saga_choreographed: choreography plus compensation events. (Protocol: docs/patterns.md.)
#pragma once

#include "models/pattern.hpp"

namespace models {

extern const PatternInfo kSagaChoreographedPattern;

}  // namespace models
