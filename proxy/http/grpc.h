#pragma once
// gRPC over HTTP (SPEC §8): what makes a request gRPC, and the grpc-message encoding. No
// libuv: the HTTP/1.1 and HTTP/2 sessions share it.
#include <string>
#include <string_view>

namespace faultline::proxy {

// SPEC §8: a request is gRPC when its content-type starts with application/grpc (any case).
inline bool is_grpc_content_type(std::string_view content_type) {
  constexpr std::string_view kPrefix = "application/grpc";
  if (content_type.size() < kPrefix.size()) return false;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    char c = content_type[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kPrefix[i]) return false;
  }
  return true;
}

// The grpc-status of an abort that names only an HTTP status, for a gRPC caller: Envoy's
// mapping for its local replies (after gRPC's doc/http-grpc-status-mapping.md); UNKNOWN for a
// status it does not name.
inline int grpc_status_for_http(int status) {
  switch (status) {
    case 400:
      return 13;  // INTERNAL
    case 401:
      return 16;  // UNAUTHENTICATED
    case 403:
      return 7;  // PERMISSION_DENIED
    case 404:
      return 12;  // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;  // UNAVAILABLE
    default:
      return 2;  // UNKNOWN
  }
}

// The grpc-message for an abort's body: its text without the trailing line break.
inline std::string_view grpc_message_from_body(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  return body;
}

// The gRPC wire spec percent-encodes grpc-message: bytes outside printable ASCII, and '%'.
inline std::string grpc_percent_encode(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (unsigned char c : message) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace faultline::proxy
