// JSON text -> Node for admin-API bodies. JSON has no useful positions for a client, so
// errors carry key paths only. nlohmann/json stays inside config/.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "config/loader.h"

namespace faultline::config {
namespace {

// Bounds recursion in the conversion below; no experiment is nested more than 4 deep.
constexpr int kMaxDepth = 32;

bool convert(const nlohmann::ordered_json& in, int depth, Node& out) {
  if (depth > kMaxDepth) return false;
  using Type = nlohmann::ordered_json::value_t;
  switch (in.type()) {
    case Type::object:
      out.kind = Node::Kind::kTable;
      out.fields.reserve(in.size());
      for (const auto& [key, value] : in.items()) {
        out.fields.emplace_back(key, Node{});
        if (!convert(value, depth + 1, out.fields.back().second)) return false;
      }
      return true;
    case Type::array:
      out.kind = Node::Kind::kArray;
      out.items.reserve(in.size());
      for (const auto& value : in) {
        out.items.emplace_back();
        if (!convert(value, depth + 1, out.items.back())) return false;
      }
      return true;
    case Type::string:
      out.kind = Node::Kind::kString;
      out.string = in.get<std::string>();
      return true;
    case Type::boolean:
      out.kind = Node::Kind::kBool;
      out.boolean = in.get<bool>();
      return true;
    case Type::number_integer:
      out.kind = Node::Kind::kInteger;
      out.integer = in.get<int64_t>();
      return true;
    case Type::number_unsigned: {
      uint64_t value = in.get<uint64_t>();
      if (value <= static_cast<uint64_t>(INT64_MAX)) {
        out.kind = Node::Kind::kInteger;
        out.integer = static_cast<int64_t>(value);
      } else {  // beyond any integer key's range; range checks report it
        out.kind = Node::Kind::kFloat;
        out.floating = static_cast<double>(value);
      }
      return true;
    }
    case Type::number_float:
      out.kind = Node::Kind::kFloat;
      out.floating = in.get<double>();
      return true;
    default:
      out.kind = Node::Kind::kNull;
      return true;
  }
}

// nlohmann's parse errors read "parse error at line 3, column 5: ..."; a file's reader wants
// that as a position (FILE:3:5). Unknown (0:0) when the message has none.
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
  nlohmann::ordered_json document;
  // nlohmann keeps the last of two equal keys; an API client deserves to hear about it, as a
  // TOML file's author does from toml++.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  bool too_deep = false;
  auto watch_keys = [&](int depth, nlohmann::ordered_json::parse_event_t event,
                        nlohmann::ordered_json& parsed) {
    using Event = nlohmann::ordered_json::parse_event_t;
    // Drop anything nested too deep while parsing, so no deep tree is ever built (its
    // recursive destruction or conversion could exhaust the stack).
    if (depth > kMaxDepth + 1) {
      too_deep = true;
      return false;
    }
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == Event::key && !open_objects.empty() && parsed.is_string()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  try {
    document = nlohmann::ordered_json::parse(text.begin(), text.end(), watch_keys);
  } catch (const nlohmann::json::exception& error) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    std::string message = error.what();
    if (size_t bracket = message.find("] "); bracket != std::string::npos)
      message.erase(0, bracket + 2);
    diags.error(error_position(message), "", "invalid JSON: " + message);
    return std::nullopt;
  }
  if (too_deep) {
    diags.error(SourcePos{}, "", "invalid JSON: nested deeper than " + std::to_string(kMaxDepth));
    return std::nullopt;
  }
  if (!duplicate.empty()) {
    diags.error(SourcePos{}, "", "invalid JSON: duplicate key \"" + duplicate + "\"");
    return std::nullopt;
  }
  Node root;
  if (!convert(document, 0, root)) {
    diags.error(SourcePos{}, "", "invalid JSON: nested deeper than " + std::to_string(kMaxDepth));
    return std::nullopt;
  }
  return root;
}

}  // namespace faultline::config
