#include "config/node.h"

namespace faultline::config {

Node::Node() = default;

std::string_view Node::kind_name(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "boolean";
    case Kind::kInteger:
      return "integer";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kTable:
      return "table";
  }
  return "unknown";
}

}  // namespace faultline::config
