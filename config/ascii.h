#pragma once
// ASCII case folding for protocol tokens (header names, units, enum words). Locale-free on
// purpose: std::tolower and strcasecmp follow the C locale, and a protocol must not. In
// config/ because it is the lowest layer: faults/, proxy/ and proxy/admin/ may all use it.
#include <string_view>

namespace faultline::config {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Equal ignoring ASCII case; bytes outside A-Z/a-z must match exactly.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// Without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 §5.6.3).
constexpr std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

constexpr bool ascii_istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && ascii_iequals(text.substr(0, prefix.size()), prefix);
}

}  // namespace faultline::config
