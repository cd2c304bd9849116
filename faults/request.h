#pragma once
// What decide() may look at: views into the parsed request head, valid for the call only.
#include <cstdint>
#include <span>
#include <string_view>

struct sockaddr;

namespace faultline::faults {

struct HeaderView {
  std::string_view name;  // any case
  std::string_view value;
};

struct RequestHead {
  std::string_view method;  // "GET"
  std::string_view path;    // request target; may include "?query"
  std::span<const HeaderView> headers;
  const sockaddr* peer = nullptr;  // client address (IPv4, IPv6 or v4-mapped)
  uint32_t listener_index = 0;     // index into config.listeners
  std::string_view sni;            // TLS listeners: the server name the client asked for
};

struct ConnectionHead {
  const sockaddr* peer = nullptr;
  uint32_t listener_index = 0;
};

// A TLS client's ClientHello, as the TLS handshake faults see it.
struct HandshakeHead {
  const sockaddr* peer = nullptr;
  uint32_t listener_index = 0;
  std::string_view sni;  // the server name the client asked for; empty without SNI
};

}  // namespace faultline::faults
