// The scenario file as a tree: yaml-cpp's parser, our own nodes.
//
// yaml-cpp's YAML::Load builds its node graph (a shared pointer, a memory holder and a
// dynamic cast per node, maps searched key by key) at about 1.5 times the cost of the parse
// itself, and a mapping of 100,000 services is then searched linearly on every lookup. The
// loader needs far less: a tree of scalars, lists and mappings that keeps each node's place
// in the file, finds a key in a large mapping at once, and can be edited by --set. That is
// this tree; yaml-cpp's Parser still reads the text (same grammar, same parse errors, same
// marks) and its Emitter still writes values back out.
//
// A Node is a handle: copies share one node, and set() or push_back() through any handle
// edits the tree every other handle sees (as a yaml-cpp node does). A node that is not there
// (a missing key, an index past the end) is "undefined": IsDefined() is false and its mark
// is null.
#pragma once

#include <yaml-cpp/emitterstyle.h>
#include <yaml-cpp/mark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace app::yaml {

enum class Kind : uint8_t { kUndefined, kNull, kScalar, kSequence, kMap };

class Node {
 public:
  Node() = default;  // undefined
  static Node null();
  static Node scalar(std::string value);
  static Node sequence();
  static Node map();

  bool IsDefined() const { return kind() != Kind::kUndefined; }
  bool IsNull() const { return kind() == Kind::kNull; }
  bool IsScalar() const { return kind() == Kind::kScalar; }
  bool IsSequence() const { return kind() == Kind::kSequence; }
  bool IsMap() const { return kind() == Kind::kMap; }
  Kind kind() const;
  // The scalar's text ("" for any other node).
  const std::string& Scalar() const;
  // Where the node starts in the text it was parsed from (null for a node made here).
  YAML::Mark Mark() const;
  // Block or flow, as the list or mapping was written (Default for anything else).
  YAML::EmitterStyle::value style() const;
  // Entries of a list or mapping (0 for anything else).
  size_t size() const;

  // A mapping's value at `key` (the first, if the key repeats), undefined if absent or if
  // this is not a mapping. Const, so that `node[k] = v` does not compile: use set().
  const Node operator[](std::string_view key) const;
  const Node operator[](const char* key) const { return (*this)[std::string_view(key)]; }
  const Node operator[](const std::string& key) const { return (*this)[std::string_view(key)]; }
  // A list's entry `i`, undefined if past the end or if this is not a list.
  const Node operator[](size_t i) const;

  // REQUIRES: IsMap(). Replaces the value at `key` (the first entry with it, the one that
  // lookups find), or appends an entry.
  void set(std::string_view key, const Node& value);
  // REQUIRES: IsSequence() and i < size().
  void set(size_t i, const Node& value);
  // REQUIRES: IsSequence().
  void push_back(const Node& value);
  // This handle now refers to `other`'s node (the tree is unchanged).
  void reset(const Node& other) { data_ = other.data_; }

  // Iteration: over a list, each entry is the item (use it as a Node); over a mapping, each
  // entry has .first (the key) and .second (the value).
  class Iterator;
  Iterator begin() const;
  Iterator end() const;

  struct Data;

 private:
  explicit Node(std::shared_ptr<Data> d) : data_(std::move(d)) {}
  friend class Builder;
  std::shared_ptr<Data> data_;
};

struct Entry : Node {
  Node first, second;
};

class Node::Iterator {
 public:
  Iterator(const Node* n, size_t i) : n_(n), i_(i) {}
  Entry operator*() const;
  Iterator& operator++() {
    ++i_;
    return *this;
  }
  bool operator==(const Iterator& o) const { return i_ == o.i_; }

 private:
  const Node* n_;
  size_t i_;
};

inline Node::Iterator Node::begin() const { return {this, 0}; }
inline Node::Iterator Node::end() const { return {this, size()}; }

// The first document of `text` (a null node if it has none). Throws YAML::ParserException,
// with its mark, where the text is not YAML.
Node load(const std::string& text);

// The node as YAML: block style, or flow style (one line) for flow().
std::string dump(const Node& n);
std::string dump_flow(const Node& n);

}  // namespace app::yaml
