#include "models/saga_orchestrated.hpp"

#include "models/orchestration.hpp"

namespace models {

const PatternInfo kSagaOrchestratedPattern{
    "saga_orchestrated",
    "a saga orchestrator with a durable log calls each step and compensates in reverse on failure",
    [](Transport) { return make_orchestrated(true); },
    1u << static_cast<unsigned>(Transport::kRpc),
    Transport::kRpc,
    /*saga=*/true,
    /*atomic=*/true,
    /*may_block=*/false};

}  // namespace models
