#include "models/config.hpp"

namespace models {
namespace {
struct Named {
  PatternKind kind;
  const char* name;
};
constexpr Named kPatterns[] = {
    {PatternKind::kOrchestration, "orchestration"},
    {PatternKind::kChoreography, "choreography"},
    {PatternKind::kTwoPhaseCommit, "two_phase_commit"},
    {PatternKind::kSagaOrchestrated, "saga_orchestrated"},
    {PatternKind::kSagaChoreographed, "saga_choreographed"},
};
}  // namespace

const char* pattern_name(PatternKind p) {
  for (const Named& n : kPatterns) {
    if (n.kind == p) return n.name;
  }
  return "?";
}

std::optional<PatternKind> pattern_from_name(std::string_view name) {
  for (const Named& n : kPatterns) {
    if (name == n.name) return n.kind;
  }
  return std::nullopt;
}

const std::vector<std::string>& pattern_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Named& n : kPatterns) v.emplace_back(n.name);
    return v;
  }();
  return names;
}

}  // namespace models
