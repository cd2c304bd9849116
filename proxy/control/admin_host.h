#pragma once
// The admin listener on its own loop and thread, so that a busy worker never delays /healthz,
// /readyz or the kill switch.
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "config/result.h"
#include "config/schema.h"
#include "proxy/control/runtime_backend.h"
#include "proxy/control/server_thread.h"

namespace faultline::proxy {

class Server;
namespace admin {
class AdminServer;
}

class AdminHost {
 public:
  AdminHost(Server& server, const config::AdminConfig& config);
  ~AdminHost();
  Status listen();  // main thread, before start(): binds so errors exit 2
  std::string address() const { return address_; }
  Status start();
  void stop();  // thread-safe; returns after the admin thread ended
  void set_token(std::string token);
  void set_allowed_hosts(std::vector<std::string> names);  // thread-safe ([admin] hosts)

 private:
  Server& server_;
  config::AdminConfig config_;
  RuntimeBackend backend_;
  ServerThread thread_;
  std::string address_;
  std::unique_ptr<admin::AdminServer> http_;
};

}  // namespace faultline::proxy
