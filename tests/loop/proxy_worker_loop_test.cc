// A real worker loop against a real in-process upstream: requests over loopback sockets,
// then every handle is closed and uv_loop_close must return 0, and every slab must be back.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/loop/loop_support.h"

namespace faultline::proxy {
namespace {

// `tls`: the listener's configuration says it terminates TLS (only what the worker reads of it;
// the snapshot has no TLS layers, so no connection is made).
ActiveConfigPtr snapshot_for(uint16_t upstream_port, config::Protocol protocol, bool tls) {
  auto snapshot = make_snapshot(upstream_port, protocol);
  if (!tls) return snapshot;
  auto cfg = std::make_shared<config::Config>(*snapshot->config);
  cfg->listeners[0].tls.enabled = true;
  auto copy = std::make_shared<ActiveConfig>(*snapshot);
  copy->config = cfg;
  return copy;
}

struct Fixture {
  Fixture(uint16_t upstream_port, config::Protocol protocol = config::Protocol::kHttp,
          bool tls = false)
      : snapshot(snapshot_for(upstream_port, protocol, tls)) {
    auto fds = bind_exclusive(snapshot->config->listeners[0].listen, 1, true);
    EXPECT_TRUE(fds.ok());
    port = static_cast<uint16_t>(std::stoi(bound_address((*fds)[0]).substr(10)));
    worker = std::make_unique<Worker>(0, snapshot, *fds, shared, make_listener_protocol);
    EXPECT_TRUE(worker->start().ok());
  }
  // Stops the worker; returns uv_loop_close's result.
  int stop() {
    worker->stop();
    int rc = worker->join();
    EXPECT_EQ(worker->slabs().live_count(), 0u) << "slabs leaked";
    return rc;
  }
  ActiveConfigPtr snapshot;
  SharedState shared;
  uint16_t port = 0;
  std::unique_ptr<Worker> worker;
};

TEST(WorkerLoop, KeepAliveAndPipelinedRequestsThenCleanClose) {
  Upstream upstream;
  Fixture f(upstream.port());
  int fd = dial(f.port);
  std::string two =
      "GET /one HTTP/1.1\r\nHost: t\r\n\r\n"
      "POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nabcd";
  ASSERT_EQ(write(fd, two.data(), two.size()), static_cast<ssize_t>(two.size()));
  std::string out = read_until(fd, "HTTP/1.1 200", 2);
  if (out.find("body=4") == std::string::npos) out += read_until(fd, "body=4", 1);
  size_t first = out.find("GET /one xff=127.0.0.1 body=0");
  size_t second = out.find("POST /two xff=127.0.0.1 body=4");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  EXPECT_LT(first, second) << "pipelined responses out of order";
  // Same connection again (keep-alive).
  std::string third = "GET /three HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(write(fd, third.data(), third.size()), static_cast<ssize_t>(third.size()));
  EXPECT_NE(read_until(fd, "body=0", 1).find("GET /three"), std::string::npos);
  // Close with the connection still open: the worker must close it itself.
  EXPECT_EQ(f.stop(), 0);
  close(fd);
}

TEST(WorkerLoop, UnreachableUpstreamIs502AndMalformedIs400) {
  uint16_t dead_port;
  {
    // A port nobody listens on.
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    dead_port = ntohs(a.sin_port);
    close(s);
  }
  Fixture f(dead_port);
  int fd = dial(f.port);
  std::string req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  EXPECT_EQ(read_until(fd, "\r\n", 1).rfind("HTTP/1.1 502", 0), 0u);
  close(fd);
  fd = dial(f.port);
  std::string bad = "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
  ASSERT_EQ(write(fd, bad.data(), bad.size()), static_cast<ssize_t>(bad.size()));
  std::string out = read_until(fd, "\r\n\r\n", 5);  // to EOF
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  close(fd);
  EXPECT_EQ(read(fd, nullptr, 0), -1);
  EXPECT_EQ(f.stop(), 0);
}

TEST(WorkerLoop, TcpRelayWithHalfClose) {
  Upstream upstream;
  Fixture f(upstream.port(), config::Protocol::kTcp);
  int fd = dial(f.port);
  std::string req = "GET /raw HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  shutdown(fd, SHUT_WR);  // half-close: the response must still arrive, then EOF
  std::string out = read_until(fd, "never", 1);
  EXPECT_NE(out.find("GET /raw xff= body=0"), std::string::npos) << out;
  close(fd);
  // Let the worker see both sides close before stopping.
  for (int i = 0; i < 100 && f.worker->live_connections() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(f.worker->live_connections(), 0u);
  EXPECT_EQ(f.stop(), 0);
}

// A listener terminating TLS takes one new connection per loop iteration (each costs a key
// exchange there: proxy/io/acceptor.h); the others take the default batch.
TEST(WorkerLoop, TlsListenersAcceptOneConnectionPerTurn) {
  Upstream upstream;
  for (auto protocol : {config::Protocol::kHttp, config::Protocol::kTcp}) {
    Fixture plain(upstream.port(), protocol);
    EXPECT_EQ(plain.worker->listener(0).accepts_per_turn(), Acceptor::kBatch);
    EXPECT_EQ(plain.stop(), 0);
    Fixture tls(upstream.port(), protocol, /*tls=*/true);
    EXPECT_EQ(tls.worker->listener(0).accepts_per_turn(), 1);
    EXPECT_EQ(tls.stop(), 0);
  }
}

TEST(WorkerLoop, DrainClosesIdleKeepAliveConnections) {
  Upstream upstream;
  Fixture f(upstream.port());
  int fd = dial(f.port);
  std::string req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  read_until(fd, "body=0", 1);
  f.worker->drain();
  // The idle keep-alive connection is closed at once: EOF.
  char c;
  EXPECT_EQ(read(fd, &c, 1), 0);
  close(fd);
  EXPECT_EQ(f.stop(), 0);
}

// An upstream that closes a kept-alive connection just as the proxy reuses it: the request
// goes again, once, on a fresh connection, and the client never sees the failure.
TEST(WorkerLoop, StalePooledConnectionIsRetriedOnAFreshOne) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t alen = sizeof a;
  getsockname(listener, reinterpret_cast<sockaddr*>(&a), &alen);
  listen(listener, 8);
  std::thread upstream([listener] {
    const std::string ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
    int c1 = accept(listener, nullptr, nullptr);
    read_until(c1, "\r\n\r\n", 1);
    EXPECT_EQ(write(c1, ok.data(), ok.size()), static_cast<ssize_t>(ok.size()));
    read_until(c1, "\r\n\r\n", 1);  // the reused connection's request...
    close(c1);                      // ...is dropped unanswered
    int c2 = accept(listener, nullptr, nullptr);
    std::string again = read_until(c2, "\r\n\r\n", 1);
    EXPECT_NE(again.find("GET /second"), std::string::npos) << again;
    EXPECT_EQ(write(c2, ok.data(), ok.size()), static_cast<ssize_t>(ok.size()));
    read_until(c2, "never", 1);
    close(c2);
  });
  Fixture f(ntohs(a.sin_port));
  int fd = dial(f.port);
  std::string first = "GET /first HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(write(fd, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  EXPECT_EQ(read_until(fd, "ok", 1).rfind("HTTP/1.1 200", 0), 0u);
  std::string second = "GET /second HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(write(fd, second.data(), second.size()), static_cast<ssize_t>(second.size()));
  std::string out = read_until(fd, "ok", 1);
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  close(fd);
  EXPECT_EQ(f.stop(), 0);
  upstream.join();
  close(listener);
}

}  // namespace
}  // namespace faultline::proxy
