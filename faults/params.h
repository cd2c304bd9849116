#pragma once
// Decodes one fault table's keys with positions. Every getter records the key as known;
// finish() reports the keys nobody asked for, so a typo is an error, never silently ignored.
// Error paths are "<fault.path>.<key>" so `faultline check` prints file:line:col.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/schema.h"

namespace faultline::faults {

class ParamReader {
 public:
  ParamReader(const config::FaultConfig& fault, config::Diagnostics& diags);

  std::optional<config::Duration> duration(std::string_view key);
  std::optional<config::Rate> rate(std::string_view key);
  std::optional<std::string> string(std::string_view key);
  // Both follow config/number.h: an integer field accepts 10.0, refuses 10.5.
  std::optional<int64_t> integer(std::string_view key);
  std::optional<double> number(std::string_view key);  // integer or finite float
  // A string that must be one of `allowed`.
  std::optional<std::string> choice(std::string_view key,
                                    std::initializer_list<std::string_view> allowed);
  // A table of string values (abort headers).
  std::optional<std::vector<std::pair<std::string, std::string>>> string_table(
      std::string_view key);

  bool has(std::string_view key) const { return fault_.params.find(key) != nullptr; }
  // Reports at the key's position when present, else at the fault table.
  void error(std::string_view key, std::string message);
  // Reports unknown keys; returns true when no error was reported by this reader.
  bool finish();
  bool ok() const { return errors_ == 0; }

  std::string path(std::string_view key) const;
  const config::FaultConfig& fault() const { return fault_; }

 private:
  const config::Node* lookup(std::string_view key);

  const config::FaultConfig& fault_;
  config::Diagnostics& diags_;
  std::vector<std::string_view> known_;
  int errors_ = 0;
};

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_path(std::string_view prefix, std::string_view key);

}  // namespace faultline::faults
