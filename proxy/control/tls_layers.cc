#include "proxy/control/tls_layers.h"

#include "proxy/control/listener_protocols.h"
#include "proxy/tls/factory.h"

namespace faultline::proxy {

std::optional<TlsLayers> build_tls_layers(const config::Config& config,
                                          config::Diagnostics& diags) {
  TlsLayers out;
  const size_t n = config.listeners.size();
  out.client.resize(n);
  out.upstream.resize(n);
  out.upstream_h2.resize(n);
  out.cert_expiry.assign(n, 0);
  out.cert_serial.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& l = config.listeners[i];
    if (l.retired) continue;  // a removed listener's slot: its files may be gone
    const std::string path = "listeners[" + std::to_string(i) + "].";
    tls::ContextError error;
    if (l.tls.enabled) {
      auto ctx = tls::make_server_context(l.tls, alpn_protocols(l), error);
      if (!ctx) {
        diags.error(error.pos, path + "tls." + error.key, error.message);
        continue;
      }
      out.cert_expiry[i] = ctx->not_after;
      out.cert_serial[i] = ctx->serial;
      // A client gets header_timeout to finish its handshake (tcp listeners: idle_timeout).
      const auto timeout =
          l.protocol == config::Protocol::kHttp ? l.header_timeout : l.idle_timeout;
      out.client[i] = std::make_shared<tls::ServerLayerFactory>(
          std::move(ctx), static_cast<uint64_t>(timeout.count()), static_cast<uint32_t>(i));
    }
    if (l.upstream_tls.enabled) {
      auto ctx = tls::make_client_context(l.upstream_tls, l.upstream.host,
                                          l.protocol == config::Protocol::kHttp, error);
      if (!ctx) {
        diags.error(error.pos, path + "upstream_tls." + error.key, error.message);
        continue;
      }
      if (l.protocol == config::Protocol::kHttp)
        out.upstream_h2[i] = std::make_shared<tls::ClientLayerFactory>(ctx, "h2");
      out.upstream[i] = std::make_shared<tls::ClientLayerFactory>(std::move(ctx));
    }
  }
  if (!diags.ok()) return std::nullopt;
  return out;
}

}  // namespace faultline::proxy
