// Typed config values: good and bad tables for every parser, and format round trips.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

#include "config/diagnostics.h"
#include "config/node.h"
#include "config/value.h"

namespace faultline::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
  const std::pair<const char*, int64_t> cases[] = {
      {"250ms", 250},        {"2s", 2000},       {"1m30s", 90'000},   {"1h", 3'600'000},
      {"1h2m3s", 3'723'000}, {"0", 0},           {"0s", 0},           {"0ms", 0},
      {"1.5s", 1500},        {"0.25s", 250},     {"1.5h", 5'400'000}, {"1s500ms", 1500},
      {"15m", 900'000},      {"4h", 14'400'000}, {"007s", 7000},      {"2.000s", 2000},
  };
  for (const auto& [text, ms] : cases) {
    auto parsed = parse_duration(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error();
    EXPECT_EQ(parsed->count(), ms) << text;
  }
}

TEST(ParseDuration, RejectsMalformed) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "invalid duration \"\": empty"},
      {"500", "invalid duration \"500\": missing unit (use ms, s, m or h, e.g. \"250ms\")"},
      {"-1s", "invalid duration \"-1s\": a duration cannot be signed"},
      {"+1s", "invalid duration \"+1s\": a duration cannot be signed"},
      {"5x", "invalid duration \"5x\": unknown unit \"x\" (use ms, s, m or h)"},
      {"5 s", "invalid duration \"5 s\": must not contain spaces"},
      {" 5s", "invalid duration \" 5s\": must not contain spaces"},
      {"5s\n", "invalid duration \"5s\n\": must not contain spaces"},
      {"s",
       "invalid duration \"s\": expected a number followed by a unit (ms, s, m, h), "
       "e.g. \"1m30s\""},
      {"1.s",
       "invalid duration \"1.s\": expected a number followed by a unit (ms, s, m, h), "
       "e.g. \"1m30s\""},
      {"30s1m", "invalid duration \"30s1m\": units must go from largest to smallest, each once"},
      {"1s1s", "invalid duration \"1s1s\": units must go from largest to smallest, each once"},
      {"0.0001s", "invalid duration \"0.0001s\": finer than a millisecond"},
      {"1.5ms", "invalid duration \"1.5ms\": finer than a millisecond"},
      {"99999999999999999999h",
       "invalid duration \"99999999999999999999h\": too large (at most 876600h, 100 years)"},
      {"9999999999999999h",
       "invalid duration \"9999999999999999h\": too large (at most 876600h, 100 years)"},
      // Fits in int64 milliseconds, but not in nanoseconds or once added to anything.
      {"2562047788015h",
       "invalid duration \"2562047788015h\": too large (at most 876600h, 100 years)"},
      {"876600h1ms", "invalid duration \"876600h1ms\": too large (at most 876600h, 100 years)"},
      {"1us", "invalid duration \"1us\": unknown unit \"us\" (use ms, s, m or h)"},
      {"1d", "invalid duration \"1d\": unknown unit \"d\" (use ms, s, m or h)"},
  };
  for (const auto& [text, message] : cases) {
    auto parsed = parse_duration(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error(), message) << text;
  }
}

// Issue 8 item 4: every duration is bounded so that sums and clock arithmetic cannot overflow.
TEST(ParseDuration, LongestIsAHundredYearsAndSumsSaturate) {
  EXPECT_EQ(*parse_duration("876600h"), kMaxDuration);
  EXPECT_EQ(saturating_add(kMaxDuration, kMaxDuration), kMaxDuration);
  EXPECT_EQ(saturating_add(kMaxDuration, milliseconds(1)), kMaxDuration);
  EXPECT_EQ(saturating_add(milliseconds(20'000), milliseconds(20'000)), milliseconds(40'000));
  EXPECT_EQ(saturating_add(milliseconds(-5), milliseconds(7)), milliseconds(7));
}

TEST(ParseDuration, BareNumbersOnlyWhenAllowed) {
  auto parsed = parse_duration("500", true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, milliseconds(500));
  EXPECT_EQ(*parse_duration("2s", true), milliseconds(2000));  // units still work
  EXPECT_FALSE(parse_duration("-5", true).ok());
  EXPECT_FALSE(parse_duration("1.5", true).ok());
  EXPECT_FALSE(parse_duration("99999999999999999999", true).ok());
  EXPECT_FALSE(parse_duration("9223372036854775807", true).ok());
  EXPECT_FALSE(parse_duration("500", false).ok());
}

TEST(FormatDuration, RoundTrips) {
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(3'723'004)), "1h2m3s4ms");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1s500ms");
  for (int64_t ms : {0LL, 1LL, 999LL, 1000LL, 61'001LL, 86'400'000LL, 123'456'789LL}) {
    auto parsed = parse_duration(format_duration(milliseconds(ms)));
    ASSERT_TRUE(parsed.ok()) << ms;
    EXPECT_EQ(parsed->count(), ms);
  }
}

TEST(ParseSize, AcceptsBinaryAndDecimalUnits) {
  const std::pair<const char*, uint64_t> cases[] = {
      {"64KiB", 65536}, {"1MiB", 1 << 20}, {"1GiB", 1ull << 30}, {"512", 512},
      {"512B", 512},    {"10KB", 10'000},  {"1MB", 1'000'000},   {"2GB", 2'000'000'000},
      {"0", 0},         {"1.5KiB", 1536},  {"1kB", 1000},        {"1TiB", 1ull << 40},
  };
  for (const auto& [text, bytes] : cases) {
    auto parsed = parse_size(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error();
    EXPECT_EQ(parsed->bytes, bytes) << text;
  }
}

TEST(ParseSize, RejectsMalformed) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "invalid size \"\": empty"},
      {"-1KiB", "invalid size \"-1KiB\": cannot be signed"},
      {"64kb",
       "invalid size \"64kb\": unknown unit \"kb\" (a lowercase \"b\" means bits; use B, KiB, "
       "MiB, GiB, KB, MB or GB for bytes)"},
      {"64KIBs",
       "invalid size \"64KIBs\": unknown unit \"KIBs\" (use B, KiB, MiB, GiB, KB, MB or GB)"},
      {"64 KiB", "invalid size \"64 KiB\": must not contain spaces"},
      {"KiB",
       "invalid size \"KiB\": expected a number with an optional unit (B, KiB, MiB, GiB, "
       "KB, MB, GB)"},
      {"1.3B", "invalid size \"1.3B\": not a whole number of bytes"},
      {"99999999999999999999", "invalid size \"99999999999999999999\": too large"},
      {"17179869184GiB", "invalid size \"17179869184GiB\": too large"},
  };
  for (const auto& [text, message] : cases) {
    auto parsed = parse_size(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error(), message) << text;
  }
}

TEST(ParseRate, RequiresPerSecond) {
  EXPECT_EQ(parse_rate("16KiB/s")->bytes_per_second, 16u * 1024);
  EXPECT_EQ(parse_rate("1MiB/s")->bytes_per_second, 1u << 20);
  EXPECT_EQ(parse_rate("100B/s")->bytes_per_second, 100u);
  EXPECT_EQ(parse_rate("100/s")->bytes_per_second, 100u);
  EXPECT_EQ(parse_rate("16KiB").error(),
            "invalid rate \"16KiB\": expected bytes per second like \"16KiB/s\"");
  EXPECT_EQ(parse_rate("/s").error(), "invalid rate \"/s\": empty");
  EXPECT_EQ(parse_rate("1 KiB/s").error(), "invalid rate \"1 KiB/s\": must not contain spaces");
  EXPECT_EQ(parse_rate("16KiB/m").error(),
            "invalid rate \"16KiB/m\": expected bytes per second like \"16KiB/s\"");
  EXPECT_EQ(parse_rate("16Kb/s").error(),
            "invalid rate \"16Kb/s\": unknown unit \"Kb\" (a lowercase \"b\" means bits; use "
            "B, KiB, MiB, GiB, KB, MB or GB for bytes)");
}

// Smaller truths: "10kib/s" is what people type; IEC units cannot be misread in any case.
TEST(ParseRate, BinaryUnitsAreCaseInsensitiveAndRatesAreBounded) {
  EXPECT_EQ(parse_rate("10kib/s")->bytes_per_second, 10u * 1024);
  EXPECT_EQ(parse_rate("10KIB/s")->bytes_per_second, 10u * 1024);
  EXPECT_EQ(parse_rate("1mib/s")->bytes_per_second, 1u << 20);
  EXPECT_EQ(parse_size("64kib")->bytes, 64u * 1024);
  EXPECT_EQ(parse_rate("1024TiB/s")->bytes_per_second, kMaxRateBytesPerSecond);
  EXPECT_EQ(parse_rate("1025TiB/s").error(),
            "invalid rate \"1025TiB/s\": too large (at most 1024TiB/s)");
}

TEST(FormatSizeAndRate, RoundTrip) {
  EXPECT_EQ(format_size(ByteSize{65536}), "64KiB");
  EXPECT_EQ(format_size(ByteSize{1 << 20}), "1MiB");
  EXPECT_EQ(format_size(ByteSize{1000}), "1000B");
  EXPECT_EQ(format_size(ByteSize{0}), "0B");
  EXPECT_EQ(format_rate(Rate{16 * 1024}), "16KiB/s");
  EXPECT_EQ(format_rate(Rate{100}), "100B/s");
  for (uint64_t bytes : {0ull, 1ull, 1023ull, 1024ull, 1536ull, 3ull << 30, 5ull << 40}) {
    EXPECT_EQ(parse_size(format_size(ByteSize{bytes}))->bytes, bytes);
    EXPECT_EQ(parse_rate(format_rate(Rate{bytes}))->bytes_per_second, bytes);
  }
}

sockaddr_in v4(const char* text) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  EXPECT_EQ(inet_pton(AF_INET, text, &addr.sin_addr), 1) << text;
  return addr;
}

sockaddr_in6 v6(const char* text) {
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  EXPECT_EQ(inet_pton(AF_INET6, text, &addr.sin6_addr), 1) << text;
  return addr;
}

bool contains(const char* cidr, const sockaddr_in& peer) {
  auto parsed = parse_cidr(cidr);
  EXPECT_TRUE(parsed.ok()) << cidr;
  return parsed->contains(reinterpret_cast<const sockaddr*>(&peer));
}

bool contains(const char* cidr, const sockaddr_in6& peer) {
  auto parsed = parse_cidr(cidr);
  EXPECT_TRUE(parsed.ok()) << cidr;
  return parsed->contains(reinterpret_cast<const sockaddr*>(&peer));
}

TEST(ParseCidr, ParsesNetworksAndBareAddresses) {
  auto net = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(net.ok());
  EXPECT_FALSE(net->ipv6);
  EXPECT_EQ(net->prefix_length, 8);
  EXPECT_EQ(net->address[0], 10);
  EXPECT_EQ(parse_cidr("192.168.1.7")->prefix_length, 32);
  EXPECT_EQ(parse_cidr("::1")->prefix_length, 128);
  EXPECT_TRUE(parse_cidr("::1")->ipv6);
  EXPECT_EQ(parse_cidr("fd00::/8")->prefix_length, 8);
  EXPECT_EQ(parse_cidr("0.0.0.0/0")->prefix_length, 0);
  EXPECT_EQ(parse_cidr("::/0")->prefix_length, 0);
  EXPECT_EQ(format_cidr(*parse_cidr("10.0.0.0/8")), "10.0.0.0/8");
  EXPECT_EQ(format_cidr(*parse_cidr("fd00::/8")), "fd00::/8");
  EXPECT_EQ(format_cidr(*parse_cidr("127.0.0.1")), "127.0.0.1/32");
}

TEST(ParseCidr, RejectsMalformed) {
  const std::pair<const char*, const char*> cases[] = {
      {"10.0.0.0/33", "invalid CIDR \"10.0.0.0/33\": prefix length must be 0..32"},
      {"fd00::/129", "invalid CIDR \"fd00::/129\": prefix length must be 0..128"},
      {"10.0.0.0/", "invalid CIDR \"10.0.0.0/\": prefix length must be 0..32"},
      {"10.0.0.0/-1", "invalid CIDR \"10.0.0.0/-1\": prefix length must be 0..32"},
      {"10.0.0.0/ 8", "invalid CIDR \"10.0.0.0/ 8\": prefix length must be 0..32"},
      {"10.1.2.3/8",
       "invalid CIDR \"10.1.2.3/8\": host bits are set below the prefix; did you mean "
       "\"10.0.0.0/8\"?"},
      {"fd00::1/8",
       "invalid CIDR \"fd00::1/8\": host bits are set below the prefix; did you mean "
       "\"fd00::/8\"?"},
      {"10.0.0/8",
       "invalid CIDR \"10.0.0/8\": expected an IPv4 or IPv6 network like "
       "\"10.0.0.0/8\" or \"fd00::/8\""},
      {"",
       "invalid CIDR \"\": expected an IPv4 or IPv6 network like \"10.0.0.0/8\" or "
       "\"fd00::/8\""},
      {"localhost",
       "invalid CIDR \"localhost\": expected an IPv4 or IPv6 network like "
       "\"10.0.0.0/8\" or \"fd00::/8\""},
  };
  for (const auto& [text, message] : cases) {
    auto parsed = parse_cidr(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error(), message) << text;
  }
}

TEST(CidrContains, MatchesIpv4Ipv6AndMappedPeers) {
  EXPECT_TRUE(contains("10.0.0.0/8", v4("10.200.3.4")));
  EXPECT_FALSE(contains("10.0.0.0/8", v4("11.0.0.1")));
  EXPECT_TRUE(contains("192.168.1.0/25", v4("192.168.1.127")));
  EXPECT_FALSE(contains("192.168.1.0/25", v4("192.168.1.128")));
  EXPECT_TRUE(contains("0.0.0.0/0", v4("8.8.8.8")));
  EXPECT_TRUE(contains("127.0.0.1", v4("127.0.0.1")));
  EXPECT_FALSE(contains("127.0.0.1", v4("127.0.0.2")));
  // Dual-stack sockets report IPv4 clients as IPv4-mapped IPv6 addresses.
  EXPECT_TRUE(contains("10.0.0.0/8", v6("::ffff:10.1.2.3")));
  EXPECT_FALSE(contains("10.0.0.0/8", v6("::ffff:11.1.2.3")));
  EXPECT_FALSE(contains("10.0.0.0/8", v6("::a01:203")));  // IPv4-compatible, not mapped
  EXPECT_TRUE(contains("fd00::/8", v6("fd12:3456::1")));
  EXPECT_FALSE(contains("fd00::/8", v6("fe80::1")));
  EXPECT_TRUE(contains("::1", v6("::1")));
  EXPECT_FALSE(contains("::1", v4("127.0.0.1")));
  EXPECT_TRUE(contains("::ffff:10.0.0.0/104", v4("10.9.9.9")));
  EXPECT_TRUE(contains("::/0", v6("2001:db8::1")));
  EXPECT_FALSE(contains("0.0.0.0/0", v6("2001:db8::1")));

  sockaddr unix_like{};
  unix_like.sa_family = AF_UNIX;
  EXPECT_FALSE(parse_cidr("0.0.0.0/0")->contains(&unix_like));
  EXPECT_FALSE(parse_cidr("0.0.0.0/0")->contains(nullptr));
}

TEST(ParseHostPort, AcceptsHostsAndLiterals) {
  const std::tuple<const char*, const char*, uint16_t> cases[] = {
      {"0.0.0.0:15001", "0.0.0.0", 15001},
      {"127.0.0.1:8080", "127.0.0.1", 8080},
      {"[::1]:80", "::1", 80},
      {"[::]:9901", "::", 9901},
      {"localhost:8080", "localhost", 8080},
      {"my-svc.default.svc:443", "my-svc.default.svc", 443},
      {"127.0.0.1:0", "127.0.0.1", 0},
      {"example.com:65535", "example.com", 65535},
  };
  for (const auto& [text, host, port] : cases) {
    auto parsed = parse_host_port(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error();
    EXPECT_EQ(parsed->host, host);
    EXPECT_EQ(parsed->port, port);
    EXPECT_EQ(parsed->to_string(), text);
  }
}

TEST(ParseHostPort, RejectsMalformed) {
  const std::pair<const char*, const char*> cases[] = {
      {"localhost", "invalid address \"localhost\": expected \"host:port\""},
      {":8080",
       "invalid address \":8080\": missing host (use 0.0.0.0 to listen on every "
       "address)"},
      {"127.0.0.1:65536", "invalid address \"127.0.0.1:65536\": port must be a number 0..65535"},
      {"127.0.0.1:", "invalid address \"127.0.0.1:\": port must be a number 0..65535"},
      {"127.0.0.1:-1", "invalid address \"127.0.0.1:-1\": port must be a number 0..65535"},
      {"127.0.0.1:80x", "invalid address \"127.0.0.1:80x\": port must be a number 0..65535"},
      {"::1:80",
       "invalid address \"::1:80\": write IPv6 addresses in brackets, like "
       "\"[::1]:8080\""},
      {"[::1:80", "invalid address \"[::1:80\": missing ']' after the IPv6 address"},
      {"[::1]80", "invalid address \"[::1]80\": expected \"[ipv6]:port\""},
      {"[10.0.0.1]:80", "invalid address \"[10.0.0.1]:80\": not an IPv6 address in brackets"},
      {"bad host:80", "invalid address \"bad host:80\": not a valid host name or IP address"},
      {"999.1.1.1:80", "invalid address \"999.1.1.1:80\": not a valid IPv4 address"},
      {"-x:80", "invalid address \"-x:80\": not a valid host name or IP address"},
  };
  for (const auto& [text, message] : cases) {
    auto parsed = parse_host_port(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error(), message) << text;
  }
}

TEST(Diagnostic, FormatsWithAndWithoutPosition) {
  Diagnostic with_file{"faultline.toml", {12, 9}, "listeners[0].listen", "bad"};
  EXPECT_EQ(with_file.format(), "faultline.toml:12:9: listeners[0].listen: bad");
  Diagnostic json{"", {}, "faults[0].delay", "bad"};
  EXPECT_EQ(json.format(), "faults[0].delay: bad");
  Diagnostic whole_file{"faultline.toml", {3, 1}, "", "syntax"};
  EXPECT_EQ(whole_file.format(), "faultline.toml:3:1: syntax");
  Diagnostic no_pos{"faultline.toml", {}, "", "cannot open"};
  EXPECT_EQ(no_pos.format(), "faultline.toml: cannot open");
}

TEST(Node, KindNames) {
  EXPECT_EQ(Node::kind_name(Node::Kind::kNull), "null");
  EXPECT_EQ(Node::kind_name(Node::Kind::kBool), "boolean");
  EXPECT_EQ(Node::kind_name(Node::Kind::kInteger), "integer");
  EXPECT_EQ(Node::kind_name(Node::Kind::kFloat), "float");
  EXPECT_EQ(Node::kind_name(Node::Kind::kString), "string");
  EXPECT_EQ(Node::kind_name(Node::Kind::kArray), "array");
  EXPECT_EQ(Node::kind_name(Node::Kind::kTable), "table");
}

}  // namespace
}  // namespace faultline::config
