#pragma once
// Which session serves a listener's connections, chosen by its `protocol` (the one place that
// knows every protocol; workers get it as their ListenerProtocolFactory).
#include <memory>
#include <string>
#include <vector>

#include "proxy/worker.h"

namespace faultline::proxy {

std::unique_ptr<ListenerProtocol> make_listener_protocol(Worker& worker, WorkerListener& listener);

// The ALPN protocols a TLS listener may offer: those its sessions speak and can relay.
std::vector<std::string> alpn_protocols(const config::ListenerConfig& listener);

}  // namespace faultline::proxy
