#include "app/patterns.hpp"

#include "models/choreography.hpp"
#include "models/orchestration.hpp"
#include "models/saga.hpp"
#include "models/two_phase_commit.hpp"

namespace app {

std::unique_ptr<models::Pattern> make_pattern(models::PatternKind kind) {
  switch (kind) {
    case models::PatternKind::kOrchestration:
      return models::make_orchestration();
    case models::PatternKind::kChoreography:
      return models::make_choreography();
    case models::PatternKind::kSagaOrchestrated:
      return models::make_saga_orchestrated();
    case models::PatternKind::kSagaChoreographed:
      return models::make_saga_choreographed();
    case models::PatternKind::kTwoPhaseCommit:
      return models::make_two_phase_commit();
  }
  return nullptr;
}

}  // namespace app
