#pragma once
// What the Toxiproxy API needs from the running proxy. Declared here, implemented by the
// control layer (control/toxiproxy_host), so this folder never names the server.
#include <string>
#include <vector>

#include "config/schema.h"

namespace faultline::proxy::toxiproxy {

class Backend {
 public:
  // Every listener the API wants now (the others it created are stopped and removed). New
  // sockets are bound before anything changes; "" on success, else why nothing changed.
  virtual std::string set_listeners(std::vector<config::ListenerConfig> desired) = 0;
  // The address a listener is bound to ("127.0.0.1:PORT"); empty while disabled.
  virtual std::string listener_address(const std::string& name) const = 0;
  // Creates or replaces an experiment (source "toxiproxy"); "" on success, else the error.
  virtual std::string put_experiment(config::ExperimentConfig experiment) = 0;
  virtual void remove_experiment(const std::string& name) = 0;
  // A line in /v1/events.
  virtual void audit(const std::string& action, const std::string& target,
                     const std::string& result) = 0;
  virtual config::Duration toxic_ttl() const = 0;

 protected:
  ~Backend() = default;
};

}  // namespace faultline::proxy::toxiproxy
