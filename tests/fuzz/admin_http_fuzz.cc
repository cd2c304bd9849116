// Fuzzes the whole admin request path, bytes in -> response out: the real AdminServer on a
// real libuv loop over 127.0.0.1 (llhttp parsing, limits, keep-alive and pipelining, Host /
// Origin / content-type checks, auth, routing, the JSON reader and experiment decoding),
// backed by the stateful fake Backend of the unit tests. The first input byte chooses how the
// rest is split into writes, so that a request cut at any byte is exercised.
//
// Invariants: the process survives, the server closes the connection after the client's EOF
// (no wedged connection), every answer is an HTTP/1.1 response, and no request makes the API
// fail with a 500 (an exception escaping the request path).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "proxy/admin/server.h"
#include "tests/unit/admin_fake_backend.h"

namespace {

using namespace faultline::proxy::admin;

struct Harness {
  uv_loop_t loop{};
  testing::FakeBackend backend;
  AuditLog audit;
  std::unique_ptr<AdminServer> server;
  uint16_t port = 0;

  Harness() {
    uv_loop_init(&loop);
    AdminServer::Limits limits;
    limits.max_body_bytes = 64 << 10;  // small limits reach the 413/431 paths with short inputs
    limits.max_header_bytes = 4 << 10;
    limits.max_connections = 4;
    server = std::make_unique<AdminServer>(&loop, backend, audit, "", limits);
    if (!server->listen(faultline::config::HostPort{"127.0.0.1", 0}).ok()) std::abort();
    port = server->port();
  }
};

Harness& harness() {
  static Harness* h = new Harness();  // lives for the whole fuzzing run
  return *h;
}

int connect_client(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
    std::abort();
  return fd;
}

// Runs the loop once without blocking for long and collects what the server sent. Returns
// false once the server has closed the connection.
bool pump(Harness& h, int fd, std::string& received) {
  pollfd fds[2] = {{uv_backend_fd(&h.loop), POLLIN, 0}, {fd, POLLIN, 0}};
  ::poll(fds, 2, 2);
  uv_run(&h.loop, UV_RUN_NOWAIT);
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      received.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

// Walks the responses one by one (head, Content-Length body); 100 Continue has no body.
void check_responses(const std::string& received) {
  size_t at = 0;
  while (at < received.size()) {
    if (received.compare(at, 9, "HTTP/1.1 ") != 0) __builtin_trap();
    const int status = std::atoi(received.c_str() + at + 9);
    if (status < 100 || status > 599 || status == 500) __builtin_trap();
    const size_t end = received.find("\r\n\r\n", at);
    if (end == std::string::npos) __builtin_trap();  // a response cut short
    const std::string head = received.substr(at, end - at);
    size_t body = 0;
    if (const size_t cl = head.find("\r\nContent-Length: "); cl != std::string::npos)
      body = std::strtoul(head.c_str() + cl + 18, nullptr, 10);
    at = end + 4 + body;
    if (at > received.size()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Harness& h = harness();
  const size_t chunk = 1 + data[0] % 64 * 16;  // 1, 17, 33, ... bytes per write
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);

  const int fd = connect_client(h.port);
  std::string received;
  bool open = true;
  size_t sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (open && sent < input.size()) {
    const ssize_t n =
        ::send(fd, input.data() + sent, std::min(chunk, input.size() - sent), MSG_NOSIGNAL);
    if (n > 0) sent += static_cast<size_t>(n);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;  // closed
    open = pump(h, fd, received);
    if (std::chrono::steady_clock::now() > deadline) __builtin_trap();
  }
  ::shutdown(fd, SHUT_WR);
  while (open) {
    open = pump(h, fd, received);
    // After the client's EOF the server must close promptly, whatever it was doing.
    if (std::chrono::steady_clock::now() > deadline) __builtin_trap();
  }
  ::close(fd);
  check_responses(received);
  return 0;
}
