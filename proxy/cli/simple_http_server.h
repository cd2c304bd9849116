#pragma once
// A small HTTP/1.1 server on a libuv loop for the demo's embedded upstream and for tests: it
// buffers each request (head and body bounded), calls a handler and answers with
// Content-Length, keeping connections alive; a client that does not read its answers stops
// being read. Not for the proxy's data path.
#include <uv.h>

#include <functional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/result.h"
#include "proxy/io/acceptor.h"

namespace faultline::proxy {

struct SimpleRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string header(std::string_view lower_name) const;
};

struct SimpleResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class SimpleHttpServer : private Acceptor::Owner {
 public:
  using Handler = std::function<SimpleResponse(const SimpleRequest&)>;
  static constexpr size_t kMaxBody = 8 << 20;
  static constexpr size_t kMaxHead = 64 << 10;  // request line + headers; 431 beyond

  SimpleHttpServer(uv_loop_t* loop, Handler handler);
  ~SimpleHttpServer();
  SimpleHttpServer(const SimpleHttpServer&) = delete;
  SimpleHttpServer& operator=(const SimpleHttpServer&) = delete;

  Status listen(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  // Closes the listener and every connection; `on_closed` runs when all handles are closed.
  void close(std::function<void()> on_closed);

 private:
  friend class SimpleConnection;
  // Acceptor::Owner: pauses on EMFILE instead of spinning in libuv's accept loop.
  bool reserve_slot() override { return !closing_; }
  void release_slot() override {}
  void accepted(int fd) override;
  void connection_closed(class SimpleConnection* c);
  void maybe_closed();

  uv_loop_t* loop_;
  Handler handler_;
  Acceptor acceptor_;
  bool listening_ = false;
  bool listener_closed_ = false;
  bool closing_ = false;
  uint16_t port_ = 0;
  std::function<void()> on_closed_;
  std::unordered_set<class SimpleConnection*> connections_;
};

}  // namespace faultline::proxy
