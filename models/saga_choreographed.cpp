#include "models/saga_choreographed.hpp"

#include "models/choreography.hpp"

namespace models {

const PatternInfo kSagaChoreographedPattern{
    "saga_choreographed",
    "services react to events and compensate their own steps when a later step fails",
    [](Transport) { return make_choreographed(true); },
    1u << static_cast<unsigned>(Transport::kBroker),
    Transport::kBroker,
    /*saga=*/true,
    /*atomic=*/true,
    /*may_block=*/false,
    /*durable_entry=*/false};

}  // namespace models
