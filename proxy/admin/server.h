#pragma once
// The admin HTTP/1.1 server (SPEC §4) on one libuv loop: the shared server engine
// (proxy/http/server_engine.h) with the admin's limits, answering through AdminApi, which calls
// the runtime's Backend. Everything runs on `loop`'s thread except set_token and
// set_allowed_hosts, which are safe from any thread.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/result.h"
#include "config/value.h"
#include "proxy/admin/api.h"
#include "proxy/admin/audit.h"
#include "proxy/admin/backend.h"
#include "proxy/http/server_engine.h"

namespace faultline::proxy::admin {

class AdminServer final : private HttpServerEngine::Handler {
 public:
  // Bounds for untrusted admin clients (the engine's defaults are the admin's). The defaults
  // suit production; tests shorten them.
  using Limits = HttpServerEngine::Limits;

  AdminServer(uv_loop_t* loop, Backend& backend, AuditLog& audit, std::string token);
  AdminServer(uv_loop_t* loop, Backend& backend, AuditLog& audit, std::string token, Limits limits);
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;
  // Must be closed (close() and its callback run) before destruction.
  ~AdminServer() = default;

  // Resolves and binds now, so `faultline run` can exit 2 on a busy port. On failure the
  // message names the address and the reason; close() must still be called.
  Status listen(const config::HostPort& addr);
  uint16_t port() const { return engine_.port(); }  // the bound port; 0 before listen
  void set_token(std::string token);
  // Names accepted in Host besides loopback and this machine's addresses; thread-safe.
  void set_allowed_hosts(std::vector<std::string> names);

  // Stops accepting, closes every connection (in-flight responses are dropped) and calls
  // `on_closed` on the loop once every handle has closed. Idempotent.
  void close(std::function<void()> on_closed) { engine_.close(std::move(on_closed)); }

  const Limits& limits() const { return engine_.limits(); }
  // Connections closed to make room for a new one (for tests and the log).
  uint64_t evicted() const { return engine_.evicted(); }
  AdminApi& api() { return api_; }

 private:
  ServerAnswer answer(const ServerRequest& request, bool keep_alive) override;
  std::string refusal(int status, const std::string& message) override;

  AdminApi api_;
  HttpServerEngine engine_;
};

}  // namespace faultline::proxy::admin
