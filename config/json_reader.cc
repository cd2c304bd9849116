// JSON text -> Node for admin-API bodies and `ctl apply` files. nlohmann/json stays inside
// config/.
//
// The text is untrusted (anyone who reaches the admin port sends it), so it never becomes a
// nlohmann DOM: a SAX handler builds the Node tree directly and refuses, while parsing and
// before anything recursive runs over the document,
//   - nesting deeper than kMaxDepth (a 5,000-deep body once overflowed the admin thread's
//     stack in a recursive dump()),
//   - more than kMaxValues values (a 1 MiB body of `[0,0,...]` would otherwise cost ~60 MiB),
//   - a key repeated in one object (nlohmann would keep the last one silently).
// nlohmann's parser itself is iterative, so the depth check runs before any recursion.
#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/loader.h"

namespace faultline::config {
namespace {

// No experiment is nested more than 4 deep; 32 leaves room and bounds every later recursion.
constexpr size_t kMaxDepth = 32;
// A 1 MiB body could hold ~500k values; no experiment has more than a few hundred.
constexpr size_t kMaxValues = 100'000;

// A char iterator that counts the bytes nlohmann has consumed, so that events can name the
// position in the text (nlohmann's SAX interface gives positions only to parse errors).
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* at, size_t* consumed) : at_(at), consumed_(consumed) {}
  reference operator*() const { return *at_; }
  CountingIterator& operator++() {
    ++at_;
    if (consumed_ != nullptr) ++*consumed_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& other) const { return at_ == other.at_; }
  bool operator!=(const CountingIterator& other) const { return at_ != other.at_; }

 private:
  const char* at_;
  size_t* consumed_;
};

// "line 3, column 14" of the byte at `offset` (1-based, columns in bytes).
std::string describe_position(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1);
}

// The offset of the opening quote of the string whose closing quote is at `closing`: inside a
// valid JSON string every quote is escaped by an odd number of backslashes.
size_t opening_quote(std::string_view text, size_t closing) {
  for (size_t i = closing; i-- > 0;) {
    if (text[i] != '"') continue;
    size_t backslashes = 0;
    while (backslashes < i && text[i - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return i;
  }
  return 0;
}

class NodeBuilder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  NodeBuilder(std::string_view text, const size_t& consumed) : text_(text), consumed_(consumed) {}

  bool null() override { return add(Node{}); }
  bool boolean(bool value) override {
    Node n;
    n.kind = Node::Kind::kBool;
    n.boolean = value;
    return add(std::move(n));
  }
  bool number_integer(number_integer_t value) override {
    Node n;
    n.kind = Node::Kind::kInteger;
    n.integer = value;
    return add(std::move(n));
  }
  bool number_unsigned(number_unsigned_t value) override {
    Node n;
    if (value <= static_cast<uint64_t>(INT64_MAX)) {
      n.kind = Node::Kind::kInteger;
      n.integer = static_cast<int64_t>(value);
    } else {  // beyond any integer key's range; range checks report it
      n.kind = Node::Kind::kFloat;
      n.floating = static_cast<double>(value);
    }
    return add(std::move(n));
  }
  bool number_float(number_float_t value, const string_t&) override {
    Node n;
    n.kind = Node::Kind::kFloat;
    n.floating = value;
    return add(std::move(n));
  }
  bool string(string_t& value) override {
    Node n;
    n.kind = Node::Kind::kString;
    n.string = std::move(value);
    return add(std::move(n));
  }
  bool binary(binary_t&) override { return fail("invalid JSON: binary values are not JSON"); }

  bool start_object(std::size_t) override { return open(Node::Kind::kTable); }
  bool start_array(std::size_t) override { return open(Node::Kind::kArray); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& key) override {
    Frame& frame = open_.back();
    if (!frame.keys.insert(key).second) {
      // The key's closing quote was the last byte read.
      const size_t at = opening_quote(text_, consumed_ > 0 ? consumed_ - 1 : 0);
      path_ = join_key(frame.path, key);
      return fail("invalid JSON: duplicate key \"" + key + "\" at " + describe_position(text_, at));
    }
    pending_key_ = std::move(key);
    return true;
  }

  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& error) override {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    std::string message = error.what();
    if (size_t bracket = message.find("] "); bracket != std::string::npos)
      message.erase(0, bracket + 2);
    return fail("invalid JSON: " + message);
  }

  const std::string& error() const { return error_; }
  const std::string& error_path() const { return path_; }
  Node take_root() { return std::move(root_); }

 private:
  struct Frame {
    Node* node;
    std::string path;  // "faults[0]", for naming a duplicate key
    std::unordered_set<std::string> keys;
  };

  static std::string join_key(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;  // stops nlohmann's parser
  }

  // Places a finished value in the innermost open container (or as the root) and returns
  // where it now lives. Only the innermost container grows, so pointers to the open
  // containers stay valid.
  Node* place(Node value, std::string& path) {
    if (++values_ > kMaxValues) {
      fail("invalid JSON: more than " + std::to_string(kMaxValues) + " values");
      return nullptr;
    }
    if (open_.empty()) {
      root_ = std::move(value);
      path.clear();
      return &root_;
    }
    Frame& parent = open_.back();
    if (parent.node->kind == Node::Kind::kArray) {
      path = parent.path + "[" + std::to_string(parent.node->items.size()) + "]";
      parent.node->items.push_back(std::move(value));
      return &parent.node->items.back();
    }
    path = join_key(parent.path, pending_key_);
    parent.node->fields.emplace_back(std::move(pending_key_), std::move(value));
    pending_key_.clear();
    return &parent.node->fields.back().second;
  }

  bool add(Node value) {
    std::string path;
    return place(std::move(value), path) != nullptr;
  }

  bool open(Node::Kind kind) {
    if (open_.size() >= kMaxDepth) {
      // The bracket just read is the last byte consumed.
      return fail("invalid JSON: nested deeper than " + std::to_string(kMaxDepth) + " levels at " +
                  describe_position(text_, consumed_ > 0 ? consumed_ - 1 : 0));
    }
    Node container;
    container.kind = kind;
    std::string path;
    Node* placed = place(std::move(container), path);
    if (placed == nullptr) return false;
    open_.push_back(Frame{placed, std::move(path), {}});
    return true;
  }

  bool close() {
    open_.pop_back();
    return true;
  }

  std::string_view text_;
  const size_t& consumed_;
  Node root_;
  std::vector<Frame> open_;
  std::string pending_key_;
  size_t values_ = 0;
  std::string error_;
  std::string path_;
};

// Messages carry "at line 3, column 5" (nlohmann's parse errors and ours); a file's reader
// wants that as a position (FILE:3:5). Unknown (0:0) when the message has none.
SourcePos error_position(const std::string& message) {
  SourcePos pos;
  const size_t at = message.find(" at line ");
  if (at == std::string::npos) return pos;
  int line = 0, column = 0;
  if (std::sscanf(message.c_str() + at, " at line %d, column %d", &line, &column) == 2 &&
      line > 0 && column >= 0) {
    pos.line = line;
    pos.column = column;
  }
  return pos;
}

}  // namespace

std::optional<Node> parse_json(std::string_view text, Diagnostics& diags) {
  size_t consumed = 0;
  NodeBuilder builder(text, consumed);
  const CountingIterator begin(text.data(), &consumed);
  const CountingIterator end(text.data() + text.size(), nullptr);
  const bool ok = nlohmann::json::sax_parse(begin, end, &builder);
  if (!ok || !builder.error().empty()) {
    diags.error(error_position(builder.error()), builder.error_path(),
                builder.error().empty() ? "invalid JSON" : builder.error());
    return std::nullopt;
  }
  return builder.take_root();
}

}  // namespace faultline::config
