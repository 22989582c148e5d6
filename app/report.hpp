// Output writers: the summary table (for people), CSV (for analysis) and JSON (for tools).
//
// CSV is deterministic: a fixed column order (csv_columns(), documented in
// docs/output.md), rows in the order given, numbers printed by fmt with a fixed format, and
// seed and replication on every row. Files are written atomically (a temporary file in the
// same directory, then rename), so a reader never sees half a file.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "app/files.hpp"
#include "app/scenario.hpp"
#include "models/run.hpp"
#include "models/timeseries.hpp"
#include "sim/status.hpp"

namespace app {

// The version printed by `coordsim --version` and written into every output row.
inline constexpr const char* kCoordsimVersion = "0.1.0";

std::string summary_table(const Scenario& s, const std::vector<models::RunResult>& results);

const std::vector<std::string>& csv_columns();
// The per-service columns that follow them: for each service, its figures over its replicas
// (service_figures(): utilisation, queue and availability averaged, jobs served added), as
// NAME.FIGURE, on the totals row only. A scenario with more than kMaxServiceColumns services
// has none (the JSON output has them all); csv_services() gives the names to write.
inline constexpr size_t kMaxServiceColumns = 200;
const std::vector<std::string>& service_figures();
std::vector<std::string> csv_services(const models::ScenarioConfig& c);
std::string csv_header(const std::vector<std::string>& services = {});
// The row of a run's totals (request_type "all").
std::string csv_row(const Scenario& s, const models::RunResult& r, const std::vector<std::string>& services = {});
// Every row of a run: its totals, then one per request type when the scenario has several.
std::vector<std::string> csv_rows(const Scenario& s, const models::RunResult& r,
                                  const std::vector<std::string>& services = {});
// The numeric columns of a result (counts and reals, not identifiers), in column order:
// what a sweep aggregates.
std::vector<std::pair<std::string, double>> numeric_metrics(const Scenario& s,
                                                            const models::RunResult& r);
// The names of those columns (a column's kind does not depend on the run).
const std::vector<std::string>& metric_columns();
std::string to_json(const Scenario& s, const std::vector<models::RunResult>& results);

// A CSV field: quoted (with inner quotes doubled) only when it holds a comma, a quote or a
// newline.
std::string csv_escape(std::string_view v);

// A time series (coordsim run --timeseries) as tidy CSV: pattern, t_start_s, t_end_s,
// metric, node, value (docs/output.md).
void write_timeseries_csv(std::ostream& out, const std::vector<models::SeriesRow>& rows);
// Its header line, and its rows alone, each led by `prefix` (a sweep's run identity).
const char* timeseries_header();
std::string timeseries_rows(const std::vector<models::SeriesRow>& rows, const std::string& prefix);

// FNV-1a of the scenario text, as 16 hex digits: identifies the exact input of a result.
std::string scenario_hash(const std::string& text);

}  // namespace app
