// Reading a YAML tree with precise errors: the one place that turns the tree's nodes into
// checked values. Every failure throws LoadError with a finished message
//   FILE:LINE:COLUMN: FIELD.PATH: expected ..., found ...
// (yaml-cpp marks are 0-based; we print 1-based). Nodes that came from a --set override are
// reported against the override instead of a file position.
#pragma once

#include <yaml-cpp/exceptions.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "app/scenario.hpp"
#include "app/yaml_tree.hpp"
#include "sim/distribution.hpp"
#include "sim/time.hpp"

namespace app {

class LoadError : public std::runtime_error {
 public:
  explicit LoadError(const std::string& m) : std::runtime_error(m) {}
};

class Ctx {
 public:
  Ctx(std::string file, const std::string& text, std::vector<Override> overrides);

  // "FILE:LINE:COL" of a node (plus `offset` characters into its scalar), or the override
  // that produced the node at `path`.
  std::string where(const YAML::Mark& mark, const std::string& path, size_t offset = 0) const;
  [[noreturn]] void fail(const yaml::Node& n, const std::string& path, const std::string& what,
                         size_t offset = 0) const;
  [[noreturn]] void fail_at(const YAML::Mark& m, const std::string& path,
                            const std::string& what) const;
  // Like fail(), but the place is looked up for `place_path` (a key under `path`: an unknown
  // key that a --set override introduced is reported against the override).
  [[noreturn]] void fail_key(const yaml::Node& key, const std::string& path,
                             const std::string& place_path, const std::string& what) const;
  const std::string& file() const { return file_; }
  // Whether the node at `path` (or one above it) is an override's (--set), not the file's.
  bool overridden(const std::string& path) const { return override_of(path) != nullptr; }

 private:
  const Override* override_of(const std::string& path) const;

  std::string file_;
  std::string text_;
  std::vector<size_t> line_starts_;  // where each line of text_ begins
  std::vector<Override> overrides_;
};

// A short description of what a node holds, for "found ..." in messages.
std::string describe(const yaml::Node& n);
// Joins path segments: join("services", "payment") = "services.payment"; join("", "x") = "x".
std::string join(const std::string& path, const std::string& key);

// A YAML mapping whose keys are checked against a fixed list when it is opened: an unknown
// key is an error naming the closest valid one, a duplicate key is an error.
class MapReader {
 public:
  MapReader(const Ctx& ctx, const yaml::Node& node, std::string path,
            const std::vector<std::string>& keys);
  bool has(std::string_view key) const;
  yaml::Node get(std::string_view key) const;  // REQUIRES: has(key)
  std::string path(const std::string& key) const { return join(path_, key); }
  const yaml::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  // REQUIRES: has(key) is false -> error "missing key".
  void require(const std::string& key, const std::string& example) const;

 private:
  const Ctx& ctx_;
  yaml::Node node_;
  std::string path_;
};

// Checks that a mapping's keys are unique (for mappings whose keys are names, like
// services), returning them in file order with their nodes.
std::vector<std::pair<yaml::Node, yaml::Node>> unique_entries(const Ctx& ctx, const yaml::Node& n,
                                                              const std::string& path);

// Typed readers: each checks the node and fails with the expected form.
std::string read_string(const Ctx& ctx, const yaml::Node& n, const std::string& path);
std::string read_name(const Ctx& ctx, const yaml::Node& n, const std::string& path);
// The same for a key of the mapping at `path` (a service, an operation, a request type): a bad
// key that a --set override made is reported against that override.
std::string read_key_name(const Ctx& ctx, const yaml::Node& key, const std::string& path);
sim::Time read_duration(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                        bool positive = false);
double read_rate(const Ctx& ctx, const yaml::Node& n, const std::string& path);
double read_probability(const Ctx& ctx, const yaml::Node& n, const std::string& path);
double read_number(const Ctx& ctx, const yaml::Node& n, const std::string& path, double min,
                   double max);
uint64_t read_count(const Ctx& ctx, const yaml::Node& n, const std::string& path, uint64_t min,
                    uint64_t max = UINT32_MAX);
bool read_bool(const Ctx& ctx, const yaml::Node& n, const std::string& path);
sim::Distribution read_distribution(const Ctx& ctx, const yaml::Node& n, const std::string& path);
// A mean time (mttf, mttr): a plain duration means an exponential with that mean; a
// distribution is used as written.
sim::Distribution read_mean_time(const Ctx& ctx, const yaml::Node& n, const std::string& path);
// One of `choices`; otherwise an error listing them (and the closest one).
std::string read_choice(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                        const std::vector<std::string>& choices);
// A sequence (a lone scalar is not accepted where a list is due).
yaml::Node expect_sequence(const Ctx& ctx, const yaml::Node& n, const std::string& path,
                                  const std::string& example);

}  // namespace app
