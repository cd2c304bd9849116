#pragma once
// One small HTTP/1.1 server on one libuv loop, for everything faultline serves itself rather
// than relays: the admin API, the demo's upstream and the Toxiproxy-compatible API. It owns
// the listening socket and the connections and parses with llhttp (strict mode) and the data
// path's HeadCollector checks (raw head budget, obs-fold, empty names); one request is read
// whole (head and body bounded), handed to a Handler and answered before the next one
// (keep-alive and pipelining). The Handler decides what the answer's bytes are, so each
// server keeps its own response shape. Not for the proxy's data path: it buffers bodies.
// Everything runs on the loop's thread.
#include <spdlog/spdlog.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/result.h"
#include "config/value.h"
#include "proxy/io/acceptor.h"

namespace faultline::proxy {

// One complete request.
struct ServerRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;
  std::string client;  // the peer's IP address, or "unknown"
  bool http10 = false;
  // The first header of that name (ASCII case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
};

// What to send back: the bytes as they go on the wire; with `close` the connection is closed
// after them (after lingering, see Limits::linger_ms).
struct ServerAnswer {
  std::string bytes;
  bool close = false;
};

class ServerConnection;

class HttpServerEngine : private Acceptor::Owner {
 public:
  // Bounds for untrusted clients. A timeout or count of 0 means none.
  struct Limits {
    size_t max_body_bytes = 1 << 20;           // larger bodies are refused with 413
    size_t max_buffered_body_bytes = 8 << 20;  // all connections' bodies together; else 503
    size_t max_header_bytes = 64 << 10;        // request line + headers; larger gets 431
    uint64_t request_timeout_ms = 10'000;      // from a request's first byte to its end; else 408
    uint64_t idle_timeout_ms = 5'000;          // wait for a request (after accept or keep-alive)
    uint64_t write_timeout_ms = 10'000;        // a client that does not read its answer
    uint64_t linger_ms = 2'000;    // draining unread input before closing after an error
    size_t max_connections = 128;  // beyond it the least useful connection is closed
    bool tcp_nodelay = false;
  };

  class Handler {
   public:
    // A complete request; `keep_alive`: the client may send another on this connection.
    virtual ServerAnswer answer(const ServerRequest& request, bool keep_alive) = 0;
    // A request the engine refused (400 malformed, 408 too slow, 413 body too large, 431 head
    // too large, 503 too many bodies in flight): the bytes to send before closing.
    virtual std::string refusal(int status, const std::string& message) = 0;

   protected:
    ~Handler() = default;
  };

  // `log` and `name` are the accept loop's (proxy/io/acceptor.h).
  HttpServerEngine(uv_loop_t* loop, Handler& handler, Limits limits, spdlog::logger& (*log)(),
                   std::string name);
  HttpServerEngine(const HttpServerEngine&) = delete;
  HttpServerEngine& operator=(const HttpServerEngine&) = delete;
  // Must be closed (close() and its callback run) before destruction.
  ~HttpServerEngine();

  // Before listen(): keep one descriptor back so that one client at a time gets through when
  // the descriptor table is full (the admin port: /healthz and halt).
  void keep_spare_descriptor() { acceptor_.keep_spare_descriptor(); }
  // Binds exclusively (proxy/io/listen_socket.h) and starts accepting. On failure the message
  // names the address and the reason; close() must still be called.
  Status listen(const config::HostPort& addr);
  uint16_t port() const;  // the bound port (useful with port 0); 0 before listen

  // Stops accepting, closes every connection (in-flight answers are dropped) and calls
  // `on_closed` on the loop once every handle has closed. Idempotent.
  void close(std::function<void()> on_closed);

  const Limits& limits() const { return limits_; }
  // Connections closed to make room for a new one.
  uint64_t evicted() const { return evicted_; }

 private:
  friend class ServerConnection;
  bool reserve_slot() override { return !closing_; }
  void release_slot() override {}
  void accepted(int fd, const sockaddr_storage& peer) override;
  size_t open_connections() const;
  void evict_one();
  void connection_closed(ServerConnection* connection);
  void maybe_finish_close();

  uv_loop_t* loop_;
  Handler& handler_;
  Limits limits_;
  Acceptor acceptor_;
  bool listener_open_ = false;
  bool closing_ = false;
  std::function<void()> on_closed_;
  std::unordered_set<ServerConnection*> connections_;
  std::string name_;  // for the log
  uint64_t evicted_ = 0;
  uint64_t phase_changes_ = 0;      // orders connections by when they entered their phase
  size_t buffered_body_bytes_ = 0;  // request bodies held by all connections
};

}  // namespace faultline::proxy
