#include "app/yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdint>
#include <sstream>
#include <string_view>
#include <thread>

namespace app::yaml {

namespace {
constexpr size_t kIndexFrom = 16;  // pairs; a smaller mapping is searched in order
}  // namespace

YAML::EmitterStyle::value Node::style() const {
  return d_ != nullptr ? d_->style : YAML::EmitterStyle::Default;
}
YAML::Mark Node::Mark() const { return d_ != nullptr ? d_->mark : YAML::Mark::null_mark(); }

const Node Node::operator[](std::string_view key) const {
  if (!IsMap()) return Node();
  const std::vector<Data*>& items = d_->items;
  const size_t pairs = items.size() / 2;
  if (pairs >= kIndexFrom) {
    if (!d_->index) {
      d_->index = std::make_unique<std::unordered_map<std::string_view, size_t>>();
      d_->index->reserve(pairs);
      for (size_t i = 0; i < pairs; ++i) {
        if (items[2 * i]->kind == Kind::kScalar) d_->index->try_emplace(items[2 * i]->text, i);
      }
    }
    const auto it = d_->index->find(key);
    return it == d_->index->end() ? Node() : Node(items[2 * it->second + 1]);
  }
  for (size_t i = 0; i < pairs; ++i) {
    if (items[2 * i]->kind == Kind::kScalar && items[2 * i]->text == key) return Node(items[2 * i + 1]);
  }
  return Node();
}

const Node Node::operator[](size_t i) const {
  if (!IsSequence() || i >= d_->items.size()) return Node();
  return Node(d_->items[i]);
}

Data* Node::adopt(const Node& value) const {
  if (!value.IsDefined()) return d_->pool->make(Kind::kNull);  // (yaml-cpp stores a null)
  const Data* from = value.d_;
  if (from->pool == d_->pool) return value.d_;
  Data* to = d_->pool->make(from->kind);
  to->style = from->style;
  to->mark = from->mark;
  to->text = from->text;
  for (Data* item : from->items) to->items.push_back(adopt(Node(item)));
  return to;
}

Node Node::set(std::string_view key, const Node& value) {
  assert(IsMap());
  Data* v = adopt(value);
  std::vector<Data*>& items = d_->items;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i]->kind == Kind::kScalar && items[i]->text == key) {
      items[i + 1] = v;
      return Node(v);
    }
  }
  Data* k = d_->pool->make(Kind::kScalar);
  k->text = std::string(key);
  items.push_back(k);
  items.push_back(v);
  d_->index.reset();
  return Node(v);
}

Node Node::set(size_t i, const Node& value) {
  assert(IsSequence() && i < d_->items.size());
  d_->items[i] = adopt(value);
  return Node(d_->items[i]);
}

Node Node::push_back(const Node& value) {
  assert(IsSequence());
  d_->items.push_back(adopt(value));
  return Node(d_->items.back());
}

Entry Node::Iterator::operator*() const {
  Entry e;
  const std::vector<Data*>& items = n_->d_->items;
  if (n_->IsMap()) {
    e.first = Node(items[2 * i_]);
    e.second = Node(items[2 * i_ + 1]);
  } else {
    e.reset(Node(items[i_]));
  }
  return e;
}

// yaml-cpp's parser events, made into nodes of one pool. Containers are attached to their
// parent when they open, so that an alias inside one can already name it.
class Node::Builder : public YAML::EventHandler {
 public:
  // Marks are moved by `lines` and `bytes`: the text parsed starts there in the whole text.
  Builder(int lines, int bytes) : lines_(lines), bytes_(bytes) {}
  ~Builder() override {
    if (!took_) delete pool_;
  }
  static Node wrap(Data* d) { return Node(d); }
  // The document's root (null if it had none); the pool is the node's from now on.
  Node root() {
    Node n(root_ != nullptr ? root_ : pool_->make(Kind::kNull));
    took_ = true;
    return n;
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    add(make(Kind::kNull, mark), anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // (yaml-cpp's parser refuses an alias to an unknown anchor before it gets here.)
    add(anchor < anchors_.size() ? anchors_[anchor] : make(Kind::kNull, mark), 0);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Data* d = make(Kind::kScalar, mark);
    d->text = value;
    add(d, anchor);
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
  Data* make(Kind k, const YAML::Mark& mark,
             YAML::EmitterStyle::value style = YAML::EmitterStyle::Default) {
    Data* d = pool_->make(k);
    d->mark = mark;
    d->mark.line += lines_;
    d->mark.pos += bytes_;
    d->style = style;
    return d;
  }
  void add(Data* d, YAML::anchor_t anchor) {
    if (anchor != 0) {
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
      anchors_[anchor] = d;
    }
    if (open_.empty()) {
      root_ = d;
    } else {
      open_.back()->items.push_back(d);
    }
  }
  void open(Data* d, YAML::anchor_t anchor) {
    add(d, anchor);
    open_.push_back(d);
  }

  int lines_, bytes_;
  Pool* pool_ = new Pool();
  bool took_ = false;
  Data* root_ = nullptr;
  std::vector<Data*> open_;
  std::vector<Data*> anchors_;
};

namespace {
Node fresh(Kind k) {
  auto* pool = new Pool();
  return Node::Builder::wrap(pool->make(k));
}
}  // namespace

Node Node::null() { return fresh(Kind::kNull); }
Node Node::scalar(std::string value) {
  Node n = fresh(Kind::kScalar);
  n.d_->text = std::move(value);
  return n;
}
Node Node::sequence() { return fresh(Kind::kSequence); }
Node Node::map() { return fresh(Kind::kMap); }

namespace {

Node parse(const std::string& text, int lines = 0, int bytes = 0) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  Node::Builder b(lines, bytes);
  parser.HandleNextDocument(b);
  return b.root();
}

// Where a piece may start: a line in column 0 with a letter, digit or underscore, which
// starts a key of the top-level block mapping unless it is inside a quoted scalar or a flow
// collection (which the piece's end line, in load(), finds out).
bool key_start(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Whether the line is one a cut may follow and precede: blank, indented, a comment, a list
// entry, or a key line (`name: value`, `name:`). Any other line in column 0 (a plain scalar
// that yaml-cpp lets go on there, a flow collection's closing bracket, a document marker, a
// directive) makes the text one piece.
bool plain_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty() || line[0] == ' ' || line[0] == '\t' || line[0] == '#') return true;
  if (line[0] == '-') return line.size() == 1 || line[1] == ' ';
  if (!key_start(line[0])) return false;
  return line.back() == ':' || line.find(": ") != std::string_view::npos;
}

// Where to cut `text` into about `parts` pieces, each starting at a key line. A text with a
// NUL byte is one piece: yaml-cpp guesses a stream's encoding from its first bytes, so a
// piece starting `n\0\0\0` would be read as UTF-32 where the whole text is UTF-8 (found by
// the fuzzer).
std::vector<size_t> cuts(const std::string& text, size_t parts) {
  if (text.find('\0') != std::string::npos) return {};
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    if (!plain_line(std::string_view(text).substr(at, nl - at))) return {};
    at = nl + 1;
  }
  std::vector<size_t> out{0};
  for (size_t k = 1; k < parts; ++k) {
    size_t at = text.find('\n', std::max(out.back() + 1, text.size() * k / parts));
    while (at != std::string::npos && (at + 1 >= text.size() || !key_start(text[at + 1]))) {
      at = text.find('\n', at + 1);
    }
    if (at == std::string::npos) break;
    out.push_back(at + 1);
  }
  return out;
}

}  // namespace

Node load(const std::string& text, size_t split_from) {
  // yaml-cpp's parser reads 5 to 7 MB/s here: a large file is cut at top-level keys and its
  // pieces parsed at once, one thread each, then joined into one mapping. Any piece that does
  // not parse as a block mapping ending where the next begins (a construct cut in two, an
  // alias to an anchor in another piece) sends the whole text to the one parse, which gives
  // its exact error.
  const size_t threads = std::min<size_t>(4, std::thread::hardware_concurrency());
  if (text.size() < split_from || threads < 2) return parse(text);
  const std::vector<size_t> at = cuts(text, threads);
  if (at.size() < 2) return parse(text);
  std::vector<Node> roots(at.size());
  std::vector<char> ok(at.size(), 0);
  // Every piece but the last ends with a key line of our own: yaml-cpp lets a quoted scalar
  // run to the end of its text, so a piece is known to end where the whole text has a new
  // key only when that line parses as one (and is then taken off).
  static constexpr std::string_view kEnd = "__coordsim_piece_end__";
  auto piece = [&](size_t k) {
    const bool last = k + 1 == at.size();
    const size_t end = last ? text.size() : at[k + 1];
    const auto begin = text.begin() + static_cast<std::ptrdiff_t>(at[k]);
    const auto lines = std::count(text.begin(), begin, '\n');
    const auto own = std::count(begin, text.begin() + static_cast<std::ptrdiff_t>(end), '\n');
    try {
      std::string part = text.substr(at[k], end - at[k]);
      if (!last) part.append(kEnd).append(": 0\n");
      Node root = parse(part, static_cast<int>(lines), static_cast<int>(at[k]));
      ok[k] = root.IsMap() && root.style() != YAML::EmitterStyle::Flow;
      if (ok[k] && !last) {
        std::vector<Data*>& items = root.d_->items;
        const Data* key = items.size() >= 2 ? items[items.size() - 2] : nullptr;
        ok[k] = key != nullptr && key->kind == Kind::kScalar && key->text == kEnd &&
                key->mark.line == lines + own && key->mark.column == 0 &&
                items.back()->kind == Kind::kScalar && items.back()->text == "0";
        if (ok[k]) items.resize(items.size() - 2);
      }
      roots[k] = std::move(root);
    } catch (const std::exception&) {
      ok[k] = 0;
    }
  };
  {
    std::vector<std::jthread> workers;
    for (size_t k = 1; k < at.size(); ++k) workers.emplace_back(piece, k);
    piece(0);
  }
  if (std::find(ok.begin(), ok.end(), 0) != ok.end()) return parse(text);
  // Piece 0's pool takes the others over: their nodes stay where they are.
  Node root = roots[0];
  Pool* pool = root.d_->pool;
  for (size_t k = 1; k < roots.size(); ++k) {
    Pool* other = roots[k].d_->pool;
    for (Data* d : roots[k].d_->items) root.d_->items.push_back(d);
    for (Data& d : other->nodes) d.pool = pool;
    pool->handles += other->handles;  // (roots[k]'s own handle, released below)
    other->handles = 0;
    pool->joined.emplace_back(other);
  }
  root.d_->index.reset();
  return root;
}

namespace {
bool same_tree(const Node& a, const Node& b) {
  if (a.kind() != b.kind() || a.Scalar() != b.Scalar() || a.style() != b.style() || a.size() != b.size()) return false;
  const YAML::Mark ma = a.Mark(), mb = b.Mark();
  if (ma.pos != mb.pos || ma.line != mb.line || ma.column != mb.column) return false;
  if (a.IsSequence()) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same_tree(a[i], b[i])) return false;
    }
  }
  if (a.IsMap()) {
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      const Entry ea = *ia, eb = *ib;
      if (!same_tree(ea.first, eb.first) || !same_tree(ea.second, eb.second)) return false;
    }
  }
  return true;
}

}  // namespace

std::string split_difference(const std::string& text) {
  std::string errors[2];
  Node trees[2];
  for (int i = 0; i < 2; ++i) {
    try {
      trees[i] = load(text, i == 0 ? SIZE_MAX : 0);
    } catch (const YAML::Exception& e) {
      errors[i] = e.what();
    }
  }
  if (errors[0] != errors[1]) return "whole: \"" + errors[0] + "\"; in pieces: \"" + errors[1] + "\"";
  return same_tree(trees[0], trees[1]) ? "" : "the trees differ";
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
