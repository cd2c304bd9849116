#pragma once
// Helpers shared by the fault kinds' decoders.
#include <string>
#include <string_view>

#include "config/value.h"
#include "faults/kind.h"

namespace faultline::faults::kinds {

// Reports an error at `key` when `value` exceeds safety.max_delay.
inline bool check_max_delay(ParamReader& reader, std::string_view key, config::Duration value,
                            const KindContext& context, std::string_view what) {
  if (value <= context.safety.max_delay) return true;
  reader.error(key, std::string(what) + " " + config::format_duration(value) +
                        " exceeds safety.max_delay (" +
                        config::format_duration(context.safety.max_delay) + ")");
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
