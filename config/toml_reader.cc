// TOML text -> Node, keeping source positions so that every later error can name
// FILE:LINE:COL. toml++ stays inside this file.
#include <toml++/toml.h>
#include <algorithm>

#include "config/loader.h"

namespace faultline::config {
namespace {

SourcePos to_pos(const toml::source_position& p) {
  return SourcePos{static_cast<int>(p.line), static_cast<int>(p.column)};
}

bool before(const SourcePos& a, const SourcePos& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

class TomlConverter {
 public:
  explicit TomlConverter(Diagnostics& diags) : diags_(diags) {}

  Node convert(const toml::node& in, const std::string& path, SourcePos pos) {
    Node out;
    out.pos = pos;
    switch (in.type()) {
      case toml::node_type::table: {
        out.kind = Node::Kind::kTable;
        for (auto&& [key, value] : *in.as_table()) {
          // Point at the key, which is where a reader looks for "unknown key" and friends;
          // implicit tables (from [a.b]) may lack a key position, so fall back to the value's.
          SourcePos field_pos = to_pos(key.source().begin);
          if (field_pos.line == 0) field_pos = to_pos(value.source().begin);
          std::string key_text(key.str());
          out.fields.emplace_back(key_text, convert(value, join(path, key_text), field_pos));
        }
        // toml++ keeps keys sorted; restore the written order.
        std::stable_sort(out.fields.begin(), out.fields.end(), [](const auto& a, const auto& b) {
          return before(a.second.pos, b.second.pos);
        });
        break;
      }
      case toml::node_type::array: {
        out.kind = Node::Kind::kArray;
        const auto& array = *in.as_array();
        for (size_t i = 0; i < array.size(); ++i) {
          const toml::node& item = array[i];
          SourcePos item_pos = to_pos(item.source().begin);
          if (item_pos.line == 0) item_pos = pos;
          out.items.push_back(convert(item, path + "[" + std::to_string(i) + "]", item_pos));
        }
        break;
      }
      case toml::node_type::string:
        out.kind = Node::Kind::kString;
        out.string = in.as_string()->get();
        break;
      case toml::node_type::integer:
        out.kind = Node::Kind::kInteger;
        out.integer = in.as_integer()->get();
        break;
      case toml::node_type::floating_point:
        out.kind = Node::Kind::kFloat;
        out.floating = in.as_floating_point()->get();
        break;
      case toml::node_type::boolean:
        out.kind = Node::Kind::kBool;
        out.boolean = in.as_boolean()->get();
        break;
      default:  // dates and times: no faultline key takes one
        diags_.error(pos, path, "dates and times are not supported here; use a string");
        break;
    }
    return out;
  }

 private:
  static std::string join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }
  Diagnostics& diags_;
};

}  // namespace

std::optional<Node> parse_toml(std::string_view text, const std::string& name, Diagnostics& diags) {
  toml::table table;
  try {
    table = toml::parse(text, std::string_view(name));
  } catch (const toml::parse_error& error) {
    diags.error(to_pos(error.source().begin), "", std::string(error.description()));
    return std::nullopt;
  }
  size_t errors_before = diags.items().size();
  Node root = TomlConverter(diags).convert(table, "", SourcePos{1, 1});
  if (diags.items().size() != errors_before) return std::nullopt;
  return root;
}

}  // namespace faultline::config
