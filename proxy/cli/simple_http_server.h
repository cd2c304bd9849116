#pragma once
// A small HTTP/1.1 server on a libuv loop for the demo's embedded upstream and for tests: the
// shared server engine (proxy/http/server_engine.h) without timeouts or a connection cap; it
// buffers each request (head and body bounded), calls a handler and answers with
// Content-Length, keeping connections alive; a client that does not read its answers stops
// being read. Not for the proxy's data path.
#include <uv.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/result.h"
#include "proxy/http/server_engine.h"

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

class SimpleHttpServer final : private HttpServerEngine::Handler {
 public:
  using Handler = std::function<SimpleResponse(const SimpleRequest&)>;
  static constexpr size_t kMaxBody = 8 << 20;
  static constexpr size_t kMaxHead = 64 << 10;  // request line + headers; 431 beyond

  SimpleHttpServer(uv_loop_t* loop, Handler handler);
  ~SimpleHttpServer() = default;
  SimpleHttpServer(const SimpleHttpServer&) = delete;
  SimpleHttpServer& operator=(const SimpleHttpServer&) = delete;

  Status listen(const std::string& host, uint16_t port);
  uint16_t port() const { return engine_.port(); }
  // Closes the listener and every connection; `on_closed` runs when all handles are closed.
  void close(std::function<void()> on_closed) { engine_.close(std::move(on_closed)); }

 private:
  ServerAnswer answer(const ServerRequest& request, bool keep_alive) override;
  std::string refusal(int status, const std::string& message) override;

  Handler handler_;
  HttpServerEngine engine_;
};

}  // namespace faultline::proxy
