#include "sim/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace sim {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  const size_t limit = std::max<size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

namespace {
std::string join_with(const std::vector<std::string>& words, bool quote, const char* last) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += (i + 1 == words.size()) ? last : ", ";
    out += quote ? fmt::format("\"{}\"", words[i]) : words[i];
  }
  return out;
}
}  // namespace

std::string join_alternatives(const std::vector<std::string>& words, bool quote) {
  return join_with(words, quote, " or ");
}

std::string join_all(const std::vector<std::string>& words, bool quote) {
  return join_with(words, quote, " and ");
}

}  // namespace sim
