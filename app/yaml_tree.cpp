#include "app/yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cassert>
#include <sstream>
#include <unordered_map>

namespace app::yaml {

struct Node::Data {
  explicit Data(Kind k) : kind(k) {}
  Kind kind;
  YAML::EmitterStyle::value style = YAML::EmitterStyle::Default;  // a list's or mapping's, as written
  YAML::Mark mark = YAML::Mark::null_mark();
  std::string text;          // a scalar's
  std::vector<Node> items;   // a list's entries, or a mapping's key, value, key, value, ...
  // A large mapping's keys: key -> index of its first pair. Made at the first lookup, dropped
  // when the mapping changes. (The views point into the key nodes' text, which never changes.)
  mutable std::unique_ptr<std::unordered_map<std::string_view, size_t>> index;
};

namespace {
constexpr size_t kIndexFrom = 16;  // pairs; a smaller mapping is searched in order
const std::string kNoText;
}  // namespace

Node Node::null() { return Node(std::make_shared<Data>(Kind::kNull)); }
Node Node::scalar(std::string value) {
  Node n(std::make_shared<Data>(Kind::kScalar));
  n.data_->text = std::move(value);
  return n;
}
Node Node::sequence() { return Node(std::make_shared<Data>(Kind::kSequence)); }
Node Node::map() { return Node(std::make_shared<Data>(Kind::kMap)); }

Kind Node::kind() const { return data_ ? data_->kind : Kind::kUndefined; }
const std::string& Node::Scalar() const { return IsScalar() ? data_->text : kNoText; }
YAML::EmitterStyle::value Node::style() const {
  return data_ ? data_->style : YAML::EmitterStyle::Default;
}
YAML::Mark Node::Mark() const { return data_ ? data_->mark : YAML::Mark::null_mark(); }

size_t Node::size() const {
  switch (kind()) {
    case Kind::kSequence: return data_->items.size();
    case Kind::kMap: return data_->items.size() / 2;
    default: return 0;
  }
}

const Node Node::operator[](std::string_view key) const {
  if (!IsMap()) return Node();
  const std::vector<Node>& items = data_->items;
  const size_t pairs = items.size() / 2;
  if (pairs >= kIndexFrom) {
    if (!data_->index) {
      data_->index = std::make_unique<std::unordered_map<std::string_view, size_t>>();
      data_->index->reserve(pairs);
      for (size_t i = 0; i < pairs; ++i) {
        if (items[2 * i].IsScalar()) data_->index->try_emplace(items[2 * i].data_->text, i);
      }
    }
    const auto it = data_->index->find(key);
    return it == data_->index->end() ? Node() : items[2 * it->second + 1];
  }
  for (size_t i = 0; i < pairs; ++i) {
    if (items[2 * i].IsScalar() && items[2 * i].data_->text == key) return items[2 * i + 1];
  }
  return Node();
}

const Node Node::operator[](size_t i) const {
  if (!IsSequence() || i >= data_->items.size()) return Node();
  return data_->items[i];
}

void Node::set(std::string_view key, const Node& value) {
  assert(IsMap());
  std::vector<Node>& items = data_->items;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].IsScalar() && items[i].data_->text == key) {
      items[i + 1] = value;
      return;
    }
  }
  items.push_back(scalar(std::string(key)));
  items.push_back(value);
  data_->index.reset();
}

void Node::set(size_t i, const Node& value) {
  assert(IsSequence() && i < data_->items.size());
  data_->items[i] = value;
}

void Node::push_back(const Node& value) {
  assert(IsSequence());
  data_->items.push_back(value);
}

Entry Node::Iterator::operator*() const {
  Entry e;
  if (n_->IsMap()) {
    e.first = n_->data_->items[2 * i_];
    e.second = n_->data_->items[2 * i_ + 1];
  } else {
    e.reset(n_->data_->items[i_]);
  }
  return e;
}

// yaml-cpp's parser events, made into nodes. Containers are attached to their parent when
// they open, so that an alias inside one can already name it.
class Builder : public YAML::EventHandler {
 public:
  Node root() const { return root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    add(make(Kind::kNull, mark), anchor);
  }
  void OnAlias(const YAML::Mark&, YAML::anchor_t anchor) override {
    // (yaml-cpp's parser refuses an alias to an unknown anchor before it gets here.)
    add(anchor < anchors_.size() ? anchors_[anchor] : Node::null(), 0);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Node n = make(Kind::kScalar, mark);
    n.data_->text = value;
    add(n, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(make(Kind::kSequence, mark, style), anchor);
  }
  void OnSequenceEnd() override { open_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(make(Kind::kMap, mark, style), anchor);
  }
  void OnMapEnd() override { open_.pop_back(); }

 private:
  static Node make(Kind k, const YAML::Mark& mark,
                   YAML::EmitterStyle::value style = YAML::EmitterStyle::Default) {
    Node n(std::make_shared<Node::Data>(k));
    n.data_->mark = mark;
    n.data_->style = style;
    return n;
  }
  void add(const Node& n, YAML::anchor_t anchor) {
    if (anchor != 0) {
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
      anchors_[anchor] = n;
    }
    if (open_.empty()) {
      root_ = n;
    } else {
      open_.back().data_->items.push_back(n);
    }
  }
  void open(const Node& n, YAML::anchor_t anchor) {
    add(n, anchor);
    open_.push_back(n);
  }

  Node root_ = Node::null();
  std::vector<Node> open_;
  std::vector<Node> anchors_;
};

Node load(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  Builder b;
  if (!parser.HandleNextDocument(b)) return Node::null();
  return b.root();
}

namespace {
// The node as a yaml-cpp node, for its emitter (small nodes only: values and messages).
YAML::Node to_yaml_cpp(const Node& n) {
  switch (n.kind()) {
    case Kind::kUndefined: return YAML::Node(YAML::NodeType::Undefined);
    case Kind::kNull: return YAML::Node(YAML::NodeType::Null);
    case Kind::kScalar: return YAML::Node(n.Scalar());
    case Kind::kSequence: {
      YAML::Node s(YAML::NodeType::Sequence);
      for (const Node& item : n) s.push_back(to_yaml_cpp(item));
      s.SetStyle(n.style());
      return s;
    }
    case Kind::kMap: {
      YAML::Node m(YAML::NodeType::Map);
      for (const auto& kv : n) m.force_insert(to_yaml_cpp(kv.first), to_yaml_cpp(kv.second));
      m.SetStyle(n.style());
      return m;
    }
  }
  return YAML::Node();
}
}  // namespace

std::string dump(const Node& n) { return YAML::Dump(to_yaml_cpp(n)); }

std::string dump_flow(const Node& n) {
  YAML::Emitter e;
  e.SetSeqFormat(YAML::Flow);
  e.SetMapFormat(YAML::Flow);
  e << to_yaml_cpp(n);
  return e.c_str();
}

}  // namespace app::yaml
