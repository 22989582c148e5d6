// Scenario files: YAML text -> models::ScenarioConfig, with every error reported as
//   FILE:LINE:COLUMN: FIELD.PATH: what was expected, found what
// and nothing silently ignored (an unknown key is an error that names the closest valid
// key). docs/scenarios.md is the reference for the format.
//
// Overrides (`--set path=value`, e.g. services.payment.mttf=5min) are applied to the YAML
// tree before it is read, so they are checked exactly like the file; an error in one is
// reported against the override ("--set services.payment.mttf=fast: ...").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/config.hpp"
#include "sim/status.hpp"

namespace app {

struct Override {
  std::string path;   // dotted: services.payment.mttf, workflow.steps.0.fails
  std::string value;  // YAML text: 5min, [a, b], {x: 1}
  std::string label = {};  // how messages name it; empty: "--set PATH=VALUE"
  bool append = false;     // PATH+=VALUE: add VALUE at the end of the list at PATH
  // The name of this override in messages.
  std::string where() const {
    return label.empty() ? "--set " + path + (append ? "+=" : "=") + value : label;
  }
};

// Parses "path=value", or "path+=value" to append to a list. Errors name the argument.
sim::Result<Override> parse_override(const std::string& arg);

// One axis of a sweep: a field path and the values it takes.
struct SweepAxis {
  std::string path;
  std::vector<std::string> values;  // YAML text of each value, in order
  // The first value that repeats an earlier one, as (the earlier's index, its own), if any:
  // it would make the same grid point twice, under one label.
  std::optional<std::pair<size_t, size_t>> repeated_value() const {
    for (size_t i = 0; i < values.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (values[j] == values[i]) return std::pair{j, i};
      }
    }
    return std::nullopt;
  }
};

struct SweepSpec {
  std::vector<SweepAxis> axes;
  uint32_t replications = 1;
};

struct Scenario {
  std::string file;     // as given
  std::string text;     // the file's bytes (hashed into outputs)
  models::ScenarioConfig config;
  SweepSpec sweep;
  std::vector<std::string> warnings;  // e.g. a service loaded at or above 100%
};

// Loads and checks a scenario file, with overrides applied.
sim::Result<Scenario> load_scenario_file(const std::string& path,
                                         const std::vector<Override>& overrides = {});
// The same from text (`file` is the name used in messages).
sim::Result<Scenario> load_scenario_text(const std::string& text, const std::string& file,
                                         const std::vector<Override>& overrides = {});

}  // namespace app
