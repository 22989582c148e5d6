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
// is null. The nodes of one parse live in one pool, freed with the last handle to any of
// them; a node set into another tree is copied into that tree's pool. Handles count without
// atomics: a tree belongs to one thread at a time.
#pragma once

#include <yaml-cpp/emitterstyle.h>
#include <yaml-cpp/mark.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace app::yaml {

enum class Kind : uint8_t { kUndefined, kNull, kScalar, kSequence, kMap };

struct Data;
struct Pool;
struct Entry;

class Node {
 public:
  Node() = default;  // undefined
  Node(const Node& o) : d_(o.d_) { hold(); }
  Node(Node&& o) noexcept : d_(o.d_) { o.d_ = nullptr; }
  Node& operator=(const Node& o);
  Node& operator=(Node&& o) noexcept;
  ~Node() { release(); }

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

  // Each of these stores `value` (a copy, unless it is a node of this tree) and returns the
  // stored node. REQUIRES: IsMap(); replaces the value at `key` (the first entry with it, the
  // one lookups find), or appends an entry.
  Node set(std::string_view key, const Node& value);
  // REQUIRES: IsSequence() and i < size().
  Node set(size_t i, const Node& value);
  // REQUIRES: IsSequence().
  Node push_back(const Node& value);
  // This handle now refers to `other`'s node (the tree is unchanged).
  void reset(const Node& other) { *this = other; }

  // Iteration: over a list, each entry is the item (use it as a Node); over a mapping, each
  // entry has .first (the key) and .second (the value).
  class Iterator;
  Iterator begin() const;
  Iterator end() const;

 private:
  explicit Node(Data* d) : d_(d) { hold(); }
  void hold() const;
  void release();
  Data* adopt(const Node& value) const;  // value's node in this pool
  friend Node load(const std::string& text, size_t split_from);

 public:
  class Builder;  // (yaml_tree.cpp: the parser's events made into nodes)

 private:
  Data* d_ = nullptr;
};

// (Here so that the accessors inline: the loader calls them for every field it reads.)
struct Data {
  Data(Kind k, Pool* p) : kind(k), pool(p) {}
  Kind kind;
  YAML::EmitterStyle::value style = YAML::EmitterStyle::Default;  // a list's or mapping's, as written
  YAML::Mark mark = YAML::Mark::null_mark();
  Pool* pool;
  std::string text;          // a scalar's
  std::vector<Data*> items;  // a list's entries, or a mapping's key, value, key, value, ...
  // A large mapping's keys: key -> index of its first pair. Made at the first lookup, dropped
  // when the mapping changes. (The views point into the key nodes' text, which never changes.)
  mutable std::unique_ptr<std::unordered_map<std::string_view, size_t>> index;
};

// The nodes of one tree, and the pools it took over (the pieces of a split parse).
struct Pool {
  size_t handles = 0;
  std::deque<Data> nodes;
  std::vector<std::unique_ptr<Pool>> joined;
  Data* make(Kind k) { return &nodes.emplace_back(k, this); }
};

inline void Node::hold() const {
  if (d_ != nullptr) ++d_->pool->handles;
}
inline void Node::release() {
  if (d_ != nullptr && --d_->pool->handles == 0) delete d_->pool;
  d_ = nullptr;
}
inline Node& Node::operator=(const Node& o) {
  if (this != &o) {
    o.hold();
    release();
    d_ = o.d_;
  }
  return *this;
}
inline Node& Node::operator=(Node&& o) noexcept {
  if (this != &o) {
    release();
    d_ = o.d_;
    o.d_ = nullptr;
  }
  return *this;
}
inline Kind Node::kind() const { return d_ != nullptr ? d_->kind : Kind::kUndefined; }
inline const std::string& Node::Scalar() const {
  static const std::string kNoText;
  return IsScalar() ? d_->text : kNoText;
}
inline size_t Node::size() const {
  switch (kind()) {
    case Kind::kSequence: return d_->items.size();
    case Kind::kMap: return d_->items.size() / 2;
    default: return 0;
  }
}

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
// with its mark, where the text is not YAML. A text of `split_from` bytes or more is parsed
// in pieces on several threads (the same tree, marks and errors).
constexpr size_t kSplitFrom = size_t{1} << 20;
Node load(const std::string& text, size_t split_from = kSplitFrom);

// How `text` parsed whole and parsed in pieces differ: "" when both give the same tree
// (kinds, scalars, styles and marks, entry for entry) or the same error. (For the tests and
// the fuzzer, which check the split parse against the whole one.)
std::string split_difference(const std::string& text);

// The node as YAML: block style, or flow style (one line) for dump_flow().
std::string dump(const Node& n);
std::string dump_flow(const Node& n);

}  // namespace app::yaml
