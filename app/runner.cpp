#include "app/runner.hpp"

#include <fmt/format.h>

#include "app/patterns.hpp"

namespace app {

sim::Result<std::vector<models::RunResult>> run_scenario(const Scenario& s,
                                                         std::vector<models::PatternKind> patterns,
                                                         uint64_t replication) {
  if (patterns.empty()) patterns = s.config.patterns;
  std::vector<models::RunResult> out;
  for (models::PatternKind k : patterns) {
    auto p = make_pattern(k);
    if (!p) {
      return sim::Status::invalid(fmt::format("pattern \"{}\" is not available in this build",
                                              models::pattern_name(k)));
    }
    out.push_back(models::run(s.config, k, *p, replication));
  }
  return out;
}

}  // namespace app
