// The loader's YAML tree (app/yaml_tree.hpp): the same nodes, places and lookups as the
// yaml-cpp node graph it replaced, edits seen through every handle, and values written back
// as yaml-cpp's emitter writes them.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "app/bench_setup.hpp"
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
  Node extra = services["extra"];  // (a copy of the handle: the same node)
  Node list = extra.set("faults", Node::sequence());  // the stored node
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

namespace {
// Loads `text` whole and in pieces (the pieces' cut falls about halfway, so each padding of
// a trailing comment moves it over another line): the same tree, or the same error.
void same_split(const std::string& text) {
  for (size_t pad = 0; pad <= text.size() + 2; ++pad) {
    const std::string t = text + "#" + std::string(pad, 'x') + "\n";
    INFO(t);
    REQUIRE(app::yaml::split_difference(t) == "");
  }
}
}  // namespace

TEST_CASE("YAML tree: a text parsed in pieces is the text parsed whole, even where a cut falls "
          "inside a construct") {
  same_split("name: x\nseed: 1\nservices: {a: {workers: 1}}\nworkflow: {entry: a}\n");
  // Cuts inside a multi-line quoted scalar, a flow mapping and a flow list that go on in
  // column 0, an alias to an anchor before the cut, a root list, document markers, an error
  // after the cut and one before it, a duplicate key across the cut.
  same_split("a: \"x\nb: y\"\nc: d\ne: f\n");
  same_split("a: 'x\nb: y'\nc: d\ne: f\n");
  same_split("a: {x: 1,\ny: 2}\nc: d\ne: f\n");
  same_split("a: [1,\nb, 3]\nc: d\ne: f\n");
  same_split("a: &anchor {x: 1}\nb: 2\nc: *anchor\nd: 3\n");
  same_split("- a\n- b\n- c\n- d\n");
  same_split("a: 1\n---\nb: 2\nc: 3\n");
  same_split("%YAML 1.2\n---\na: 1\nb: 2\n");
  same_split("a: 1\nb: 2\nc: [\nd: 4\n");
  same_split("a: [\nb: 2\nc: 3\nd: 4\n");
  same_split("a: 1\nb: 2\na: 3\nb: 4\n");
  same_split("a: |\n  text\nb: >\n  folded\nc: x\n");
  same_split("a: plain\nbar\nc: d\n");
  // yaml-cpp lets a quoted scalar run to the end of the text (found by the fuzzer).
  same_split("a: 1\nb: \"open\nc: d\ne: f\ng: h\n");
  same_split("a: 1\nb: 'open\nc: d\ne: f\ng: h\n");
  same_split("a: 1\nb: [open\nc: d\ne: f\ng: h\n");
  same_split("\xef\xbb\xbf" "a: \xc3\xa9\nb: 2\nc: 3\n");  // a byte-order mark, a 2-byte character
  // NUL bytes where a piece starts: yaml-cpp took that piece for UTF-32 and parsed it, where
  // the whole text is UTF-8 and an error (found by the fuzzer, then shortened).
  const std::string nul(
      "d: {l: poisson, rate: 10/s}\n"
      "services:\n"
      "  order: {workers: 2, ops: {place: exp(2ms)}}\n"
      "  payment: {workers: 2, ops: {charge: exp(2ms), refund: exp(2ms)}}\n"
      "n\0\0\0\0etwork:\n"
      "  links:\n"
      "swm1)orkflow:\n"
      "  entry: order\n"
      "  entry_op: place\n"
      "  steps:\n"
      "    - {service: payment, action: charge, compensate: refund, fails:\0\0\0",
      299);
  CHECK(app::yaml::split_difference(nul) == "");
  same_split(nul);
}

TEST_CASE("YAML tree: every ready scenario and a 10,000-service file parse in pieces as they do whole") {
  std::vector<std::string> texts{app::setup_scenario(10000, 10)};
  for (const auto& f : std::filesystem::directory_iterator(COORDSIM_SOURCE_DIR "/scenarios")) {
    std::ifstream in(f.path());
    texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE(texts.size() > 5);
  for (const std::string& t : texts) {
    const Node whole = app::yaml::load(t, SIZE_MAX);
    REQUIRE(whole.IsMap());
    CHECK(app::yaml::split_difference(t) == "");
  }
}

TEST_CASE("YAML tree: bench setup's largest scenario fits the loader's file limit") {
  // coordsim bench setup --services takes at most kMaxSetupServices: its text must load.
  CHECK(app::setup_scenario(app::kMaxSetupServices, 1).size() <= size_t{64} << 20);
}
