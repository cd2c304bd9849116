#pragma once
// A format-neutral document tree with source positions. TOML (toml++) and JSON (nlohmann)
// are both converted into Node so that one decoder and one validator serve the config file
// and the admin API alike.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::config {

struct SourcePos {
  int line = 0;    // 1-based; 0 = unknown (JSON bodies)
  int column = 0;  // 1-based
};

struct Node {
  enum class Kind { kNull, kBool, kInteger, kFloat, kString, kArray, kTable };
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;
  double floating = 0;
  std::string string;
  std::vector<Node> items;                           // kArray
  std::vector<std::pair<std::string, Node>> fields;  // kTable, in written order
  SourcePos pos;

  // Defined in node.cc: an inline default constructor makes clang (with libstdc++)
  // instantiate std::pair<std::string, Node> while Node is still incomplete.
  Node();

  const Node* find(std::string_view key) const {
    for (const auto& [k, v] : fields)
      if (k == key) return &v;
    return nullptr;
  }
  bool is_table() const { return kind == Kind::kTable; }
  static std::string_view kind_name(Kind k);
};

}  // namespace faultline::config
