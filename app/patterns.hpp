// The pattern registry: the explicit name -> factory table (one line per pattern).
#pragma once

#include <memory>

#include "models/config.hpp"
#include "models/pattern.hpp"

namespace app {

// Returns a fresh instance of the pattern, or nullptr if this build lacks it.
std::unique_ptr<models::Pattern> make_pattern(models::PatternKind kind);

}  // namespace app
