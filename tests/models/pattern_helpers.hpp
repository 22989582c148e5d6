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

// A pattern by name, over its default transport or the one after a slash
// ("orchestration/broker").
inline models::PatternChoice pattern(const std::string& label) {
  const size_t slash = label.find('/');
  const models::PatternInfo* p = models::find_pattern(label.substr(0, slash));
  REQUIRE(p != nullptr);
  models::PatternChoice k = models::default_choice(*p);
  if (slash != std::string::npos) {
    k.transport = label.substr(slash + 1) == "broker" ? models::Transport::kBroker
                                                      : models::Transport::kRpc;
    REQUIRE(p->supports(k.transport));
  }
  return k;
}

inline models::RunResult run(const app::Scenario& s, const models::PatternChoice& p,
                             uint64_t rep = 0) {
  return models::run(s.config, p, rep);
}
inline models::RunResult run(const app::Scenario& s, const std::string& name, uint64_t rep = 0) {
  return run(s, pattern(name), rep);
}

// A probe that watches nothing: attached, a run keeps every transaction's record (as a
// trace or a time series does); without a probe finished records are released as it goes.
struct KeepAll final : models::RunProbe {
  void attach(models::World&) override {}
};

inline uint64_t outcome(const models::RunResult& r, models::Outcome o) {
  return r.metrics.outcomes[static_cast<size_t>(o)];
}

// Every pattern of the table, over its default transport.
inline std::vector<models::PatternChoice> all_patterns() {
  std::vector<models::PatternChoice> v;
  for (const models::PatternInfo* p : models::patterns()) v.push_back(models::default_choice(*p));
  return v;
}

// Every pattern of the table over every transport it runs over.
inline std::vector<models::PatternChoice> all_choices() {
  std::vector<models::PatternChoice> v;
  for (const models::PatternInfo* p : models::patterns()) {
    for (auto t : {models::Transport::kRpc, models::Transport::kBroker}) {
      if (p->supports(t)) v.push_back({p, t});
    }
  }
  return v;
}

}  // namespace test
