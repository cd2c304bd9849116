#include "proxy/control/listener_protocols.h"

#include "proxy/http/listener.h"
#include "proxy/http2/handoff.h"
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

std::vector<std::string> alpn_protocols(config::Protocol protocol) {
  if (protocol != config::Protocol::kHttp) return {};  // tcp: ALPN is ignored (SPEC §9)
  // HTTP/2 HOOK: add "h2" here once proxy/http2/ serves it on HTTP listeners. A client that
  // agreed on h2 starts with the h2 preface; Transport::alpn() on the client connection names
  // the agreed protocol, for the listener to pick the session.
  return {"http/1.1"};
}

}  // namespace faultline::proxy
