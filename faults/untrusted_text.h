#pragma once
// Untrusted request bytes quoted in an error message (a 400's body, a log line): bounded and
// printable, so a header value cannot forge lines or flood the answer.
#include <string>
#include <string_view>

namespace faultline::faults {

// "value" with control characters and quotes as '?', at most 64 bytes, then "...".
inline std::string shown(std::string_view value) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    out += (c < 0x20 || c == 0x7f || c == '"') ? '?' : static_cast<char>(c);
  }
  if (value.size() > 64) out += "...";
  return out + "\"";
}

// A parser's message, which may quote the untrusted value: control characters as '?', at most
// 160 bytes.
inline std::string printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < 160; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  return out;
}

}  // namespace faultline::faults
