#pragma once
// Which session serves a listener's connections, chosen by its `protocol` (the one place that
// knows every protocol; workers get it as their ListenerProtocolFactory).
#include <memory>
#include <string>
#include <vector>

#include "proxy/io/transport.h"
#include "proxy/worker.h"

namespace faultline::proxy {

std::unique_ptr<ListenerProtocol> make_listener_protocol(Worker& worker, WorkerListener& listener);

// The ALPN protocols a TLS listener may offer: those its sessions speak and can relay.
std::vector<std::string> alpn_protocols(const config::ListenerConfig& listener);

// The layer under a listener's HTTP/1.1 sessions' upstream connections: `tls` (its
// [listeners.upstream_tls], or null), or, for an http listener with upstream_protocol = "http2",
// HTTP/1.1 carried over HTTP/2 on `tls_h2` (the same TLS offering ALPN h2, or null: h2c).
std::shared_ptr<TransportLayerFactory> http1_upstream_layer(
    const config::ListenerConfig& listener, std::shared_ptr<TransportLayerFactory> tls,
    std::shared_ptr<TransportLayerFactory> tls_h2);

}  // namespace faultline::proxy
