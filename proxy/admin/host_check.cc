#include "proxy/admin/host_check.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>

#include "config/ascii.h"

namespace faultline::proxy::admin {
namespace {

// Interface addresses change rarely (DHCP, a new pod network); one lookup a second at most,
// and only when a Host names an address that is not known yet.
constexpr std::chrono::seconds kRefreshInterval{1};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = config::ascii_lower(c);
  return out;
}

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// An IP literal in canonical text (IPv4-mapped IPv6 as IPv4, zone dropped), or nullopt.
std::optional<std::string> canonical_ip(std::string_view host) {
  std::string text(host.substr(0, host.find('%')));  // fe80::1%eth0: the zone is local detail
  char out[INET6_ADDRSTRLEN] = {};
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1)
    return inet_ntop(AF_INET, &v4, out, sizeof out) ? std::optional<std::string>(out)
                                                    : std::nullopt;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], sizeof v4);
    return inet_ntop(AF_INET, &v4, out, sizeof out) ? std::optional<std::string>(out)
                                                    : std::nullopt;
  }
  return inet_ntop(AF_INET6, &v6, out, sizeof out) ? std::optional<std::string>(out) : std::nullopt;
}

std::string normalize_name(std::string_view name) {
  std::string out = lower(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

std::optional<std::string> host_without_port(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  std::string_view host;
  std::string_view rest;
  if (value.front() == '[') {  // [IPv6]:port
    const size_t close = value.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = value.substr(1, close - 1);
    rest = value.substr(close + 1);
    if (!canonical_ip(host)) return std::nullopt;
  } else {
    const size_t colon = value.find(':');
    host = value.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : value.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':' || rest.size() > 6) return std::nullopt;
    for (char c : rest.substr(1))
      if (c < '0' || c > '9') return std::nullopt;
  }
  if (host.empty()) return std::nullopt;
  if (value.front() == '[') return lower(host);
  const std::string name = normalize_name(host);
  if (name.empty()) return std::nullopt;
  for (char c : name)
    if (!valid_name_char(c)) return std::nullopt;
  return name;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host.ends_with(".localhost")) return true;  // RFC 6761
  const std::optional<std::string> ip = canonical_ip(host);
  if (!ip) return false;
  return *ip == "::1" || ip->starts_with("127.");
}

std::vector<std::string> interface_addresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (ifa->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr);
      if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text)) out.emplace_back(text);
    } else if (ifa->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ifa->ifa_addr);
      if (inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text)) {
        if (auto ip = canonical_ip(text)) out.push_back(*ip);
      }
    }
  }
  freeifaddrs(list);
  return out;
}

HostCheck::HostCheck(std::vector<std::string> names) {
  set_names(std::move(names));
}

void HostCheck::set_names(std::vector<std::string> names) {
  std::unordered_set<std::string> normalized;
  for (const auto& name : names) {
    if (auto host = host_without_port(name)) normalized.insert(*host);
  }
  std::lock_guard lock(mutex_);
  names_ = std::move(normalized);
}

bool HostCheck::allowed(std::string_view host_header) {
  if (host_header.empty()) return true;
  const std::optional<std::string> host = host_without_port(host_header);
  if (!host) return false;
  if (is_loopback_host(*host)) return true;
  {
    std::lock_guard lock(mutex_);
    if (names_.count(*host) != 0) return true;
  }
  const std::optional<std::string> ip = canonical_ip(*host);
  if (!ip) return false;
  // Connecting to the unspecified address reaches this machine (Linux), so it names it too.
  if (*ip == "0.0.0.0" || *ip == "::") return true;
  return is_interface_address(*ip);
}

bool HostCheck::is_interface_address(const std::string& ip) {
  std::lock_guard lock(mutex_);
  if (addresses_.count(ip) != 0) return true;
  const auto now = std::chrono::steady_clock::now();
  if (refreshed_ != std::chrono::steady_clock::time_point{} && now - refreshed_ < kRefreshInterval)
    return false;
  refreshed_ = now;
  addresses_.clear();
  for (auto& address : interface_addresses()) addresses_.insert(std::move(address));
  return addresses_.count(ip) != 0;
}

}  // namespace faultline::proxy::admin
