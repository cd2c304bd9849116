#pragma once
// Every listener's TLS, built from the config off the event loops (start-up, reload, `check`):
// the layer factories workers put under client and upstream connections, and what /metrics and
// /v1/status say about the certificates. A certificate or key that cannot be read or does not
// match is an error at the key naming it (FILE:LINE:COL), and nothing is built: start-up exits
// 2, a reload keeps the running certificates.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/schema.h"
#include "proxy/io/transport.h"

namespace faultline::proxy {

struct TlsLayers {
  // By listener index; null: plain.
  std::vector<std::shared_ptr<TransportLayerFactory>> client;
  std::vector<std::shared_ptr<TransportLayerFactory>> upstream;
  // HTTP listeners' HTTP/2 upstream connections: the same context (and resumable session),
  // offering ALPN h2.
  std::vector<std::shared_ptr<TransportLayerFactory>> upstream_h2;
  std::vector<int64_t> cert_expiry;  // Unix time of notAfter; 0 without [listeners.tls]
  std::vector<std::string> cert_serial;
};

std::optional<TlsLayers> build_tls_layers(const config::Config& config, config::Diagnostics& diags);

}  // namespace faultline::proxy
