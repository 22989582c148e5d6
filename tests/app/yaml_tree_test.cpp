// The loader's YAML tree (app/yaml_tree.hpp): the same nodes, places and lookups as the
// yaml-cpp node graph it replaced, edits seen through every handle, and values written back
// as yaml-cpp's emitter writes them.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "app/yaml_tree.hpp"

using app::yaml::Node;

namespace {
// Both trees hold the same kinds, scalars and marks, entry for entry.
void same(const Node& ours, const YAML::Node& theirs) {
  INFO("at line " << theirs.Mark().line + 1 << " column " << theirs.Mark().column + 1);
  REQUIRE(ours.IsNull() == theirs.IsNull());
  REQUIRE(ours.IsScalar() == theirs.IsScalar());
  REQUIRE(ours.IsSequence() == theirs.IsSequence());
  REQUIRE(ours.IsMap() == theirs.IsMap());
  REQUIRE(ours.Mark().line == theirs.Mark().line);
  REQUIRE(ours.Mark().column == theirs.Mark().column);
  REQUIRE(ours.Mark().pos == theirs.Mark().pos);
  REQUIRE(ours.size() == theirs.size());
  if (ours.IsScalar()) REQUIRE(ours.Scalar() == theirs.Scalar());
  if (ours.IsSequence()) {
    for (size_t i = 0; i < ours.size(); ++i) same(ours[i], theirs[i]);
  }
  if (ours.IsMap()) {
    auto it = theirs.begin();
    for (const auto& kv : ours) {
      same(kv.first, it->first);
      same(kv.second, it->second);
      ++it;
    }
  }
}
}  // namespace

TEST_CASE("YAML tree: every node, scalar and mark is the one yaml-cpp's own loader gives") {
  const std::string text =
      "name: \"quoted: yes\"\n"
      "empty:\n"
      "tilde: ~\n"
      "services:\n"
      "  api: {workers: 4, ops: {handle: exp(2ms)}}\n"
      "  db:\n"
      "    workers: 2\n"
      "    ops:\n"
      "      q: 'lognormal(median: 1ms, p99: 5ms)'\n"
      "list: [1, [2, 3], {a: b}]\n"
      "block:\n"
      "  - x\n"
      "  - |\n"
      "    two\n"
      "    lines\n"
      "anchored: &a {k: v}\n"
      "again: *a\n";
  same(app::yaml::load(text), YAML::Load(text));
  // An alias is the anchored node itself, as yaml-cpp's is.
  const Node root = app::yaml::load(text);
  CHECK(root["again"]["k"].Scalar() == "v");
  CHECK(root["again"].Mark().line == root["anchored"].Mark().line);
}

TEST_CASE("YAML tree: lookups in a large mapping, first of a repeated key, undefined when absent") {
  std::string text = "big:\n";
  for (int i = 0; i < 1000; ++i) text += fmt::format("  s{}: {}\n", i, i);
  text += "  s7: again\nsmall: {a: 1, a: 2}\n";
  const Node root = app::yaml::load(text);
  const Node big = root["big"];
  REQUIRE(big.size() == 1001);
  for (int i = 0; i < 1000; i += 37) CHECK(big[fmt::format("s{}", i)].Scalar() == std::to_string(i));
  CHECK(big["s7"].Scalar() == "7");          // the first, as yaml-cpp's lookup
  CHECK(root["small"]["a"].Scalar() == "1");
  CHECK_FALSE(big["s1000"].IsDefined());
  CHECK(big["s1000"].Mark().is_null());
  CHECK_FALSE(big[size_t{0}].IsDefined());  // not a list
  CHECK_FALSE(root["big"]["s1"]["deeper"].IsDefined());
  CHECK(root["big"]["s1"].Scalar() == "1");
  CHECK(app::yaml::load("").IsNull());
  CHECK(app::yaml::load("# only a comment\n").IsNull());
  CHECK_THROWS_AS(app::yaml::load("a: [1, 2\n"), YAML::ParserException);
}

TEST_CASE("YAML tree: set and push_back edit the tree every handle sees, the index too") {
  std::string text = "services:\n";
  for (int i = 0; i < 40; ++i) text += fmt::format("  s{}: {{workers: 1}}\n", i);
  const Node root = app::yaml::load(text);
  Node services = root["services"];
  CHECK(services["s3"]["workers"].Scalar() == "1");  // (the index is made here)
  Node s3 = services["s3"];
  s3.set("workers", Node::scalar("8"));
  CHECK(root["services"]["s3"]["workers"].Scalar() == "8");
  services.set("extra", Node::map());
  CHECK(root["services"]["extra"].IsMap());  // a new key is found: the index was dropped
  CHECK(root["services"].size() == 41);
  Node list = Node::sequence();
  Node extra = services["extra"];  // (a copy of the handle: the same node)
  extra.set("faults", list);
  list.push_back(app::yaml::load("{at: 1s}"));
  CHECK(root["services"]["extra"]["faults"].size() == 1);
  CHECK(root["services"]["extra"]["faults"][size_t{0}]["at"].Scalar() == "1s");
  list.set(0, Node::scalar("x"));
  CHECK(root["services"]["extra"]["faults"][size_t{0}].Scalar() == "x");
}

TEST_CASE("YAML tree: values are written back as yaml-cpp's emitter writes them") {
  for (const char* v : {"1h", "[1, 2]", "{base: 50ms, max: 1s}", "\"a: b\"", "~", "[a, {b: [c, d]}]",
                        "'it''s'", "\"\""}) {
    INFO(v);
    YAML::Emitter e;
    e.SetSeqFormat(YAML::Flow);
    e.SetMapFormat(YAML::Flow);
    e << YAML::Load(v);
    CHECK(app::yaml::dump_flow(app::yaml::load(v)) == e.c_str());
    CHECK(app::yaml::dump(app::yaml::load(v)) == YAML::Dump(YAML::Load(v)));
  }
}
