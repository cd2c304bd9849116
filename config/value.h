#pragma once
// Typed config values, parsed once from strings ("250ms", "64KiB", "16KiB/s", "10.0.0.0/8").
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.h"

struct sockaddr;

namespace faultline::config {

// Millisecond resolution: libuv timers tick in milliseconds.
using Duration = std::chrono::milliseconds;

struct ByteSize {
  uint64_t bytes = 0;
  friend bool operator==(ByteSize, ByteSize) = default;
};

struct Rate {
  uint64_t bytes_per_second = 0;  // 0 = unlimited
  friend bool operator==(Rate, Rate) = default;
};

// An IPv4 or IPv6 network. IPv4-mapped IPv6 peers match IPv4 networks.
struct Cidr {
  bool ipv6 = false;
  uint8_t address[16] = {};
  uint8_t prefix_length = 0;
  bool contains(const sockaddr* peer) const;
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// "host:port" or "[v6]:port"; host may be a name (resolved at start-up) or a literal.
struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// The longest duration any parser accepts: 100 years. Far above every sensible setting, and
// low enough that adding two durations, or adding one to a clock reading in nanoseconds,
// cannot overflow.
inline constexpr Duration kMaxDuration{36525LL * 24 * 3600 * 1000};  // 36525 days
// The highest rate any parser accepts (1024TiB/s, far above any link): a token bucket's
// rate * 1000 ms stays far inside 64 bits.
inline constexpr uint64_t kMaxRateBytesPerSecond = 1ull << 50;

// a + b for non-negative durations, saturating at kMaxDuration instead of overflowing.
inline Duration saturating_add(Duration a, Duration b) {
  if (a.count() < 0) a = Duration{0};
  if (b.count() < 0) b = Duration{0};
  if (a >= kMaxDuration || b >= kMaxDuration - a) return kMaxDuration;
  return a + b;
}

// "250ms", "2s", "1m30s", "1h", "0" (at most kMaxDuration); `bare_number_unit_ms` accepts
// "500" as 500ms (headers).
Result<Duration> parse_duration(std::string_view text, bool bare_number_unit_ms = false);
// "64KiB", "1MiB", "512", "1GiB", also "KB"/"MB" (decimal) and "B". Binary units are
// case-insensitive ("64kib" is 64KiB); decimal ones are not, because a lowercase "b" reads as
// bits ("Kb", "mb" are refused with a message saying so).
Result<ByteSize> parse_size(std::string_view text);
// "16KiB/s", "1MiB/s", "100B/s", "16kib/s"; at most kMaxRateBytesPerSecond.
Result<Rate> parse_rate(std::string_view text);
Result<Cidr> parse_cidr(std::string_view text);
Result<HostPort> parse_host_port(std::string_view text);

std::string format_duration(Duration d);  // "1m30s", "250ms", "0s"
std::string format_size(ByteSize s);      // "64KiB" when exact, else bytes
std::string format_rate(Rate r);          // "16KiB/s"
std::string format_cidr(const Cidr& c);   // "10.0.0.0/8", "fd00::/8"

}  // namespace faultline::config
