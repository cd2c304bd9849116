#include "config/number.h"

#include <cmath>

namespace faultline::config {

std::optional<int64_t> integer_value(const Node& node) {
  if (node.kind == Node::Kind::kInteger) return node.integer;
  constexpr double kExactLimit = 9007199254740992.0;  // 2^53
  if (node.kind == Node::Kind::kFloat && std::isfinite(node.floating) &&
      std::trunc(node.floating) == node.floating && std::fabs(node.floating) < kExactLimit)
    return static_cast<int64_t>(node.floating);
  return std::nullopt;
}

std::optional<double> number_value(const Node& node) {
  if (node.kind == Node::Kind::kInteger) return static_cast<double>(node.integer);
  if (node.kind == Node::Kind::kFloat && std::isfinite(node.floating)) return node.floating;
  return std::nullopt;
}

}  // namespace faultline::config
