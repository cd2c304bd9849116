// Fuzzes HTTP/1.1 over HTTP/2 (proxy/http2/http1_over_http2.cc) from the upstream's side: a real
// Worker on its own loop thread serves an http listener with upstream_protocol = "http2". Per
// input, a client sends one HTTP/1.1 request (a GET, or a chunked POST, chosen by the first
// byte); the proxy connects to this harness's upstream socket, which reads the proxy's preface
// and writes the input (after a valid server SETTINGS frame when the first byte says so), then
// closes.
//
// Invariants: the process survives (ASan: no leak, no use after free), and the client gets an
// answer or a closed connection within a bound: a response the upstream garbled, cut or reset
// is a 502 or a cut, never a hang.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "proxy/control/listener_protocols.h"
#include "proxy/worker.h"
#include "tests/fuzz/fuzz_sockets.h"

namespace {

using namespace faultline;
using namespace faultline::proxy;
using namespace faultline::fuzz;

struct Harness {
  std::unique_ptr<SharedState> shared;
  std::unique_ptr<Worker> worker;
  uint16_t port = 0;
  int upstream_fd = -1;

  Harness() {
    uint16_t upstream_port = 0;
    upstream_fd = listen_socket(upstream_port, false);
    auto config = std::make_shared<config::Config>();
    config::ListenerConfig l;
    l.name = "fuzz";
    l.protocol = config::Protocol::kHttp;
    l.upstream_protocol = config::UpstreamProtocol::kHttp2;
    l.idle_timeout = std::chrono::seconds(2);
    l.connect_timeout = std::chrono::milliseconds(500);
    l.response_timeout = std::chrono::seconds(2);
    l.h2_initial_window.bytes = 16 * 1024;
    config->listeners.push_back(l);
    auto active = std::make_shared<ActiveConfig>();
    active->config = config;
    active->upstream_layers.push_back(http1_upstream_layer(l, nullptr, nullptr));
    UpstreamAddress up;
    auto* sin = reinterpret_cast<sockaddr_in*>(&up.addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(upstream_port);
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    up.len = sizeof(sockaddr_in);
    active->upstreams.push_back(up);
    shared = std::make_unique<SharedState>();
    worker = std::make_unique<Worker>(0, active, std::vector<int>{listen_socket(port, true)},
                                      *shared, make_listener_protocol);
    if (!worker->start()) std::abort();
  }
};

// Reads what arrives until EOF or `ms` of silence; false on a timeout with the socket open.
bool drain(int fd, int ms) {
  char buf[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    if (::recv(fd, buf, sizeof buf, 0) <= 0) return true;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* harness = new Harness();
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  ++data;
  --size;

  int client = connect_loopback(harness->port);
  const std::string request =
      (mode & 1) ? "POST /up HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\nTE: trailers\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-t: 1\r\n\r\n"
                 : "GET /down HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";
  write_all(client, request.data(), request.size());

  // The proxy's upstream connection: read its preface and request, answer with the input.
  pollfd p{harness->upstream_fd, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) std::abort();  // the proxy never connected
  int up = ::accept4(harness->upstream_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (up < 0) std::abort();
  char buf[4096];
  pollfd q{up, POLLIN, 0};
  if (::poll(&q, 1, 2000) > 0) (void)::recv(up, buf, sizeof buf, 0);
  if (mode & 2) {  // a valid empty server SETTINGS first, so the input reaches the stream
    static const char settings[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    write_all(up, settings, sizeof settings);
  }
  write_all(up, reinterpret_cast<const char*>(data), size);
  ::shutdown(up, SHUT_WR);
  // The proxy answers the client (or closes) once the upstream has ended.
  if (!drain(client, 8000)) std::abort();  // wedged client connection
  ::close(client);
  drain(up, 2000);
  ::close(up);
  return 0;
}
