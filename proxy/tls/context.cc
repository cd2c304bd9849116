#include "proxy/tls/context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "proxy/tls/layer.h"
#include "proxy/tls/openssl_library.h"

namespace faultline::proxy::tls {

namespace {

// Mozilla "intermediate": forward secrecy and AEAD only for TLS 1.2; TLS 1.3 suites are all
// modern.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

int client_ctx_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's last error, or errno for a file that cannot be opened.
std::string openssl_error(const std::string& file) {
  unsigned long e = ERR_peek_last_error();
  std::string why;
  if (ERR_GET_LIB(e) == ERR_LIB_SYS || (e == 0 && errno != 0)) {
    why = std::strerror(ERR_GET_LIB(e) == ERR_LIB_SYS ? ERR_GET_REASON(e) : errno);
  } else if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    why = buf;
  } else {
    why = "unknown error";
  }
  ERR_clear_error();
  return "\"" + file + "\": " + why;
}

std::string mismatch(const std::string& cert, const std::string& key) {
  return "\"" + key + "\" does not match the certificate in \"" + cert + "\"";
}

bool parses_as_key(const std::string& file) {
  FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return false;
  EVP_PKEY* pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ERR_clear_error();
  if (!pkey) return false;
  EVP_PKEY_free(pkey);
  return true;
}

bool readable(const std::string& file, std::string& why) {
  FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) {
    why = "cannot read \"" + file + "\": " + std::strerror(errno);
    return false;
  }
  std::fclose(f);
  return true;
}

SslCtxPtr new_ctx(const SSL_METHOD* method, config::TlsVersion min_version) {
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(
      ctx.get(), min_version == config::TlsVersion::k13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Idle connections give their record buffers back (about 34 KiB each).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

// Loads the certificate chain and key; checks that they match.
bool load_identity(SSL_CTX* ctx, const std::string& cert, const config::SourcePos& cert_pos,
                   const std::string& cert_key, const std::string& key,
                   const config::SourcePos& key_pos, const std::string& key_key,
                   ContextError& error) {
  std::string why;
  if (!readable(cert, why)) {
    error = {cert_key, cert_pos, why};
    return false;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    error = {cert_key, cert_pos, "not a PEM certificate: " + openssl_error(cert)};
    return false;
  }
  if (!readable(key, why)) {
    error = {key_key, key_pos, why};
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL refuses a key that does not match the loaded certificate here already: say
    // which of the two it is.
    const std::string detail = openssl_error(key);
    error = {key_key, key_pos,
             parses_as_key(key) ? mismatch(cert, key) : "not a PEM private key: " + detail};
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    error = {key_key, key_pos, mismatch(cert, key)};
    return false;
  }
  return true;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  auto* server = static_cast<const ServerContext*>(arg);
  unsigned char* selected = nullptr;
  // Our preference order wins (SSL_select_next_proto walks the first list).
  if (SSL_select_next_proto(&selected, outlen, server->alpn.data(),
                            static_cast<unsigned>(server->alpn.size()), in,
                            inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;  // no common protocol: carry on without ALPN
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int new_client_session(SSL* ssl, SSL_SESSION* session) {
  ClientContext* client = client_context_of(SSL_get_SSL_CTX(ssl));
  if (!client) return 0;
  client->remember(session);  // takes the reference
  return 1;
}

}  // namespace

std::shared_ptr<const ServerContext> make_server_context(const config::TlsConfig& tls,
                                                         const std::vector<std::string>& offered,
                                                         ContextError& error) {
  if (std::string missing = load_openssl(); !missing.empty()) {
    error = {"cert_file", tls.cert_pos, missing};
    return nullptr;
  }
  ERR_clear_error();
  auto out = std::make_shared<ServerContext>();
  out->ctx = new_ctx(TLS_server_method(), tls.min_version);
  if (!out->ctx) {
    error = {"cert_file", tls.cert_pos, "cannot create a TLS context: " + openssl_error("")};
    return nullptr;
  }
  SSL_CTX* ctx = out->ctx.get();
  if (!load_identity(ctx, tls.cert_file, tls.cert_pos, "cert_file", tls.key_file, tls.key_pos,
                     "key_file", error))
    return nullptr;
  if (!tls.client_ca_file.empty()) {
    std::string why;
    if (!readable(tls.client_ca_file, why)) {
      error = {"client_ca_file", tls.client_ca_pos, why};
      return nullptr;
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (!names || SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
      error = {"client_ca_file", tls.client_ca_pos,
               "no PEM CA certificate: " + openssl_error(tls.client_ca_file)};
      return nullptr;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  // The TLS handshake faults are decided when the ClientHello arrives (proxy/tls/layer.h).
  SSL_CTX_set_client_hello_cb(ctx, on_client_hello, nullptr);
  // Stateless tickets let clients resume; one per handshake is enough.
  SSL_CTX_set_num_tickets(ctx, 1);
  for (const std::string& name : tls.alpn) {
    bool ok = false;
    for (const std::string& o : offered) ok = ok || o == name;
    if (!ok) continue;
    out->alpn.push_back(static_cast<unsigned char>(name.size()));
    out->alpn.insert(out->alpn.end(), name.begin(), name.end());
  }
  if (!out->alpn.empty()) SSL_CTX_set_alpn_select_cb(ctx, select_alpn, out.get());
  if (X509* cert = SSL_CTX_get0_certificate(ctx)) {
    struct tm tm {};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) out->not_after = timegm(&tm);
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
      if (char* hex = BN_bn2hex(bn)) {
        out->serial = hex;
        OPENSSL_free(hex);
      }
      BN_free(bn);
    }
  }
  ERR_clear_error();
  return out;
}

ClientContext::~ClientContext() {
  if (session_) SSL_SESSION_free(session_);
}

SSL_SESSION* ClientContext::resumable() const {
  std::lock_guard lock(mutex_);
  if (session_ && SSL_SESSION_is_resumable(session_)) {
    SSL_SESSION_up_ref(session_);
    return session_;
  }
  return nullptr;
}

void ClientContext::remember(SSL_SESSION* session) {
  std::lock_guard lock(mutex_);
  if (session_) SSL_SESSION_free(session_);
  session_ = session;
}

ClientContext* client_context_of(SSL_CTX* ctx) {
  return static_cast<ClientContext*>(SSL_CTX_get_ex_data(ctx, client_ctx_index()));
}

std::shared_ptr<ClientContext> make_client_context(const config::UpstreamTlsConfig& tls,
                                                   const std::string& upstream_host, bool http,
                                                   ContextError& error) {
  if (std::string missing = load_openssl(); !missing.empty()) {
    error = {"ca_file", tls.ca_pos, missing};
    return nullptr;
  }
  ERR_clear_error();
  auto out = std::make_shared<ClientContext>();
  out->ctx = new_ctx(TLS_client_method(), config::TlsVersion::k12);
  if (!out->ctx) {
    error = {"ca_file", tls.ca_pos, "cannot create a TLS context: " + openssl_error("")};
    return nullptr;
  }
  SSL_CTX* ctx = out->ctx.get();
  out->server_name = tls.server_name.empty() ? upstream_host : tls.server_name;
  out->verify = tls.verify;
  if (!tls.ca_file.empty()) {
    std::string why;
    if (!readable(tls.ca_file, why)) {
      error = {"ca_file", tls.ca_pos, why};
      return nullptr;
    }
    if (SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr) != 1) {
      error = {"ca_file", tls.ca_pos, "no PEM CA certificate: " + openssl_error(tls.ca_file)};
      return nullptr;
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    error = {"ca_file", tls.ca_pos, "cannot load the system trust store: " + openssl_error("")};
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, tls.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!tls.cert_file.empty() && !load_identity(ctx, tls.cert_file, tls.cert_pos, "cert_file",
                                               tls.key_file, tls.key_pos, "key_file", error))
    return nullptr;
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  if (http) SSL_CTX_set_alpn_protos(ctx, kHttp11, sizeof kHttp11);
  // Resumption: OpenSSL hands each new session (TLS 1.3 tickets arrive after the handshake) to
  // new_client_session, which keeps the latest for the next connection to this upstream.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, new_client_session);
  SSL_CTX_set_ex_data(ctx, client_ctx_index(), out.get());
  ERR_clear_error();
  return out;
}

}  // namespace faultline::proxy::tls
