// Fuzzes the HTTP/2 server session (proxy/http2/) from the client's side: a real Worker on its
// own loop thread, with the real http listener (h2c preface hand-off to Http2Session, nghttp2
// 1.52, per-stream fault decisions), serves one 127.0.0.1 connection per input. The input
// follows the connection preface, so frames reach the HTTP/2 session; the first byte chooses
// how it is split into writes. The upstream is a closed port: streams that get forwarded meet
// a connect error, which the session answers per stream.
//
// Invariants: the process survives (ASan: no leak, no use after free), and once the client has
// sent its last byte and shut down its side, the proxy closes the connection within a bound:
// protocol errors end in GOAWAY or RST_STREAM, never a hang.
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
using faultline::fuzz::connect_loopback;
using faultline::fuzz::listen_socket;
using faultline::fuzz::write_all;

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct Harness {
  std::unique_ptr<SharedState> shared;
  std::unique_ptr<Worker> worker;
  uint16_t port = 0;

  Harness() {
    auto config = std::make_shared<config::Config>();
    config::ListenerConfig l;
    l.name = "fuzz";
    l.protocol = config::Protocol::kHttp;
    l.idle_timeout = std::chrono::seconds(2);
    l.connect_timeout = std::chrono::milliseconds(200);
    l.h2_max_concurrent_streams = 8;
    l.h2_initial_window.bytes = 16 * 1024;
    l.max_header_bytes.bytes = 8 * 1024;
    config->listeners.push_back(l);
    auto active = std::make_shared<ActiveConfig>();
    active->config = config;
    UpstreamAddress up;
    auto* sin = reinterpret_cast<sockaddr_in*>(&up.addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(1);  // nothing listens: connect is refused
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    up.len = sizeof(sockaddr_in);
    active->upstreams.push_back(up);
    shared = std::make_unique<SharedState>();
    worker = std::make_unique<Worker>(0, active, std::vector<int>{listen_socket(port)}, *shared,
                                      make_listener_protocol);
    if (!worker->start()) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* harness = new Harness();
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 64;  // write size; 64 = one write
  ++data;
  --size;

  int fd = connect_loopback(harness->port);
  std::string bytes(kPreface);
  bytes.append(reinterpret_cast<const char*>(data), size);
  if (piece == 64) {
    write_all(fd, bytes.data(), bytes.size());
  } else {
    for (size_t at = 0; at < bytes.size(); at += piece)
      write_all(fd, bytes.data() + at, std::min(piece, bytes.size() - at));
  }
  ::shutdown(fd, SHUT_WR);
  // The proxy must close within idle_timeout plus slack once the client is done.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buf[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) std::abort();  // wedged connection
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
  }
  ::close(fd);
  return 0;
}
