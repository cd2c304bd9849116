#pragma once
// A deliberately small HTTP/1.1 head model for the tests' own client and upstream. It is
// independent of the proxy's llhttp-based codec, so a bug there cannot hide in both.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::harness {

struct Header {
  std::string name;
  std::string value;
};

struct HttpHead {
  // Request heads fill method/target; response heads fill status/reason.
  std::string method;
  std::string target;
  std::string version;
  int status = 0;
  std::string reason;
  std::vector<Header> headers;  // in wire order, names as sent

  // Case-insensitive lookups.
  const std::string* find(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  // True if the comma-separated list header `name` holds `token` (case-insensitive).
  bool has_token(std::string_view name, std::string_view token) const;
};

bool iequals(std::string_view a, std::string_view b);

// Parses a head (start line + header lines, up to and excluding the blank line).
std::optional<HttpHead> parse_head(std::string_view block, bool is_request);

// Body framing of a message as RFC 9112 §6.3 decides it.
struct Framing {
  enum Kind { kNone, kLength, kChunked, kUntilClose } kind = kNone;
  uint64_t length = 0;
};
Framing request_framing(const HttpHead& head);
Framing response_framing(const HttpHead& head, std::string_view request_method);

}  // namespace faultline::harness
