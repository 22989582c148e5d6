// Helpers for the pattern tests: build a scenario from YAML text, run one pattern.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "models/registry.hpp"
#include "models/run.hpp"

namespace test {

inline app::Scenario scenario(const std::string& yaml, const std::vector<app::Override>& o = {}) {
  auto r = app::load_scenario_text(yaml, "test.yaml", o);
  if (!r.ok()) FAIL(r.status().message());
  return std::move(r).value();
}

// A pattern over its default transport, by name.
inline models::PatternChoice pattern(const std::string& name) {
  const models::PatternInfo* p = models::find_pattern(name);
  REQUIRE(p != nullptr);
  return models::default_choice(*p);
}

inline models::RunResult run(const app::Scenario& s, const models::PatternChoice& p,
                             uint64_t rep = 0) {
  return models::run(s.config, p, rep);
}
inline models::RunResult run(const app::Scenario& s, const std::string& name, uint64_t rep = 0) {
  return run(s, pattern(name), rep);
}

inline uint64_t outcome(const models::RunResult& r, models::Outcome o) {
  return r.metrics.outcomes[static_cast<size_t>(o)];
}

// Every pattern of the table, over its default transport.
inline std::vector<models::PatternChoice> all_patterns() {
  std::vector<models::PatternChoice> v;
  for (const models::PatternInfo* p : models::patterns()) v.push_back(models::default_choice(*p));
  return v;
}

}  // namespace test
