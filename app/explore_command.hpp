// coordsim explore: systematic single-fault exploration of one transaction under each
// pattern (models/explore.hpp), printed as a table of points by outcome, with the points
// that end violated and those that block longest; optionally written as CSV.
#pragma once

#include <string>

#include "app/scenario.hpp"
#include "models/explore.hpp"

namespace app {

struct ExploreArgs {
  models::ExploreOptions options;
  std::string csv;     // counts per pattern
  std::string points;  // one row per point
  size_t list = 5;     // how many violated and blocking points to print per pattern
};

// Runs the exploration of every pattern of s; prints to stdout, writes the files. Returns
// the exit code.
int explore_command(const Scenario& s, const ExploreArgs& a);

// The text of the table and the lists (what explore_command prints).
std::string explore_report(const std::vector<models::ExploreResult>& results, size_t list);
// The CSV files' texts.
std::string explore_counts_csv(const Scenario& s, const std::vector<models::ExploreResult>& results);
std::string explore_points_csv(const Scenario& s, const std::vector<models::ExploreResult>& results);

}  // namespace app
