#pragma once
// The admin HTTP/1.1 server (SPEC §4) on one libuv loop. It owns the listening socket and its
// connections; requests go to AdminApi, which calls the runtime's Backend. Everything runs
// on `loop`'s thread except set_token, which is safe from any thread.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/result.h"
#include "config/value.h"
#include "proxy/admin/api.h"
#include "proxy/admin/audit.h"
#include "proxy/admin/backend.h"
#include "proxy/io/acceptor.h"

namespace faultline::proxy::admin {

class AdminConnection;

class AdminServer : private Acceptor::Owner {
 public:
  // Bounds for untrusted admin clients. The defaults suit production; tests shorten them.
  struct Limits {
    size_t max_body_bytes = 1 << 20;           // larger bodies get 413
    size_t max_buffered_body_bytes = 8 << 20;  // all connections' bodies together; else 503
    size_t max_header_bytes = 64 << 10;        // request line + headers; larger gets 431
    uint64_t request_timeout_ms = 10'000;      // from a request's first byte to its end; else 408
    uint64_t idle_timeout_ms = 5'000;          // wait for a request (after accept or keep-alive)
    uint64_t write_timeout_ms = 10'000;        // a client that does not read its answer
    uint64_t linger_ms = 2'000;    // draining unread input before closing after an error
    size_t max_connections = 128;  // beyond it the least useful connection is closed
  };

  AdminServer(uv_loop_t* loop, Backend& backend, AuditLog& audit, std::string token);
  AdminServer(uv_loop_t* loop, Backend& backend, AuditLog& audit, std::string token, Limits limits);
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;
  // Must be closed (close() and its callback run) before destruction.
  ~AdminServer();

  // Resolves and binds now, so `faultline run` can exit 2 on a busy port. On failure the
  // message names the address and the reason; close() must still be called.
  Status listen(const config::HostPort& addr);
  uint16_t port() const;  // the bound port (useful with port 0); 0 before listen
  void set_token(std::string token);
  // Names accepted in Host besides loopback and this machine's addresses; thread-safe.
  void set_allowed_hosts(std::vector<std::string> names);

  // Stops accepting, closes every connection (in-flight responses are dropped) and calls
  // `on_closed` on the loop once every handle has closed. Idempotent.
  void close(std::function<void()> on_closed);

  const Limits& limits() const { return limits_; }
  // Connections closed to make room for a new one (for tests and the log).
  uint64_t evicted() const { return evicted_; }
  AdminApi& api() { return api_; }

 private:
  friend class AdminConnection;
  // Acceptor::Owner: the listener pauses on EMFILE instead of spinning, and keeps a spare
  // descriptor so that /healthz and halt get through even then.
  bool reserve_slot() override { return !closing_; }
  void release_slot() override {}
  void accepted(int fd) override;
  size_t open_connections() const;
  void evict_one();
  void connection_closed(AdminConnection* connection);
  void maybe_finish_close();

  uv_loop_t* loop_;
  AdminApi api_;
  Limits limits_;
  Acceptor acceptor_;
  bool listener_open_ = false;
  bool closing_ = false;
  std::function<void()> on_closed_;
  std::unordered_set<AdminConnection*> connections_;
  uint64_t evicted_ = 0;
  uint64_t phase_changes_ = 0;
  size_t buffered_body_bytes_ = 0;  // request bodies held by all connections  // orders connections
                                    // by when they entered their phase
};

}  // namespace faultline::proxy::admin
