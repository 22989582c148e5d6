// models::patterns(): the table of every coordination pattern coordsim has, in the order
// the help text, the docs and default outputs list them. The scenario loader, the command
// line, the factory and the documentation check all read this one table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "models/pattern.hpp"

namespace models {

const std::vector<const PatternInfo*>& patterns();
// The pattern of that name, or nullptr.
const PatternInfo* find_pattern(std::string_view name);
// The names, in table order.
const std::vector<std::string>& pattern_names();

}  // namespace models
