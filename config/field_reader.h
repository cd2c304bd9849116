#pragma once
// Internal to config/: typed access to one table of a Node document. Every read checks the
// value's kind and syntax and records a diagnostic at the value's position with its full
// key path, so decoders read fields in a few lines and still report every error.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/diagnostics.h"
#include "config/node.h"
#include "config/value.h"

namespace faultline::config {

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_path(std::string_view parent, std::string_view key);
// "a.b" + 2 -> "a.b[2]".
std::string index_path(std::string_view parent, size_t index);
// The closest of `candidates` to `word` when it looks like a typo of it, else empty.
std::string_view closest_match(std::string_view word,
                               const std::vector<std::string_view>& candidates);

// Element conversions, usable on array items as well as table fields. Each returns false and
// records a diagnostic at `node` when the value has the wrong kind or cannot be parsed.
bool to_string(const Node& node, const std::string& path, Diagnostics& diags, std::string& out);
bool to_bool(const Node& node, const std::string& path, Diagnostics& diags, bool& out);
bool to_duration(const Node& node, const std::string& path, Diagnostics& diags, Duration& out);
bool to_size(const Node& node, const std::string& path, Diagnostics& diags, ByteSize& out);
bool to_integer(const Node& node, const std::string& path, Diagnostics& diags, int64_t& out);
bool to_number(const Node& node, const std::string& path, Diagnostics& diags, double& out);
bool to_cidr(const Node& node, const std::string& path, Diagnostics& diags, Cidr& out);
bool to_host_port(const Node& node, const std::string& path, Diagnostics& diags, HostPort& out);
bool expect_table(const Node& node, const std::string& path, Diagnostics& diags);

// Decoders report in the order they read; users read a file top to bottom. Appends `from`'s
// items to `to` sorted by position (stable, so equal positions keep their order).
void append_by_position(const Diagnostics& from, Diagnostics& to);

class FieldReader {
 public:
  // `table` must be a table node (check with expect_table first).
  FieldReader(const Node& table, std::string path, Diagnostics& diags)
      : table_(table), path_(std::move(path)), diags_(diags) {}

  // Records "unknown key" for every key not in `known`, with a spelling suggestion.
  void reject_unknown(std::initializer_list<std::string_view> known);

  const Node* get(std::string_view key) const { return table_.find(key); }
  const Node& table() const { return table_; }
  std::string path(std::string_view key) const { return join_path(path_, key); }
  const std::string& path() const { return path_; }
  Diagnostics& diags() const { return diags_; }

  // Reports "missing required key" at the table when `key` is absent.
  bool require(std::string_view key);
  // Records an error about `key` at its value's position (the table's when absent).
  void error(std::string_view key, std::string message);

  // Each read assigns `out` and returns true only when the key is present and valid; an
  // absent key leaves the default in place and returns false without an error.
  bool read(std::string_view key, std::string& out);
  bool read(std::string_view key, bool& out);
  bool read(std::string_view key, Duration& out);
  bool read(std::string_view key, ByteSize& out);
  bool read(std::string_view key, HostPort& out);
  bool read_integer(std::string_view key, int64_t min, int64_t max, int64_t& out);
  bool read_number(std::string_view key, double min, double max, double& out);
  bool read_strings(std::string_view key, std::vector<std::string>& out);
  bool read_cidrs(std::string_view key, std::vector<Cidr>& out);
  // A string that must be one of `choices`; messages list them as "a|b|c".
  template <class E>
  bool read_enum(std::string_view key,
                 std::initializer_list<std::pair<std::string_view, E>> choices, E& out) {
    std::string text;
    if (!read(key, text)) return false;
    for (const auto& [name, value] : choices) {
      if (text == name) {
        out = value;
        return true;
      }
    }
    std::string names;
    for (const auto& choice : choices)
      names += (names.empty() ? "" : "|") + std::string(choice.first);
    error(key, "expected one of " + names + ", got \"" + text + "\"");
    return false;
  }

 private:
  const Node& table_;
  std::string path_;
  Diagnostics& diags_;
};

}  // namespace faultline::config
