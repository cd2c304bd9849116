#pragma once
// Helpers shared by the fault kinds' decoders.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "config/value.h"
#include "faults/kind.h"

namespace faultline::faults::kinds {

// Reports an error at the first of `keys` when `value`, the sum of their durations, exceeds
// safety.max_delay ("<what> <value> exceeds ..."; from headers, naming each header).
inline bool check_max_delay(ParamReader& reader, std::initializer_list<std::string_view> keys,
                            config::Duration value, const KindContext& context,
                            std::string_view what) {
  if (value <= context.safety.max_delay) return true;
  reader.exceeds_max_delay(keys, value, context.safety.max_delay, what);
  return false;
}

inline std::string annotation(std::string_view kind, std::string_view value,
                              std::string_view source) {
  std::string out(kind);
  out += '=';
  out += value;
  out += '@';
  out += source;
  return out;
}

// TCP-only kinds (blackhole, limit_data, slice): an error when the experiment also runs on an
// http listener, where a byte stream has no meaning of its own.
inline void require_tcp(ParamReader& reader, const KindContext& context, std::string_view kind) {
  if (!context.on_http) return;
  reader.error("type", std::string(kind) +
                           " applies to tcp listeners only; this experiment runs on an http "
                           "listener (set listeners = [...] to tcp listeners)");
}

// A byte count >= `min` (an integer key), or nullopt with the error reported.
inline std::optional<uint64_t> byte_count(ParamReader& reader, std::string_view key, int64_t min) {
  const auto value = reader.integer(key);
  if (!value) return std::nullopt;
  if (*value < min) {
    reader.error(
        key, "expected a byte count >= " + std::to_string(min) + ", got " + std::to_string(*value));
    return std::nullopt;
  }
  return static_cast<uint64_t>(*value);
}

inline Direction direction_from(const std::string& text) {
  if (text == "upstream") return Direction::kUpstream;
  if (text == "downstream") return Direction::kDownstream;
  return Direction::kBoth;
}

// SPEC §8: the HTTP/2 error codes a reset or goaway may name.
#define FAULTLINE_H2_CODE_NAMES \
  { "cancel", "internal_error", "refused_stream", "enhance_your_calm", "no_error" }

inline H2Code h2_code_from(const std::string& text) {
  if (text == "cancel") return H2Code::kCancel;
  if (text == "refused_stream") return H2Code::kRefusedStream;
  if (text == "enhance_your_calm") return H2Code::kEnhanceYourCalm;
  if (text == "no_error") return H2Code::kNoError;
  return H2Code::kInternalError;
}

}  // namespace faultline::faults::kinds
