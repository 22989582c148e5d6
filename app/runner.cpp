#include "app/runner.hpp"

#include <fmt/format.h>


namespace app {

sim::Result<std::vector<models::RunResult>> run_scenario(const Scenario& s,
                                                         std::vector<models::PatternChoice> patterns,
                                                         uint64_t replication) {
  if (patterns.empty()) patterns = s.config.patterns;
  std::vector<models::RunResult> out;
  for (const models::PatternChoice& p : patterns) {
    if (!p.info->supports(p.transport)) {
      return sim::Status::invalid(fmt::format("pattern {} does not run over {}", p.info->name,
                                              models::transport_name(p.transport)));
    }
    out.push_back(models::run(s.config, p, replication));
  }
  return out;
}

}  // namespace app
