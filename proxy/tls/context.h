#pragma once
// OpenSSL contexts built from a listener's [listeners.tls] (termination) and
// [listeners.upstream_tls] (origination), SPEC §9. Built off the event loops (start-up,
// reload); immutable afterwards and shared by every worker (SSL_new is thread-safe on a
// context). A context that fails to build names the config key at fault, so start-up and
// `check` print FILE:LINE:COL of the key and a reload keeps the previous context.
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/schema.h"

namespace faultline::proxy::tls {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Why a context could not be built: the message, and the key (and its position) naming the
// file at fault.
struct ContextError {
  std::string key;  // "cert_file", "key_file", "client_ca_file", "ca_file"
  config::SourcePos pos;
  std::string message;
};

// Termination: certificate chain, key, optional client CA (mTLS), minimum version, ALPN.
struct ServerContext {
  SslCtxPtr ctx;
  std::vector<unsigned char> alpn;  // wire format of the protocols offered, in preference order
  int64_t not_after = 0;            // Unix time of the certificate's notAfter
  std::string serial;               // hex, for logs
};

// `offered`: the ALPN protocol names this listener may offer (its session must speak them).
std::shared_ptr<const ServerContext> make_server_context(const config::TlsConfig& tls,
                                                         const std::vector<std::string>& offered,
                                                         ContextError& error);

// Origination: trust store (ca_file or the system's), verification, optional client
// certificate, and one resumable session per upstream (the most recent one).
class ClientContext {
 public:
  SslCtxPtr ctx;
  std::string server_name;  // SNI and the name verified
  bool verify = true;

  // The session a new connection tries to resume (null: full handshake); a reference the
  // caller owns.
  SSL_SESSION* resumable() const;
  void remember(SSL_SESSION* session);  // takes a reference
  ~ClientContext();

 private:
  mutable std::mutex mutex_;
  SSL_SESSION* session_ = nullptr;
};

// `http`: offer ALPN http/1.1 (HTTP listeners); a TCP listener offers none.
std::shared_ptr<ClientContext> make_client_context(const config::UpstreamTlsConfig& tls,
                                                   const std::string& upstream_host, bool http,
                                                   ContextError& error);

// The ClientContext a connection's SSL_CTX belongs to (for the new-session callback).
ClientContext* client_context_of(SSL_CTX* ctx);

}  // namespace faultline::proxy::tls
