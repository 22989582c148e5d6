// Spelling help for error messages: the closest valid word to a misspelt one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sim {

// Levenshtein distance (insert, delete, substitute cost 1; case-insensitive).
size_t edit_distance(std::string_view a, std::string_view b);

// Returns the candidate closest to `word` if it is close enough to be a likely misspelling
// (distance at most max(1, |word| / 3)), else nullopt. Ties go to the earlier candidate.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// "a, b or c" (with quotes around each when `quote`), for messages that list valid values.
std::string join_alternatives(const std::vector<std::string>& words, bool quote = true);
// "a, b and c" (with quotes around each when `quote`), for messages that list what exists.
std::string join_all(const std::vector<std::string>& words, bool quote = true);

}  // namespace sim
