#pragma once
// Test harness: an AdminServer on 127.0.0.1:0 with a FakeBackend, its uv loop running in a
// thread, plus a tiny blocking HTTP client for raw requests. stop() closes every handle and
// returns uv_loop_close's result, which tests assert is 0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "proxy/admin/server.h"
#include "tests/unit/admin_fake_backend.h"

namespace faultline::proxy::admin::testing {

class LiveAdmin {
 public:
  explicit LiveAdmin(std::string token = "", AdminServer::Limits limits = {}) {
    uv_loop_init(&loop_);
    server_ = std::make_unique<AdminServer>(&loop_, backend, audit, std::move(token), limits);
    Status listening = server_->listen(config::HostPort{"127.0.0.1", 0});
    listen_ok_ = listening.ok();
    port_ = server_->port();
    uv_async_init(&loop_, &stop_, on_stop);
    stop_.data = this;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~LiveAdmin() {
    if (thread_.joinable()) stop();
  }

  bool listening() const { return listen_ok_; }
  uint16_t port() const { return port_; }
  AdminServer& server() { return *server_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Closes the server from its own loop, waits for the loop to end, returns uv_loop_close.
  int stop() {
    uv_async_send(&stop_);
    thread_.join();
    const bool closed = closed_callback_ran_;
    server_.reset();
    const int rc = uv_loop_close(&loop_);
    return closed ? rc : -1000;  // a missing close callback fails the test too
  }

  FakeBackend backend;
  AuditLog audit;

 private:
  static void on_stop(uv_async_t* async) {
    auto* self = static_cast<LiveAdmin*>(async->data);
    self->server_->close([self] { self->closed_callback_ran_ = true; });
    uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
  }

  uv_loop_t loop_{};
  uv_async_t stop_{};
  std::unique_ptr<AdminServer> server_;
  bool listen_ok_ = false;
  uint16_t port_ = 0;
  std::atomic<bool> closed_callback_ran_{false};
  std::thread thread_;
};

// A blocking client connection with a receive timeout, so a broken server fails the test
// instead of hanging it.
class RawClient {
 public:
  explicit RawClient(uint16_t port, int timeout_ms = 5000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  bool send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }

  struct Response {
    int status = 0;
    std::string head;  // status line and headers
    std::string body;
    std::string header(const std::string& name) const {
      std::string lower_head;
      for (char c : head)
        lower_head += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string key = "\r\n";
      for (char c : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      key += ": ";
      const size_t at = lower_head.find(key);
      if (at == std::string::npos) return {};
      const size_t start = at + key.size();
      return head.substr(start, head.find("\r\n", start) - start);
    }
  };

  // Reads one response (Content-Length framed, or no body for 204/100). status 0 on EOF or
  // timeout before a complete response.
  Response read_response() {
    Response r;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return r;
    r.head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    r.status = std::atoi(r.head.c_str() + 9);
    const std::string length = r.header("content-length");
    const size_t n = length.empty() ? 0 : std::stoul(length);
    while (buffer_.size() < n)
      if (!fill()) return Response{};
    r.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return r;
  }

  // True when the server closed the connection (EOF or reset) within the receive timeout,
  // discarding any bytes before it.
  bool closed_by_peer() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

  Response request(const std::string& method, const std::string& target,
                   const std::string& body = {}, const std::string& extra_headers = {}) {
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers;
    if (!body.empty() || method == "POST" || method == "PUT")
      text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (!body.empty() && extra_headers.find("Content-Type") == std::string::npos)
      text += "Content-Type: application/json\r\n";
    text += "\r\n" + body;
    if (!send(text)) return Response{};
    return read_response();
  }

 private:
  bool fill() {
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

}  // namespace faultline::proxy::admin::testing
