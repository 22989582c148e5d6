// What is checked before yaml-cpp parses a file: its nesting; and the hint added to a parse
// error (scenario_internal.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "app/scenario_internal.hpp"
#include "app/yaml_reader.hpp"

namespace app {

// A hint for the most common YAML mistake in scenarios: a distribution with named
// parameters, like lognormal(median: 2ms, p99: 40ms), written without quotes (YAML reads
// the ": " inside as a new key).
std::string yaml_hint(const std::string& text, const YAML::Mark& mark, const std::string& error) {
  // The lines up to the error's, as they are (without their line ends).
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    std::string l;
    for (int i = 0; i <= mark.line && std::getline(in, l); ++i) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      lines.push_back(l);
    }
  }
  if (lines.empty()) return "";
  const std::string& line = lines.back();
  const int at = static_cast<int>(lines.size());  // the error's line, from 1
  // A NUL byte: no text file has one, and yaml-cpp's own message is about something else
  // ("unknown escape character"). (A file in UTF-16 or UTF-32 is full of NULs, but yaml-cpp
  // reads those: an error in one is its own.)
  const bool wide = text.size() >= 2 && (text[0] == '\0' || text[1] == '\0' ||
                                         static_cast<unsigned char>(text[0]) >= 0xfe);
  if (const size_t nul = line.find('\0'); nul != std::string::npos && !wide) {
    return fmt::format("; line {} holds a NUL byte at column {}: a scenario is a text file (UTF-8)",
                       at, nul + 1);
  }
  // A tab in a line's indentation: YAML indents with spaces only.
  const size_t indent = line.find_first_not_of(" \t");
  if (line.find('\t') < std::min(indent, line.size())) {
    return fmt::format("; line {} is indented with a tab, and YAML indents with spaces only", at);
  }
  const size_t open = line.find('(');
  if (open != std::string::npos && line.find(':', open) != std::string::npos) {
    return "; a value with \": \" inside, like lognormal(median: 2ms, p99: 40ms), must be "
           "quoted: \"lognormal(median: 2ms, p99: 40ms)\"";
  }
  if (error != "illegal map value") return "";
  // What makes a mapping's value illegal in a scenario: a key written without the space
  // after its colon ("rate:100/s" is one plain text, not a key and its value), on this line
  // or the one before; or a line indented deeper than the one above, which opens nothing.
  // The line before: the last one above that is neither blank nor a comment.
  int before = at - 1;
  auto blank = [](const std::string& l) {
    const size_t c = l.find_first_not_of(' ');
    return c == std::string::npos || l[c] == '#';
  };
  while (before >= 1 && blank(lines[static_cast<size_t>(before - 1)])) --before;
  static const std::regex glued(R"(^ *(- +)?([A-Za-z_][A-Za-z0-9_.-]*):[^ #].*$)");
  for (int n : {at, before}) {
    if (n < 1) continue;
    std::smatch m;
    const std::string& l = lines[static_cast<size_t>(n - 1)];
    if (std::regex_match(l, m, glued)) {
      return fmt::format("; line {} has no space after the colon of \"{}:\", so YAML reads the "
                         "line as one text: write \"{}: ...\"",
                         n, m[2].str(), m[2].str());
    }
  }
  if (before >= 1) {
    // Where the content of the line before starts: after its indentation and any "- ".
    const std::string& up = lines[static_cast<size_t>(before - 1)];
    size_t content = up.find_first_not_of(' ');
    while (content != std::string::npos && up.compare(content, 2, "- ") == 0) {
      content = up.find_first_not_of(' ', content + 1);
    }
    std::string tail = up.substr(0, up.find(" #"));
    while (!tail.empty() && tail.back() == ' ') tail.pop_back();
    const bool opens = !tail.empty() && (tail.back() == ':' || tail.back() == '|' || tail.back() == '>');
    if (indent != std::string::npos && content != std::string::npos && indent > content && !opens) {
      return fmt::format("; line {} is indented deeper than line {}, which opens no mapping or "
                         "list: keys of one mapping line up",
                         at, before);
    }
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
