// Feeds arbitrary bytes, as a client's first flight (the ClientHello and whatever follows),
// into the TLS layer a listener puts under its sessions (proxy/tls/layer.h), over a real
// loopback TCP connection and a real libuv loop, then closes the client's side.
//
// Properties: no crash or leak (sanitizers); the layer ends every such connection by handing
// the session an end (EOF or an error) and never plaintext (no input here can finish a
// handshake, which needs the client's Finished); closing the transport releases everything
// (the loop closes with no handle left).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "proxy/io/transport.h"
#include "proxy/tls/context.h"
#include "proxy/tls/factory.h"

namespace {

using faultline::proxy::Transport;
using faultline::proxy::TransportCounters;

std::unique_ptr<faultline::proxy::tls::ServerLayerFactory> g_factory;

// A throwaway self-signed ECDSA P-256 certificate, written where the context loader reads it.
bool make_identity(const std::string& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (!key || !cert) return false;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (X509_sign(cert, key, EVP_sha256()) == 0) return false;
  FILE* c = std::fopen((dir + "/cert.pem").c_str(), "w");
  FILE* k = std::fopen((dir + "/key.pem").c_str(), "w");
  if (!c || !k) return false;
  PEM_write_X509(c, cert);
  PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(c);
  std::fclose(k);
  X509_free(cert);
  EVP_PKEY_free(key);
  return true;
}

struct Session {
  Transport transport;
  bool ended = false;
};

void on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char plain[64 * 1024];
  *buf = uv_buf_init(plain, sizeof plain);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto* s = static_cast<Session*>(stream->data);
  if (nread > 0) std::abort();  // plaintext without a finished handshake
  if (nread < 0 && !s->ended) {
    s->ended = true;
    s->transport.close([](uv_handle_t*) {});
  }
}

// A connected loopback pair: {ours, the client's}.
bool tcp_pair(int fds[2]) {
  int lst = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (lst < 0 || ::bind(lst, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(lst, 1) != 0 || ::getsockname(lst, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (lst >= 0) ::close(lst);
    return false;
  }
  fds[1] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fds[1] < 0 || ::connect(fds[1], reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    ::close(lst);
    return false;
  }
  fds[0] = ::accept4(lst, nullptr, nullptr, SOCK_CLOEXEC);
  ::close(lst);
  return fds[0] >= 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char dir[] = "/tmp/fuzz-tls-XXXXXX";
  if (!mkdtemp(dir) || !make_identity(dir)) std::abort();
  faultline::config::TlsConfig tls;
  tls.enabled = true;
  tls.cert_file = std::string(dir) + "/cert.pem";
  tls.key_file = std::string(dir) + "/key.pem";
  faultline::proxy::tls::ContextError error;
  auto ctx = faultline::proxy::tls::make_server_context(tls, {"http/1.1"}, error);
  if (!ctx) {
    std::fprintf(stderr, "context: %s\n", error.message.c_str());
    std::abort();
  }
  g_factory = std::make_unique<faultline::proxy::tls::ServerLayerFactory>(ctx, 2000);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;  // larger than any first flight; the socket buffer holds it
  int fds[2];
  if (!tcp_pair(fds)) return 0;
  if (size > 0 && ::write(fds[1], data, size) != static_cast<ssize_t>(size)) std::abort();
  ::shutdown(fds[1], SHUT_WR);

  uv_loop_t loop;
  uv_loop_init(&loop);
  TransportCounters counters;
  {
    auto session = std::make_unique<Session>();
    session->transport.init(&loop, session.get());
    if (session->transport.open(fds[0]) != 0) std::abort();
    session->transport.attach(g_factory.get(), counters);
    session->transport.read_start(on_alloc, on_read);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (!session->ended) std::abort();  // the loop ran dry without ending the connection
  }
  if (uv_loop_close(&loop) != 0) std::abort();  // a handle left open
  ::close(fds[1]);
  if (counters.handshakes_ok.load() != 0 || counters.handshakes_error.load() != 1) std::abort();
  return 0;
}
