// coordsim explain: the story of one transaction under a pattern, in plain text and as a
// Mermaid sequence diagram, from the same observer as the traces (models/trace.hpp).
//
// The story lists, in time order, what each node did for the transaction (messages sent,
// received or dropped, jobs served, records forced, dead letters), the crashes and
// recoveries of the nodes it involved while it was open, and ends with why its outcome is
// what it is: which side effects are in place, which were compensated or never applied,
// what the client was told and when, how many messages were lost, how many retries.
// Transaction ids, arrivals and failures are the same under every pattern of a scenario, so
// the stories of one id under two patterns can be set side by side.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "models/ledger.hpp"
#include "models/trace.hpp"

namespace app {

struct ExplainArgs {
  std::vector<uint64_t> txns;              // --txn
  std::optional<models::Outcome> outcome;  // --outcome
  size_t first = 1;                        // --first: with --outcome, how many per pattern
  std::string mermaid;                     // --mermaid FILE: the diagrams alone
};

// One transaction's story, collected from a run.
struct Story {
  std::string pattern;
  uint64_t txn = 0;
  std::string text;     // the plain-text story
  std::string diagram;  // its Mermaid sequenceDiagram
};

// Runs each pattern of s (s.config.patterns) and tells the stories asked for.
std::vector<Story> explain(const Scenario& s, const ExplainArgs& a);

// Prints the stories (and writes --mermaid); returns the exit code.
int explain_command(const Scenario& s, const ExplainArgs& a);

}  // namespace app
