#pragma once
// Helpers shared by the fault kinds' decoders.
#include <initializer_list>
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

inline Direction direction_from(const std::string& text) {
  if (text == "upstream") return Direction::kUpstream;
  if (text == "downstream") return Direction::kDownstream;
  return Direction::kBoth;
}

}  // namespace faultline::faults::kinds
