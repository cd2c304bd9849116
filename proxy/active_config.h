#pragma once
// The immutable configuration a worker runs with (it holds faults::Snapshot, the compiled
// experiments). A reload or an admin change builds a new ActiveConfig off the workers and posts
// it to each worker's inbox; a request pins the one it started with (a shared_ptr), so a swap
// never changes a request mid-flight.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "config/schema.h"
#include "faults/snapshot.h"
#include "proxy/io/transport.h"

namespace faultline::proxy {

struct UpstreamAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

struct ActiveConfig {
  std::shared_ptr<const config::Config> config;
  std::vector<UpstreamAddress> upstreams;          // by listener index
  std::shared_ptr<const faults::Snapshot> faults;  // compiled experiments; may be null in tests
  // By listener index (empty or null: plain TCP): the layer under client connections
  // ([listeners.tls]) and under upstream connections ([listeners.upstream_tls]). Certificates
  // are read when these are built (start-up, reload), never on a worker.
  std::vector<std::shared_ptr<TransportLayerFactory>> client_layers;
  std::vector<std::shared_ptr<TransportLayerFactory>> upstream_layers;
  // The same TLS for an HTTP/2 upstream connection, offering ALPN h2 instead of http/1.1.
  std::vector<std::shared_ptr<TransportLayerFactory>> upstream_h2_layers;

  TransportLayerFactory* client_layer(uint32_t listener) const {
    return listener < client_layers.size() ? client_layers[listener].get() : nullptr;
  }
  TransportLayerFactory* upstream_layer(uint32_t listener) const {
    return listener < upstream_layers.size() ? upstream_layers[listener].get() : nullptr;
  }
  TransportLayerFactory* upstream_h2_layer(uint32_t listener) const {
    return listener < upstream_h2_layers.size() ? upstream_h2_layers[listener].get() : nullptr;
  }
};

using ActiveConfigPtr = std::shared_ptr<const ActiveConfig>;

}  // namespace faultline::proxy
