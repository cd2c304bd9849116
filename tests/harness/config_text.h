#pragma once
// Builds the TOML configs the integration tests run the proxy with: every port 0, every
// address 127.0.0.1, logs quiet, one worker unless a test asks for more.
#include <string>
#include <vector>

namespace faultline::harness {

struct ListenerSpec {
  std::string name = "main";
  std::string listen = "127.0.0.1:0";
  std::string upstream;  // "127.0.0.1:PORT"
  std::string protocol = "http";
  std::string extra;  // more `key = value` lines for this listener
};

struct ConfigSpec {
  std::vector<ListenerSpec> listeners;
  int workers = 1;
  std::string drain_timeout = "2s";
  std::string runtime_extra;  // more [runtime] lines, e.g. "seed = 42"
  std::string admin_listen = "127.0.0.1:0";
  std::string admin_extra;  // more [admin] lines
  std::string tail;         // whole tables appended at the end ([safety], [[experiments]] ...)
};

std::string config_toml(const ConfigSpec& spec);

// One HTTP listener named "main" in front of `upstream`.
std::string http_config(const std::string& upstream, const std::string& listener_extra = "",
                        const std::string& tail = "");

// One TCP listener named "tcp" in front of `upstream`, for the caller to add to.
ConfigSpec tcp_spec(const std::string& upstream);

}  // namespace faultline::harness
