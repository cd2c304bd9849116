#include "proxy/tls/factory.h"

#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include "proxy/tls/layer.h"
#include "proxy/worker.h"

namespace faultline::proxy::tls {

namespace {
bool is_ip_literal(const std::string& name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}
}  // namespace

TransportLayer* ServerLayerFactory::make(Transport& transport, TransportCounters& counters) {
  SSL* ssl = SSL_new(context_->ctx.get());  // null: the layer fails the handshake
  auto* layer = new TlsLayer(transport, ssl, TlsLayer::Role::kServer, handshake_timeout_ms_,
                             counters, context_);
  if (listener_) {
    // Made on the worker's thread for a session it just accepted: its configuration now is
    // the session's.
    if (Worker* worker = Worker::of(transport.loop()))
      layer->enable_faults(worker, worker->snapshot(), *listener_);
  }
  layer->accept();
  return layer;
}

ClientLayerFactory::ClientLayerFactory(std::shared_ptr<ClientContext> context,
                                       std::string_view alpn)
    : context_(std::move(context)) {
  if (alpn.empty()) return;
  alpn_.push_back(static_cast<unsigned char>(alpn.size()));
  alpn_.insert(alpn_.end(), alpn.begin(), alpn.end());
}

TransportLayer* ClientLayerFactory::make(Transport& transport, TransportCounters& counters) {
  SSL* ssl = SSL_new(context_->ctx.get());
  if (ssl) {
    if (!alpn_.empty()) SSL_set_alpn_protos(ssl, alpn_.data(), static_cast<unsigned>(alpn_.size()));
    const std::string& name = context_->server_name;
    const bool ip = is_ip_literal(name);
    if (!ip && !name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());  // no SNI for an IP
    if (context_->verify && !name.empty()) {
      if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
      else
        SSL_set1_host(ssl, name.c_str());
    }
    if (SSL_SESSION* session = context_->resumable()) {
      SSL_set_session(ssl, session);
      SSL_SESSION_free(session);
    }
  }
  // The upstream's own timers (connect_timeout) bound the handshake.
  return new TlsLayer(transport, ssl, TlsLayer::Role::kClient, 0, counters, context_);
}

}  // namespace faultline::proxy::tls
