#include "models/saga.hpp"

#include "models/choreography.hpp"
#include "models/orchestration.hpp"

namespace models {

std::unique_ptr<Pattern> make_saga_orchestrated() { return make_orchestrated(true); }
std::unique_ptr<Pattern> make_saga_choreographed() { return make_choreographed(true); }

}  // namespace models
