#pragma once
// The Toxiproxy API ([compat.toxiproxy], SPEC §10.2) on its own loop and thread, like the admin
// API, and the toxiproxy::Backend it calls: listeners through Server::set_api_listeners, toxics
// as experiments, audit lines in /v1/events.
#include <uv.h>

#include <atomic>
#include <memory>
#include <string>

#include "config/result.h"
#include "config/schema.h"
#include "proxy/compat/backend.h"
#include "proxy/control/server_thread.h"

namespace faultline::proxy {

class Server;
namespace toxiproxy {
class ToxiproxyApi;
}

class ToxiproxyHost final : private toxiproxy::Backend {
 public:
  ToxiproxyHost(Server& server, const config::ToxiproxyConfig& config);
  ~ToxiproxyHost();
  Status listen();  // main thread, before start(): binds so errors exit 2
  std::string address() const { return address_; }
  Status start();
  void stop();                               // thread-safe; returns after the thread ended
  void set_toxic_ttl(config::Duration ttl);  // thread-safe (a reload)

 private:
  std::string set_listeners(std::vector<config::ListenerConfig> desired) override;
  std::string listener_address(const std::string& name) const override;
  std::string put_experiment(config::ExperimentConfig experiment) override;
  void remove_experiment(const std::string& name) override;
  void audit(const std::string& action, const std::string& target,
             const std::string& result) override;
  config::Duration toxic_ttl() const override;

  Server& server_;
  config::ToxiproxyConfig config_;
  std::atomic<int64_t> toxic_ttl_ms_;
  ServerThread thread_;
  std::string address_;
  // The API and the server answering with it, made by listen(). A member of a struct rather
  // than behind its own pointer: the engine is not meant to be deleted through a pointer.
  struct Served;
  std::unique_ptr<Served> served_;
};

}  // namespace faultline::proxy
