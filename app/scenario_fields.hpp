// The scenario's fields, in one table: each field's group, key, type, unit, default and a
// line of documentation. The section readers take their key lists from it, --set and
// --sweep check a path against it (so a field the file leaves at its default can be set),
// `coordsim fields` prints it, and the tables of docs/scenarios.md are made from it
// (scripts/docs-fields; tests/docs/fields.sh checks that they agree).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace app {

enum class FieldType {
  kText,          // any string
  kName,          // letters, digits, _ and -
  kSeed,          // a whole number up to 2^64 - 1
  kCount,         // a whole number
  kNumber,        // a real number
  kProbability,   // from 0 to 1
  kDuration,      // a number and a time unit
  kRate,          // a count per unit of time
  kDistribution,  // docs/scenarios.md#distributions
  kMeanTime,      // a duration (the mean of an exponential) or a distribution
  kBool,
  kChoice,        // one of the words in `unit`, separated by ", "
  kPattern,       // a pattern's name (models/registry.hpp)
  kNode,          // a node's name: a service, a replica NAME#K, broker, client, collector
  kOperation,     // one of the service's ops
  kSection,       // a mapping whose keys are the fields of group `sub`
  kList,          // a list whose entries are the fields of group `sub` (or of type `unit`)
  kNamedMap,      // a mapping from names to entries of group `sub` (or values of type `unit`)
  kAny,           // a value of its own form, described in the doc
};

struct Field {
  std::string_view group;  // "" is the top level; "service" is an entry of services; ...
  std::string_view key;
  FieldType type;
  std::string_view unit;  // durations and rates: the SI unit of the outputs; choices: the words
  std::string_view value; // the default as YAML, if it has one that can be written
  std::string_view note;  // the default in words, when it is not a value ("required", "none")
  std::string_view doc;
  std::string_view sub = {};  // the group of a section, list entry or named entry
};

const std::vector<Field>& scenario_fields();

// The keys of `group`, in table order. REQUIRES: the group exists.
const std::vector<std::string>& field_keys(std::string_view group);
// The field `key` of `group`, or null.
const Field* find_field(std::string_view group, std::string_view key);
// The words a choice field accepts, in table order. REQUIRES: the field is a kChoice.
std::vector<std::string> field_choices(std::string_view group, std::string_view key);
// The type's name as the docs write it ("duration", "one of a, b").
std::string type_name(const Field& f);
// The default as the docs write it: `value` in backquotes, or the note.
std::string default_text(const Field& f);

// The groups in the order the docs show them, and each group's path as a reader writes it
// ("services.NAME", "workflow.steps.N").
std::vector<std::string_view> field_groups();
std::string group_path(std::string_view group);

// `coordsim fields`: the table for a newcomer, one field per line (all, or those whose path
// starts with `prefix`); `markdown` prints the docs' table of one group instead. Returns false
// (after a message on stderr) for an unknown prefix or group.
bool print_fields(const std::string& prefix, bool markdown);

}  // namespace app
