#pragma once
// A small blocking HTTP/1.1 client for `faultline ctl`: one request per connection
// (Connection: close), bounded by timeouts. A CLI needs nothing more.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.h"

namespace faultline::proxy {

struct AdminUrl {
  std::string host;  // without brackets for IPv6
  uint16_t port = 9901;
  std::string base_path;  // "" or "/prefix" (no trailing slash), prepended to API paths
  std::string text;       // as given, for messages
};

// "http://host:port[/prefix]", "host:port" or "http://[::1]:9901". https is refused clearly.
Result<AdminUrl> parse_admin_url(std::string_view url);

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

struct HttpRequestOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{30000};  // a reload may take a moment
  // The most bytes (head and body) read for one answer. The largest real answers, the
  // experiment list at its cap and the events log, are well under 1 MiB; 16 MiB leaves a wide
  // margin and still stops a wrong --admin (or a hostile server) that sends an endless body
  // from filling the memory of the machine ctl runs on. io_timeout cannot: it bounds the wait
  // for each read, not the whole answer.
  size_t max_reply_bytes = 16 * 1024 * 1024;
};

// Sends one request and reads the whole answer. An error result means the admin API could
// not be reached or did not answer with HTTP (the message says which).
Result<HttpReply> http_request(const AdminUrl& url, std::string_view method, std::string_view path,
                               std::string_view token, std::string_view json_body,
                               const HttpRequestOptions& options = {});

}  // namespace faultline::proxy
