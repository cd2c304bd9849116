#include "proxy/control/listener_protocols.h"

#include "proxy/http/listener.h"
#include "proxy/http2/handoff.h"
#include "proxy/http2/http1_over_http2.h"
#include "proxy/tcp/listener.h"

namespace faultline::proxy {

std::unique_ptr<ListenerProtocol> make_listener_protocol(Worker& worker, WorkerListener& listener) {
  if (listener.protocol == config::Protocol::kHttp) {
    auto http = std::make_unique<HttpListener>(worker, listener);
    http->set_preface_handoff(make_http2_handoff(worker, listener, http->pool()));  // h2c (SPEC §8)
    return http;
  }
  return std::make_unique<TcpListener>(worker, listener);
}

std::vector<std::string> alpn_protocols(const config::ListenerConfig& listener) {
  if (listener.protocol != config::Protocol::kHttp) return {};  // tcp: ignored (SPEC §9)
  // Not offered with upstream_protocol = "http1": clients that speak both (curl, browsers) then
  // stay on HTTP/1.1 end to end, as the operator asked, rather than have every request
  // converted. An h2c (prior knowledge) client on such a listener is still converted.
  if (listener.upstream_protocol == config::UpstreamProtocol::kHttp1) return {"http/1.1"};
  // h2: the HTTP/1.1 session hands a client that agreed on it to the HTTP/2 session with its
  // Transport (HttpSession::hand_off_alpn_h2).
  return {"h2", "http/1.1"};
}

std::shared_ptr<TransportLayerFactory> http1_upstream_layer(
    const config::ListenerConfig& listener, std::shared_ptr<TransportLayerFactory> tls,
    std::shared_ptr<TransportLayerFactory> tls_h2) {
  if (listener.protocol != config::Protocol::kHttp ||
      listener.upstream_protocol != config::UpstreamProtocol::kHttp2)
    return tls;
  return make_http1_over_http2(std::move(tls_h2),
                               static_cast<uint32_t>(listener.h2_initial_window.bytes),
                               listener.upstream.to_string());
}

}  // namespace faultline::proxy
