// Network values: CIDR blocks for client filters and host:port pairs for listeners.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "config/value.h"

namespace faultline::config {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// Parses a run of decimal digits without sign or whitespace; false when empty or above `max`.
bool parse_uint(std::string_view text, uint32_t max, uint32_t& out) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > max) return false;
  out = static_cast<uint32_t>(value);
  return true;
}

// inet_pton wants a NUL-terminated string.
bool parse_ip(std::string_view text, bool& ipv6, uint8_t (&address)[16]) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  char buffer[INET6_ADDRSTRLEN];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  std::memset(address, 0, sizeof address);
  if (inet_pton(AF_INET, buffer, address) == 1) {
    ipv6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, buffer, address) == 1) {
    ipv6 = true;
    return true;
  }
  return false;
}

bool prefix_matches(const uint8_t* network, const uint8_t* address, unsigned prefix_length) {
  unsigned full_bytes = prefix_length / 8;
  if (std::memcmp(network, address, full_bytes) != 0) return false;
  unsigned rest = prefix_length % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (network[full_bytes] & mask) == (address[full_bytes] & mask);
}

bool host_bits_set(const uint8_t* address, unsigned total_bytes, unsigned prefix_length) {
  for (unsigned bit = prefix_length; bit < total_bytes * 8; ++bit)
    if (address[bit / 8] & (0x80 >> (bit % 8))) return true;
  return false;
}

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// A hostname as written in a config: letters, digits, '-', '.', '_' (the latter for
// container/service names), not starting with '-' or '.'.
bool valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '-' || host.front() == '.') return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
              c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<Cidr> parse_cidr(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Result<Cidr>::failure("invalid CIDR " + quoted(text) + ": " + std::string(why));
  };
  std::string_view address_text = text;
  std::string_view prefix_text;
  bool has_prefix = false;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    address_text = text.substr(0, slash);
    prefix_text = text.substr(slash + 1);
    has_prefix = true;
  }
  Cidr cidr;
  if (!parse_ip(address_text, cidr.ipv6, cidr.address))
    return fail("expected an IPv4 or IPv6 network like \"10.0.0.0/8\" or \"fd00::/8\"");
  const uint32_t max_prefix = cidr.ipv6 ? 128 : 32;
  uint32_t prefix = max_prefix;  // a bare address is a single host
  if (has_prefix && !parse_uint(prefix_text, max_prefix, prefix))
    return fail("prefix length must be 0.." + std::to_string(max_prefix));
  cidr.prefix_length = static_cast<uint8_t>(prefix);
  // Host bits below the prefix are almost always a typo ("10.1.2.3/8" meant as one host?),
  // so they are rejected with the network the user probably meant.
  if (host_bits_set(cidr.address, cidr.ipv6 ? 16 : 4, prefix)) {
    Cidr network = cidr;
    for (unsigned bit = prefix; bit < max_prefix; ++bit)
      network.address[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
    return fail("host bits are set below the prefix; did you mean " + quoted(format_cidr(network)) +
                "?");
  }
  return cidr;
}

bool Cidr::contains(const sockaddr* peer) const {
  if (peer == nullptr) return false;
  if (peer->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(peer);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&v4->sin_addr.s_addr);
    if (!ipv6) return prefix_matches(address, bytes, prefix_length);
    // An IPv6 network can still cover IPv4 peers through the mapped range ::ffff:0:0/96.
    uint8_t mapped[16];
    std::memcpy(mapped, kV4MappedPrefix, 12);
    std::memcpy(mapped + 12, bytes, 4);
    return prefix_matches(address, mapped, prefix_length);
  }
  if (peer->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(peer);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&v6->sin6_addr);
    if (ipv6) return prefix_matches(address, bytes, prefix_length);
    // Dual-stack listeners see IPv4 clients as ::ffff:a.b.c.d.
    if (std::memcmp(bytes, kV4MappedPrefix, 12) != 0) return false;
    return prefix_matches(address, bytes + 12, prefix_length);
  }
  return false;
}

std::string format_cidr(const Cidr& cidr) {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(cidr.ipv6 ? AF_INET6 : AF_INET, cidr.address, buffer, sizeof buffer);
  return std::string(buffer) + "/" + std::to_string(cidr.prefix_length);
}

Result<HostPort> parse_host_port(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Result<HostPort>::failure("invalid address " + quoted(text) + ": " + std::string(why));
  };
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return fail("expected \"[ipv6]:port\"");
    port_text = rest.substr(1);
    bool ipv6 = false;
    uint8_t address[16];
    if (!parse_ip(host, ipv6, address) || !ipv6) return fail("not an IPv6 address in brackets");
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("expected \"host:port\"");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return fail("write IPv6 addresses in brackets, like \"[::1]:8080\"");
    if (host.empty()) return fail("missing host (use 0.0.0.0 to listen on every address)");
    if (!valid_hostname(host)) return fail("not a valid host name or IP address");
    bool dotted_digits = host.find_first_not_of("0123456789.") == std::string_view::npos;
    bool ipv6 = false;
    uint8_t address[16];
    if (dotted_digits && !parse_ip(host, ipv6, address)) return fail("not a valid IPv4 address");
  }
  uint32_t port = 0;
  // Port 0 is accepted: listeners and tests use it to let the OS pick a free port.
  if (!parse_uint(port_text, 65535, port)) return fail("port must be a number 0..65535");
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace faultline::config
