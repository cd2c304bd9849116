#pragma once
// Shared pieces of the loop tests: an in-process upstream on its own loop thread and blocking
// loopback clients.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "proxy/cli/simple_http_server.h"
#include "proxy/control/listener_protocols.h"
#include "proxy/io/listen_socket.h"
#include "proxy/worker.h"

namespace faultline::proxy {

// The upstream on its own loop thread.
class Upstream {
 public:
  Upstream() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      auto* self = static_cast<Upstream*>(a->data);
      uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
      self->server_->close([] {});
    });
    stop_.data = this;
    server_ = std::make_unique<SimpleHttpServer>(&loop_, [](const SimpleRequest& r) {
      SimpleResponse resp;
      if (r.target.rfind("/big/", 0) == 0) {
        resp.body.assign(std::stoul(r.target.substr(5)), 'x');
        return resp;
      }
      resp.body = r.method + " " + r.target + " xff=" + r.header("x-forwarded-for") +
                  " body=" + std::to_string(r.body.size());
      return resp;
    });
    EXPECT_TRUE(server_->listen("127.0.0.1", 0).ok());
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~Upstream() {
    uv_async_send(&stop_);
    thread_.join();
    server_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  uint16_t port() const { return server_->port(); }

 private:
  uv_loop_t loop_{};
  uv_async_t stop_{};
  std::unique_ptr<SimpleHttpServer> server_;
  std::thread thread_;
};

inline ActiveConfigPtr make_snapshot(uint16_t upstream_port, config::Protocol protocol) {
  auto cfg = std::make_shared<config::Config>();
  config::ListenerConfig l;
  l.name = "test";
  l.listen = {"127.0.0.1", 0};
  l.upstream = {"127.0.0.1", upstream_port};
  l.protocol = protocol;
  l.connect_timeout = std::chrono::milliseconds(500);
  l.response_timeout = std::chrono::milliseconds(2000);
  l.forwarded_for = true;  // the loop tests' upstream echoes X-Forwarded-For
  cfg->listeners.push_back(l);
  auto snap = std::make_shared<ActiveConfig>();
  auto addr = resolve(l.upstream, false);
  EXPECT_TRUE(addr.ok());
  snap->upstreams.push_back({*addr, sizeof(sockaddr_in)});
  snap->config = cfg;
  return snap;
}

inline int dial(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// Reads until `count` occurrences of `marker` were seen, EOF or timeout.
inline std::string read_until(int fd, std::string_view marker, int count) {
  std::string out;
  char buf[4096];
  for (;;) {
    int seen = 0;
    for (size_t pos = out.find(marker); pos != std::string::npos; pos = out.find(marker, pos + 1))
      ++seen;
    if (seen >= count) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace faultline::proxy
