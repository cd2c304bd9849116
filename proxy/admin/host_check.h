#pragma once
// The admin API's defence against DNS rebinding (SPEC §7): a web page whose name was
// re-pointed at this machine reaches the admin port as "same origin", but its requests still
// carry the page's name in Host. Only loopback names and addresses, this machine's own
// interface addresses (a pod IP, as kubelet probes and the API server's pod proxy send) and
// the names in `[admin] hosts` are accepted.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace faultline::proxy::admin {

// "Name:8080" -> "name", "[::1]:9901" -> "::1", "1.2.3.4" -> "1.2.3.4"; names are lower-cased
// and lose a trailing dot. nullopt when the value is not a host[:port].
std::optional<std::string> host_without_port(std::string_view host_header);

// True for localhost, *.localhost, 127.0.0.0/8, ::1 (also IPv4-mapped).
bool is_loopback_host(std::string_view host);

// The addresses of this machine's interfaces, as text (inet_ntop), from getifaddrs.
std::vector<std::string> interface_addresses();

class HostCheck {
 public:
  explicit HostCheck(std::vector<std::string> names = {});
  // Thread-safe: a reload may change the names.
  void set_names(std::vector<std::string> names);
  // `host_header` is the Host header's value. An absent Host (empty) is allowed: browsers
  // always send one, so its absence is no rebinding.
  bool allowed(std::string_view host_header);

 private:
  bool is_interface_address(const std::string& canonical_ip);

  std::mutex mutex_;
  std::unordered_set<std::string> names_;
  std::unordered_set<std::string> addresses_;
  std::chrono::steady_clock::time_point refreshed_{};
};

}  // namespace faultline::proxy::admin
