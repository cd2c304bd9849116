#pragma once
// Decodes one fault's parameters for its kind's compile function, from one of two sources:
// - a fault table of the config or an API body: every getter records the key as known;
//   finish() reports the keys nobody asked for, so a typo is an error, never silently ignored.
//   Error paths are "<fault.path>.<key>" so `faultline check` prints file:line:col.
// - the x-chaos-* headers of one request (the kind's HeaderTrigger): the first error becomes
//   the 400 message, naming the header.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/schema.h"

namespace faultline::faults {

// One parameter of a kind that an x-chaos-* request header sets.
struct HeaderParam {
  std::string_view key;     // the kind's parameter ("delay")
  std::string_view header;  // "x-chaos-delay"; empty: `fallback` is fixed for header faults
  // The 400's "expected ..." for any error on this parameter, syntax or range alike:
  // "x-chaos-delay: expected <expected>, got \"<value>\"".
  std::string_view expected;
  std::string_view fallback = {};  // the value when the header is absent; empty: none
  // For a choice parameter: what the header may say (any case), a subset of the config's.
  std::span<const std::string_view> choices = {};
};

struct HeaderTrigger {
  std::span<const HeaderParam> params;
  bool terminal = false;  // ends the request: a request may send one terminal header only
};

// At most this many parameters per header trigger.
inline constexpr size_t kMaxHeaderParams = 4;

// The x-chaos-* values of one request for one kind's trigger, parallel to trigger->params.
struct HeaderArgs {
  const HeaderTrigger* trigger = nullptr;
  std::array<std::string_view, kMaxHeaderParams> values{};
  uint32_t present = 0;  // bit i: trigger->params[i].header was sent
};

class ParamReader {
 public:
  ParamReader(const config::FaultConfig& fault, config::Diagnostics& diags);
  // Header source: the first error is written to `error` (a 400 message).
  ParamReader(const HeaderArgs& args, std::string& error);

  std::optional<config::Duration> duration(std::string_view key);
  std::optional<config::Rate> rate(std::string_view key);
  std::optional<std::string> string(std::string_view key);
  // Both follow config/number.h: an integer field accepts 10.0, refuses 10.5.
  std::optional<int64_t> integer(std::string_view key);
  std::optional<double> number(std::string_view key);  // integer or finite float
  // true/false; config source only (no header trigger sets a boolean).
  std::optional<bool> boolean(std::string_view key);
  // A string that must be one of `allowed`.
  std::optional<std::string> choice(std::string_view key,
                                    std::initializer_list<std::string_view> allowed);
  // A table of string values (abort headers).
  std::optional<std::vector<std::pair<std::string, std::string>>> string_table(
      std::string_view key);

  bool has(std::string_view key) const;
  // Reports at the key's position when present, else at the fault table.
  void error(std::string_view key, std::string message);
  // Reports unknown keys; returns true when no error was reported by this reader.
  bool finish();
  bool ok() const { return errors_ == 0; }
  // Reports that `total`, the sum of `keys`' durations, exceeds safety.max_delay `max`: at the
  // first key as "<what> <total> exceeds ..."; from headers as "x-chaos-delay: 25s plus
  // x-chaos-jitter 10s exceeds ...".
  void exceeds_max_delay(std::initializer_list<std::string_view> keys, config::Duration total,
                         config::Duration max, std::string_view what);

  std::string path(std::string_view key) const;

 private:
  const config::Node* lookup(std::string_view key);

  // Header source (header_params.cc).
  int header_index(std::string_view key) const;  // -1: no header parameter for `key`
  // The header's value (trimmed), else the fallback; nullopt when neither.
  std::optional<std::string_view> header_text(int index) const;
  void header_error(std::string_view key, std::string_view message);
  std::optional<config::Duration> header_duration(std::string_view key);
  std::optional<config::Rate> header_rate(std::string_view key);
  std::optional<int64_t> header_integer(std::string_view key);
  std::optional<double> header_number(std::string_view key);
  std::optional<std::string> header_choice(std::string_view key);
  void header_exceeds_max_delay(std::initializer_list<std::string_view> keys, config::Duration max);

  const config::FaultConfig* fault_ = nullptr;  // config source
  config::Diagnostics* diags_ = nullptr;
  std::vector<std::string_view> known_;
  const HeaderArgs* headers_ = nullptr;  // header source
  std::string* header_error_ = nullptr;
  std::string header_reason_;  // the value parser's reason for the next header error
  int errors_ = 0;
};

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_path(std::string_view prefix, std::string_view key);

}  // namespace faultline::faults
