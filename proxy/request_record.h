#pragma once
// What the access log and faultline_requests_total learn about one exchange (an HTTP request,
// or a TCP connection). The sessions fill it as the exchange goes and hand it to one call at
// its end, whatever the end was: a response, a reset, a stall, a client that left, an
// upstream that died (SPEC §7: one line and one count per request, code "000" when no HTTP
// response reached the client).
#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string_view>

#include "faults/plan.h"

namespace faultline::proxy {

struct ListenerStats;

// How an exchange ended, when not with a complete response.
enum class Ending : uint8_t {
  kComplete,         // the response was relayed whole (or the TCP stream ended normally)
  kReset,            // an injected reset (RST to the client)
  kStall,            // an injected stall ran out, or the client left during it
  kClientClosed,     // the client closed or failed before the response was complete
  kUpstreamFailed,   // the upstream failed after the response head went to the client
  kUpstreamConnect,  // TCP: the upstream could not be reached
  kAborted,          // closed by the proxy (drain timeout, shutdown)
  kRefused,          // over max_connections
  kTlsAlert,         // an injected fatal TLS alert ended the handshake (tls_abort)
};
std::string_view ending_name(Ending ending);

struct RequestRecord {
  std::string_view listener;
  std::string_view client;  // peer address text
  uint64_t id = 0;          // per worker, see request_id()
  unsigned worker = 0;
  std::string_view protocol = "http";  // "http" | "http2" | "tcp" | "tls" (a faulted handshake)
  std::string_view method;             // empty when the head never parsed
  std::string_view path;
  int status = 0;         // status of the response head the client received; 0 = none ("000")
  int grpc_status = -1;   // the grpc-status the client received (HTTP/2 streams); -1 = none
  bool injected = false;  // a fault decided the outcome (abort status, reset, stall)
  Ending ending = Ending::kComplete;
  uint64_t bytes_in = 0;     // TCP: bytes from the client
  uint64_t bytes_out = 0;    // bytes sent to the client
  uint64_t total_us = 0;     // from the request's first byte (or accept) to its end
  uint64_t upstream_us = 0;  // waiting on the upstream, without our own fault waits
  uint64_t fault_us = 0;     // held by our own faults (latency, stall, bandwidth waits)
  std::span<const faults::AppliedFault> faults;
};

// Counts the record in faultline_requests_total and the duration histogram (HTTP only; a TCP
// connection is not a request) and writes its access-log line when the access log is on.
void finish_record(ListenerStats& stats, const RequestRecord& record);

// The next exchange id of the calling worker thread. The access log writes it as
// "<process tag>-<worker>-<id>", unique across workers and restarts.
uint64_t next_request_id();

// The client address as text ("10.0.0.7", "::1"); empty for an unknown family.
void format_address(const sockaddr* address, char* out, size_t capacity);

// Why a request's x-chaos-* headers were ignored, at debug level (SPEC §3: counted and, since
// issue 8, said). Cheap when debug logging is off.
void log_ignored_triggers(const faults::Plan& plan, const sockaddr* peer);

}  // namespace faultline::proxy
