#pragma once
// The TransportLayerFactory of a TLS listener: a TlsLayer per connection, on the context the
// configuration that accepted (or opened) the connection was built with. A reload builds new
// factories, so connections already open keep their session and context.
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "proxy/io/transport.h"
#include "proxy/tls/context.h"

namespace faultline::proxy::tls {

// Termination: the server side of every accepted connection.
class ServerLayerFactory final : public TransportLayerFactory {
 public:
  // `listener`: the listener's index on the workers, whose TLS handshake faults apply (none
  // without it).
  ServerLayerFactory(std::shared_ptr<const ServerContext> context, uint64_t handshake_timeout_ms,
                     std::optional<uint32_t> listener = std::nullopt)
      : context_(std::move(context)),
        handshake_timeout_ms_(handshake_timeout_ms),
        listener_(listener) {}
  TransportLayer* make(Transport& transport, TransportCounters& counters) override;
  const ServerContext& context() const { return *context_; }

 private:
  std::shared_ptr<const ServerContext> context_;
  uint64_t handshake_timeout_ms_;
  std::optional<uint32_t> listener_;
};

// Origination: the client side of every upstream connection (SNI, name verification,
// resumption of the upstream's last session).
class ClientLayerFactory final : public TransportLayerFactory {
 public:
  // `alpn`: the one protocol every connection offers instead of the context's (HTTP/2
  // upstream connections: "h2"); empty: the context's.
  explicit ClientLayerFactory(std::shared_ptr<ClientContext> context, std::string_view alpn = {});
  TransportLayer* make(Transport& transport, TransportCounters& counters) override;

 private:
  std::shared_ptr<ClientContext> context_;
  std::vector<unsigned char> alpn_;  // wire format
};

}  // namespace faultline::proxy::tls
