#include "proxy/control/listener_protocols.h"

#include "proxy/http/listener.h"
#include "proxy/tcp/listener.h"

namespace faultline::proxy {

std::unique_ptr<ListenerProtocol> make_listener_protocol(Worker& worker, WorkerListener& listener) {
  if (listener.protocol == config::Protocol::kHttp)
    return std::make_unique<HttpListener>(worker, listener);
  return std::make_unique<TcpListener>(worker, listener);
}

}  // namespace faultline::proxy
