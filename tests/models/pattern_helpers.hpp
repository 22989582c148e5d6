// Helpers for the pattern tests: build a scenario from YAML text, run one pattern.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "app/patterns.hpp"
#include "app/scenario.hpp"
#include "models/run.hpp"

namespace test {

inline app::Scenario scenario(const std::string& yaml, const std::vector<app::Override>& o = {}) {
  auto r = app::load_scenario_text(yaml, "test.yaml", o);
  if (!r.ok()) FAIL(r.status().message());
  return std::move(r).value();
}

inline models::RunResult run(const app::Scenario& s, models::PatternKind k, uint64_t rep = 0) {
  auto p = app::make_pattern(k);
  REQUIRE(p != nullptr);
  return models::run(s.config, k, *p, rep);
}

inline uint64_t outcome(const models::RunResult& r, models::Outcome o) {
  return r.metrics.outcomes[static_cast<size_t>(o)];
}

inline const std::vector<models::PatternKind>& all_patterns() {
  static const std::vector<models::PatternKind> v{
      models::PatternKind::kOrchestration, models::PatternKind::kChoreography,
      models::PatternKind::kTwoPhaseCommit, models::PatternKind::kSagaOrchestrated,
      models::PatternKind::kSagaChoreographed};
  return v;
}

}  // namespace test
