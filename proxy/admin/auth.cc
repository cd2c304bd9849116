#include "proxy/admin/auth.h"

#include <cstddef>
#include <cstdint>

#include "config/ascii.h"

namespace faultline::proxy::admin {

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Walk the longer string fully; a length mismatch is folded into the result rather than
  // returning early. `volatile` keeps the compiler from short-circuiting the loop.
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  volatile uint8_t diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t x = i < a.size() ? static_cast<uint8_t>(a[i]) : 0;
    const uint8_t y = i < b.size() ? static_cast<uint8_t>(b[i]) : 0;
    diff = diff | static_cast<uint8_t>(x ^ y);
  }
  return diff == 0;
}

bool bearer_authorized(std::string_view authorization, std::string_view token) {
  if (token.empty()) return true;
  constexpr std::string_view kScheme = "bearer ";
  if (!config::ascii_istarts_with(authorization, kScheme)) return false;
  std::string_view presented = authorization.substr(kScheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && (presented.back() == ' ' || presented.back() == '\t'))
    presented.remove_suffix(1);
  return constant_time_equals(presented, token);
}

}  // namespace faultline::proxy::admin
