#pragma once
// Which header fields of an HTTP/2 stream cross to the other side, whatever the upstream's HTTP
// version: connection-specific fields never do (RFC 9113 §8.2.2), and the fault triggers
// faultline read (x-chaos-*, Envoy's PREFIX-fault-*) not when the config says to strip them, as
// for HTTP/1.1 (SPEC §3, §10.1).
#include <string_view>

#include "proxy/active_config.h"

namespace faultline::proxy {

// Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, HTTP2-Settings, and TE
// unless it is "trailers" (gRPC needs it). `name` is lower case.
bool connection_specific_field(std::string_view name, std::string_view value);

// A request field faultline reads as a fault trigger and the config strips before forwarding.
bool stripped_trigger_field(std::string_view name, const ActiveConfig& snapshot);

}  // namespace faultline::proxy
