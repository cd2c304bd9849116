#include "faults/params.h"

#include <algorithm>

#include "config/number.h"
#include "config/value.h"

namespace faultline::faults {

using config::Node;

std::string join_path(std::string_view prefix, std::string_view key) {
  std::string out(prefix);
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

ParamReader::ParamReader(const config::FaultConfig& fault, config::Diagnostics& diags)
    : fault_(&fault), diags_(&diags) {
  known_ = {"type", "percentage"};
}

ParamReader::ParamReader(const HeaderArgs& args, std::string& error)
    : headers_(&args), header_error_(&error) {}

std::string ParamReader::path(std::string_view key) const {
  return fault_ ? join_path(fault_->path, key) : std::string(key);
}

bool ParamReader::has(std::string_view key) const {
  if (headers_) return header_text(header_index(key)).has_value();
  return fault_->params.find(key) != nullptr;
}

const Node* ParamReader::lookup(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
  return fault_->params.find(key);
}

void ParamReader::error(std::string_view key, std::string message) {
  if (headers_) return header_error(key, message);
  ++errors_;
  const Node* node = fault_->params.find(key);
  diags_->error(node ? node->pos : fault_->params.pos, path(key), std::move(message));
}

static std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

static std::string describe(const Node& node) {
  if (node.kind == Node::Kind::kString) return quoted(node.string);
  return "a " + std::string(Node::kind_name(node.kind));
}

// The value parser's reason ("invalid duration \"X\": too large ...") as " (too large ...)".
static std::string because(const std::string& error, const std::string& value) {
  const std::string quoted_value = quoted(value) + ": ";
  const size_t at = error.find(quoted_value);
  if (at == std::string::npos) return {};
  return " (" + error.substr(at + quoted_value.size()) + ")";
}

std::optional<config::Duration> ParamReader::duration(std::string_view key) {
  if (headers_) return header_duration(key);
  const Node* node = lookup(key);
  if (!node) return std::nullopt;
  std::string reason;
  if (node->kind == Node::Kind::kString) {
    auto parsed = config::parse_duration(node->string);
    if (parsed) return *parsed;
    reason = because(parsed.error(), node->string);
  }
  error(key, "expected a duration like \"250ms\" or \"2s\", got " + describe(*node) + reason);
  return std::nullopt;
}

std::optional<config::Rate> ParamReader::rate(std::string_view key) {
  if (headers_) return header_rate(key);
  const Node* node = lookup(key);
  if (!node) return std::nullopt;
  std::string reason;
  if (node->kind == Node::Kind::kString) {
    auto parsed = config::parse_rate(node->string);
    if (parsed) return *parsed;
    reason = because(parsed.error(), node->string);
  }
  error(key, "expected a rate like \"16KiB/s\", got " + describe(*node) + reason);
  return std::nullopt;
}

std::optional<std::string> ParamReader::string(std::string_view key) {
  if (headers_) {
    const auto text = header_text(header_index(key));
    return text ? std::optional<std::string>(*text) : std::nullopt;
  }
  const Node* node = lookup(key);
  if (!node) return std::nullopt;
  if (node->kind == Node::Kind::kString) return node->string;
  error(key, "expected a string, got " + describe(*node));
  return std::nullopt;
}

std::optional<int64_t> ParamReader::integer(std::string_view key) {
  if (headers_) return header_integer(key);
  const Node* node = lookup(key);
  if (!node) return std::nullopt;
  if (const auto value = config::integer_value(*node)) return *value;  // the one rule
  error(key, "expected an integer, got " + describe(*node));
  return std::nullopt;
}

std::optional<double> ParamReader::number(std::string_view key) {
  if (headers_) return header_number(key);
  const Node* node = lookup(key);
  if (!node) return std::nullopt;
  if (const auto value = config::number_value(*node)) return *value;
  error(key, "expected a number, got " + describe(*node));
  return std::nullopt;
}

std::optional<bool> ParamReader::boolean(std::string_view key) {
  if (headers_) return std::nullopt;
  const Node* node = lookup(key);
  if (!node) return std::nullopt;
  if (node->kind == Node::Kind::kBool) return node->boolean;
  error(key, "expected true or false, got " + describe(*node));
  return std::nullopt;
}

std::optional<std::string> ParamReader::choice(std::string_view key,
                                               std::initializer_list<std::string_view> allowed) {
  if (headers_) return header_choice(key);
  const Node* node = lookup(key);
  if (!node) return std::nullopt;
  if (node->kind == Node::Kind::kString) {
    for (std::string_view option : allowed)
      if (node->string == option) return node->string;
  }
  std::string options;
  for (std::string_view option : allowed) {
    if (!options.empty()) options += ", ";
    options += quoted(option);
  }
  error(key, "expected one of " + options + ", got " + describe(*node));
  return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, std::string>>> ParamReader::string_table(
    std::string_view key) {
  if (headers_) return std::nullopt;  // no header carries a table
  const Node* node = lookup(key);
  if (!node) return std::nullopt;
  if (!node->is_table()) {
    error(key, "expected a table of strings, got " + describe(*node));
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : node->fields) {
    if (value.kind != Node::Kind::kString) {
      ++errors_;
      diags_->error(value.pos, path(key) + "." + name, "expected a string, got " + describe(value));
      continue;
    }
    out.emplace_back(name, value.string);
  }
  if (out.size() != node->fields.size()) return std::nullopt;
  return out;
}

void ParamReader::exceeds_max_delay(std::initializer_list<std::string_view> keys,
                                    config::Duration total, config::Duration max,
                                    std::string_view what) {
  if (headers_) return header_exceeds_max_delay(keys, max);
  error(*keys.begin(), std::string(what) + " " + config::format_duration(total) +
                           " exceeds safety.max_delay (" + config::format_duration(max) + ")");
}

bool ParamReader::finish() {
  if (headers_) return errors_ == 0;
  for (const auto& [key, value] : fault_->params.fields) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string keys;
    for (size_t i = 2; i < known_.size(); ++i) {
      if (!keys.empty()) keys += ", ";
      keys += known_[i];
    }
    ++errors_;
    diags_->error(value.pos, path(key),
                  "unknown key for a " + fault_->type + " fault (known: " +
                      (keys.empty() ? std::string("type, percentage") : keys + ", percentage") +
                      ")");
  }
  return errors_ == 0;
}

}  // namespace faultline::faults
