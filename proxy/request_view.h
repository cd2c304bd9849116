#pragma once
// Views into a parsed request head, valid for one call: what the proxy hands to the fault
// decision (mirrors faults::RequestHead so the hot path builds nothing).
#include <cstdint>
#include <span>
#include <string_view>

struct sockaddr;

namespace faultline::proxy {

struct HeaderView {
  std::string_view name;  // any case
  std::string_view value;
};

struct RequestView {
  std::string_view method;
  std::string_view path;  // request target, may include "?query"
  std::span<const HeaderView> headers;
  const sockaddr* peer = nullptr;
  uint32_t listener_index = 0;
};

}  // namespace faultline::proxy
