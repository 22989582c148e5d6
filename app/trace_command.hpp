// coordsim run --trace and coordsim explain: which transactions to follow, and the runs that
// follow them (models/trace.hpp; app/trace_file.hpp writes the Perfetto file).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "models/ledger.hpp"
#include "models/run.hpp"
#include "models/trace.hpp"
#include "sim/status.hpp"

namespace app {

struct TraceSelection {
  std::vector<uint64_t> txns;        // --trace-txn / --txn
  std::optional<double> sample;      // --trace-sample
  std::optional<models::Outcome> outcome;  // --trace-outcome / --outcome
  size_t first = 0;                  // with outcome: at most this many per pattern (0: all)
};

// "violated" -> Outcome::kViolated; an error lists the outcomes.
sim::Result<models::Outcome> parse_outcome(const std::string& text, const std::string& option);

// The transactions to follow. An outcome needs a first pass over the patterns (the runs are
// deterministic: the second pass sees the same transactions end the same way); the ids
// found are then followed under every pattern, so they can be set side by side.
models::TxnFilter resolve_selection(const Scenario& s,
                                                 const std::vector<models::PatternChoice>& patterns,
                                                 uint64_t replication, const TraceSelection& sel);

// Ids of the transactions that ended with `outcome` under each pattern (first `first` of each,
// 0 for all): one run per pattern.
std::vector<std::vector<uint64_t>> find_outcome(const Scenario& s,
                                                const std::vector<models::PatternChoice>& patterns,
                                                uint64_t replication, models::Outcome outcome,
                                                size_t first);

}  // namespace app
