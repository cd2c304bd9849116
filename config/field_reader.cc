#include "config/field_reader.h"

#include <algorithm>

#include "config/number.h"

namespace faultline::config {
namespace {

std::string got(const Node& node) {
  return ", got " + std::string(Node::kind_name(node.kind));
}

// Levenshtein distance with adjacent transpositions ("wbe" is one edit from "web").
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out.append(key);
  return out;
}

std::string index_path(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string_view closest_match(std::string_view word,
                               const std::vector<std::string_view>& candidates) {
  std::string_view best;
  size_t best_distance = 3;           // more than two edits is not a typo
  if (word.size() > 64) return best;  // keys that long are not typos of ours
  for (auto candidate : candidates) {
    size_t d = edit_distance(word, candidate);
    // Short words need a closer match: "ab" is not a typo of "xy".
    if (d < best_distance && d <= std::max<size_t>(candidate.size() / 2, 1)) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

bool to_string(const Node& node, const std::string& path, Diagnostics& diags, std::string& out) {
  if (node.kind != Node::Kind::kString) {
    diags.error(node, path, "expected a string" + got(node));
    return false;
  }
  out = node.string;
  return true;
}

bool to_bool(const Node& node, const std::string& path, Diagnostics& diags, bool& out) {
  if (node.kind != Node::Kind::kBool) {
    diags.error(node, path, "expected true or false" + got(node));
    return false;
  }
  out = node.boolean;
  return true;
}

bool to_duration(const Node& node, const std::string& path, Diagnostics& diags, Duration& out) {
  if (node.kind != Node::Kind::kString) {
    diags.error(node, path, "expected a duration string like \"250ms\"" + got(node));
    return false;
  }
  auto parsed = parse_duration(node.string);
  if (!parsed) {
    diags.error(node, path, parsed.error());
    return false;
  }
  out = *parsed;
  return true;
}

bool to_size(const Node& node, const std::string& path, Diagnostics& diags, ByteSize& out) {
  if (const auto bytes = integer_value(node)) {  // a plain byte count
    if (*bytes < 0) {
      diags.error(node, path, "a size cannot be negative");
      return false;
    }
    out = ByteSize{static_cast<uint64_t>(*bytes)};
    return true;
  }
  if (node.kind != Node::Kind::kString) {
    diags.error(node, path, "expected a size string like \"64KiB\"" + got(node));
    return false;
  }
  auto parsed = parse_size(node.string);
  if (!parsed) {
    diags.error(node, path, parsed.error());
    return false;
  }
  out = *parsed;
  return true;
}

// Which values count as integers and numbers: config/number.h (one rule for TOML and JSON).
bool to_integer(const Node& node, const std::string& path, Diagnostics& diags, int64_t& out) {
  const auto value = integer_value(node);
  if (!value) {
    diags.error(node, path, "expected an integer" + got(node));
    return false;
  }
  out = *value;
  return true;
}

bool to_number(const Node& node, const std::string& path, Diagnostics& diags, double& out) {
  const auto value = number_value(node);
  if (!value) {
    diags.error(node, path,
                node.kind == Node::Kind::kFloat ? "expected a finite number"
                                                : "expected a number" + got(node));
    return false;
  }
  out = *value;
  return true;
}

bool to_cidr(const Node& node, const std::string& path, Diagnostics& diags, Cidr& out) {
  if (node.kind != Node::Kind::kString) {
    diags.error(node, path, "expected a CIDR string like \"10.0.0.0/8\"" + got(node));
    return false;
  }
  auto parsed = parse_cidr(node.string);
  if (!parsed) {
    diags.error(node, path, parsed.error());
    return false;
  }
  out = *parsed;
  return true;
}

bool to_host_port(const Node& node, const std::string& path, Diagnostics& diags, HostPort& out) {
  if (node.kind != Node::Kind::kString) {
    diags.error(node, path, "expected an address string like \"127.0.0.1:8080\"" + got(node));
    return false;
  }
  auto parsed = parse_host_port(node.string);
  if (!parsed) {
    diags.error(node, path, parsed.error());
    return false;
  }
  out = *parsed;
  return true;
}

bool expect_table(const Node& node, const std::string& path, Diagnostics& diags) {
  if (node.kind == Node::Kind::kTable) return true;
  diags.error(node, path, "expected a table" + got(node));
  return false;
}

void append_by_position(const Diagnostics& from, Diagnostics& to) {
  std::vector<Diagnostic> items = from.items();
  std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.pos.line != b.pos.line ? a.pos.line < b.pos.line : a.pos.column < b.pos.column;
  });
  for (auto& item : items) to.error(item.pos, std::move(item.path), std::move(item.message));
}

void FieldReader::reject_unknown(std::initializer_list<std::string_view> known) {
  std::vector<std::string_view> candidates(known);
  for (const auto& [key, value] : table_.fields) {
    if (std::find(candidates.begin(), candidates.end(), key) != candidates.end()) continue;
    std::string message = "unknown key";
    if (auto suggestion = closest_match(key, candidates); !suggestion.empty())
      message += " (did you mean \"" + std::string(suggestion) + "\"?)";
    diags_.error(value, join_path(path_, key), std::move(message));
  }
}

bool FieldReader::require(std::string_view key) {
  if (get(key) != nullptr) return true;
  diags_.error(table_, path(key), "missing required key");
  return false;
}

void FieldReader::error(std::string_view key, std::string message) {
  const Node* at = get(key);
  diags_.error(at != nullptr ? *at : table_, path(key), std::move(message));
}

bool FieldReader::read(std::string_view key, std::string& out) {
  const Node* node = get(key);
  return node != nullptr && to_string(*node, path(key), diags_, out);
}

bool FieldReader::read(std::string_view key, bool& out) {
  const Node* node = get(key);
  return node != nullptr && to_bool(*node, path(key), diags_, out);
}

bool FieldReader::read(std::string_view key, Duration& out) {
  const Node* node = get(key);
  return node != nullptr && to_duration(*node, path(key), diags_, out);
}

bool FieldReader::read(std::string_view key, ByteSize& out) {
  const Node* node = get(key);
  return node != nullptr && to_size(*node, path(key), diags_, out);
}

bool FieldReader::read(std::string_view key, HostPort& out) {
  const Node* node = get(key);
  return node != nullptr && to_host_port(*node, path(key), diags_, out);
}

bool FieldReader::read_integer(std::string_view key, int64_t min, int64_t max, int64_t& out) {
  const Node* node = get(key);
  int64_t value = 0;
  if (node == nullptr || !to_integer(*node, path(key), diags_, value)) return false;
  if (value < min || value > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return false;
  }
  out = value;
  return true;
}

bool FieldReader::read_number(std::string_view key, double min, double max, double& out) {
  const Node* node = get(key);
  double value = 0;
  if (node == nullptr || !to_number(*node, path(key), diags_, value)) return false;
  if (value < min || value > max) {
    auto text = [](double d) {
      std::string s = std::to_string(d);
      s.erase(s.find_last_not_of('0') + 1);
      if (s.back() == '.') s.pop_back();
      return s;
    };
    error(key, "must be between " + text(min) + " and " + text(max));
    return false;
  }
  out = value;
  return true;
}

bool FieldReader::read_strings(std::string_view key, std::vector<std::string>& out) {
  const Node* node = get(key);
  if (node == nullptr) return false;
  if (node->kind != Node::Kind::kArray) {
    diags_.error(*node, path(key), "expected an array of strings" + got(*node));
    return false;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (size_t i = 0; i < node->items.size(); ++i) {
    std::string value;
    if (to_string(node->items[i], index_path(path(key), i), diags_, value))
      values.push_back(std::move(value));
    else
      ok = false;
  }
  if (ok) out = std::move(values);
  return ok;
}

bool FieldReader::read_cidrs(std::string_view key, std::vector<Cidr>& out) {
  const Node* node = get(key);
  if (node == nullptr) return false;
  if (node->kind != Node::Kind::kArray) {
    diags_.error(*node, path(key), "expected an array of CIDR strings" + got(*node));
    return false;
  }
  std::vector<Cidr> values;
  bool ok = true;
  for (size_t i = 0; i < node->items.size(); ++i) {
    Cidr cidr;
    if (to_cidr(node->items[i], index_path(path(key), i), diags_, cidr))
      values.push_back(cidr);
    else
      ok = false;
  }
  if (ok) out = std::move(values);
  return ok;
}

}  // namespace faultline::config
