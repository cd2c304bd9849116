#include "proxy/request_record.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "faults/counters.h"
#include "proxy/log.h"
#include "proxy/stats.h"

namespace faultline::proxy {

std::string_view ending_name(Ending ending) {
  switch (ending) {
    case Ending::kComplete:
      return "complete";
    case Ending::kReset:
      return "reset";
    case Ending::kStall:
      return "stall";
    case Ending::kClientClosed:
      return "client_closed";
    case Ending::kUpstreamFailed:
      return "upstream_failed";
    case Ending::kUpstreamConnect:
      return "upstream_connect_failed";
    case Ending::kAborted:
      return "aborted";
    case Ending::kRefused:
      return "refused";
    case Ending::kTlsAlert:
      return "tls_alert";
  }
  return "complete";
}

void finish_record(ListenerStats& stats, const RequestRecord& record) {
  // Every HTTP exchange, HTTP/1.1 or an HTTP/2 stream; a TCP connection or a faulted TLS
  // handshake ("tls") is not a request.
  if (record.protocol == "http" || record.protocol == "http2")
    stats.record(record.status, record.injected, record.total_us, !record.faults.empty(),
                 record.protocol == "http2");
  if (record.grpc_status >= 0) stats.grpc_response(record.grpc_status);
  if (log::access_enabled()) log::access(record);
}

uint64_t next_request_id() {
  // One counter per worker thread; the worker index in the logged id keeps ids unique.
  thread_local uint64_t next = 0;
  return ++next;
}

void format_address(const sockaddr* address, char* out, size_t capacity) {
  out[0] = 0;
  if (!address) return;
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, out, capacity);
  } else if (address->sa_family == AF_INET6) {
    const auto* a6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
      inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], out, capacity);
    else
      inet_ntop(AF_INET6, &a6->sin6_addr, out, capacity);
  }
}

void log_ignored_triggers(const faults::Plan& plan, const sockaddr* peer) {
  if (plan.trigger_rejected == faults::kNoRejection) return;
  auto& logger = log::http();
  if (!logger.should_log(spdlog::level::debug)) return;
  char client[64];
  format_address(peer, client, sizeof client);
  switch (static_cast<faults::RejectReason>(plan.trigger_rejected)) {
    case faults::RejectReason::kToken:
      logger.debug("x-chaos-* headers from {} ignored: x-chaos-token missing or wrong", client);
      break;
    case faults::RejectReason::kSource:
      logger.debug("x-chaos-* headers from {} ignored: client outside triggers.headers.allow_from",
                   client);
      break;
    case faults::RejectReason::kInvalid:
      logger.debug("x-chaos-* headers from {} rejected (400): {}", client, plan.bad_request);
      break;
    case faults::RejectReason::kUnknownExperiment:
      logger.debug("x-chaos-experiment from {} names no experiment: \"{}\"", client,
                   plan.unknown_experiment.substr(0, 64));
      break;
    case faults::RejectReason::kEnvoyInvalid:  // counted where Envoy's headers are read; never
      break;                                   // a plan's trigger_rejected
  }
}

}  // namespace faultline::proxy
