// Parsing of the units written in scenario files: durations ("250ms", "1.5s", "2min", "1h")
// and rates ("200/s", "12000/min").
//
// Durations are converted to integer nanoseconds exactly from their decimal text (no
// floating-point detour), so "0.1s" is exactly 100000000 ns. Errors say what was expected
// and carry the offset of the offending character (Status::offset()).
#pragma once

#include <string_view>

#include "sim/status.hpp"
#include "sim/time.hpp"

namespace sim {

// Units accepted after a number: ns, us, ms, s, min, h.
// A bare "0" is accepted as zero; any other number needs a unit. Negative durations are
// errors. Leading and trailing blanks are ignored.
Result<Time> parse_duration(std::string_view text);

// A rate of events per unit of time, "N/unit" with the units of parse_duration
// ("200/s", "3/min", "0.5/ms"). Returns events per second; must be > 0.
Result<double> parse_rate(std::string_view text);

// A plain non-negative decimal or scientific number ("0.02", "1e-4"): nothing else on the
// line. Used for probabilities and counts written as text.
Result<double> parse_number(std::string_view text);

// Returns true iff `text` looks like a duration (a number followed by a time unit): used to
// give a better message when a duration stands where something else was expected.
bool looks_like_duration(std::string_view text);

}  // namespace sim
