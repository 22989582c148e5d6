// What is checked before yaml-cpp parses a file: its nesting; and the hint added to a parse
// error (scenario_internal.hpp).

#include <fmt/format.h>

#include <algorithm>

#include "app/scenario_internal.hpp"
#include "app/yaml_reader.hpp"

namespace app {

// A hint for the most common YAML mistake in scenarios: a distribution with named
// parameters, like lognormal(median: 2ms, p99: 40ms), written without quotes (YAML reads
// the ": " inside as a new key).
std::string yaml_hint(const std::string& text, const YAML::Mark& mark) {
  std::istringstream in(text);
  std::string line;
  for (int i = 0; i <= mark.line && std::getline(in, line); ++i) {
  }
  // A NUL byte: no text file has one, and yaml-cpp's own message is about something else
  // ("unknown escape character"). (A file in UTF-16 or UTF-32 is full of NULs, but yaml-cpp
  // reads those: an error in one is its own.)
  const bool wide = text.size() >= 2 && (text[0] == '\0' || text[1] == '\0' ||
                                         static_cast<unsigned char>(text[0]) >= 0xfe);
  if (const size_t nul = line.find('\0'); nul != std::string::npos && !wide) {
    return fmt::format("; line {} holds a NUL byte at column {}: a scenario is a text file (UTF-8)",
                       mark.line + 1, nul + 1);
  }
  // A tab in a line's indentation: YAML indents with spaces only.
  const size_t indent = line.find_first_not_of(" \t");
  if (line.find('\t') < std::min(indent, line.size())) {
    return fmt::format("; line {} is indented with a tab, and YAML indents with spaces only",
                       mark.line + 1);
  }
  const size_t open = line.find('(');
  if (open != std::string::npos && line.find(':', open) != std::string::npos) {
    return "; a value with \": \" inside, like lognormal(median: 2ms, p99: 40ms), must be "
           "quoted: \"lognormal(median: 2ms, p99: 40ms)\"";
  }
  return "";
}

// yaml-cpp recurses once per nesting level, so a document nested thousands deep (which no
// scenario needs) could exhaust the stack before we see it. This scan bounds the nesting
// of flow collections ([ and {) and of block indentation before parsing; it ignores quoted
// text and comments. Returns an error message, or "" when the text is within bounds.
std::string check_shape(const std::string& text, const std::string& file) {
  constexpr size_t kMaxBytes = kMaxScenarioBytes;
  constexpr int kMaxFlowDepth = 64;
  constexpr size_t kMaxIndent = 256;
  if (text.size() > kMaxBytes) {
    return fmt::format("{}: the file is larger than 64 MiB; a scenario never needs that (100,000 services in call trees take 7 MiB)", file);
  }
  int depth = 0;
  size_t line = 1, col = 0, indent = 0;
  bool at_line_start = true;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++col;
    if (c == '\n') {
      ++line;
      col = 0;
      indent = 0;
      at_line_start = true;
      if (quote == '\'') quote = 0;  // single-quoted scalars do not span lines here
      continue;
    }
    if (at_line_start) {
      if (c == ' ' || c == '-' || c == '?' || c == '\t') {
        if (++indent > kMaxIndent) {
          return fmt::format("{}:{}:{}: the text is indented or nested deeper than {} columns; "
                             "a scenario never needs that",
                             file, line, col, kMaxIndent);
        }
        continue;
      }
      at_line_start = false;
    }
    if (quote != 0) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxFlowDepth) {
        return fmt::format("{}:{}:{}: lists and mappings nest deeper than {} levels; a scenario "
                           "never needs that",
                           file, line, col, kMaxFlowDepth);
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return "";
}

}  // namespace app
