#pragma once
// The parsed head of one HTTP message, copied out of the read slabs into a bounded arena as
// llhttp delivers it in pieces, and the rewriting of a head for forwarding (RFC 9110 §7.6.1
// hop-by-hop removal, X-Forwarded-For, x-chaos-* stripping).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "faults/request.h"
#include "proxy/http/status_reason.h"

namespace faultline::proxy {

// The one obs-fold check (RFC 9112 §5.2: a field line continued on the next line, which starts
// with SP or HT), which llhttp accepts and faultline refuses. It sees a head's raw bytes in the
// pieces the parser consumed them and remembers the last byte, so a fold split across reads is
// found. The proxy's heads (HeadCollector), the admin server and the demo's upstream
// (SimpleHttpServer) all use it.
class ObsFoldScan {
 public:
  void reset() { last_byte_ = 0; }
  // False when bytes [p, p + n) of a head, following those scanned since reset(), contain a
  // line that starts with SP or HT (also a whitespace line after the start line).
  bool scan(const char* p, size_t n);

 private:
  char last_byte_ = 0;  // the last byte scanned (a line break may end one read)
};

// Also the checks a head needs beyond llhttp's own (strict mode, see README): the head's raw
// size against its budget, obs-fold, empty field names, and framing headers that Connection
// names. The session's llhttp callbacks and the fuzzers drive it the same way.
class HeadCollector {
 public:
  static constexpr size_t kMaxHeaders = 100;

  // The names the rewriting and the checks look for, recognised once per field as it is
  // collected (ASCII case-insensitively), so each pass over the head compares a byte instead
  // of the name's characters.
  enum class Known : uint8_t {
    kOther,
    kHost,
    kContentLength,
    kTransferEncoding,
    kConnection,
    kKeepAlive,
    kProxyConnection,
    kTe,
    kTrailer,
    kUpgrade,
    kXForwardedFor,
  };
  static Known classify(std::string_view name);

  HeadCollector() = default;
  HeadCollector(const HeadCollector&) = delete;  // arena_ may point into the object
  HeadCollector& operator=(const HeadCollector&) = delete;

  // Starts a new head that may take at most `limit` raw bytes (request or status line, fields,
  // CRLFs); its names, values, URL or reason then fit the arena.
  void reset(size_t limit);

  // The raw budget. Feeding llhttp at most room() bytes of a head puts the "too large" verdict
  // on one fixed byte however the head is split into reads: when room() reaches 0 before the
  // head is complete it is too large (431), and any error llhttp finds before that byte wins.
  size_t room() const { return raw_ < limit_ ? limit_ - raw_ : 0; }
  // Accounts `n` bytes llhttp has just consumed as head and looks in them for obs-fold (a line
  // starting with SP or HT), which llhttp accepts; false when found.
  bool consumed(const char* p, size_t n);

  // Each returns false when the head would exceed its limit (431).
  bool add_target(const char* at, size_t n);  // request target or response reason
  bool add_field(const char* at, size_t n);
  // on_header_field_complete: false for an empty name (problem()) or too many fields (431).
  bool field_done();
  bool add_value(const char* at, size_t n);
  // on_headers_complete: false (problem()) when the head cannot be relayed without changing
  // how the message is framed: Content-Length, Transfer-Encoding or (requests) Host named in
  // Connection, which RFC 9110 §7.6.1 would have us remove; Transfer-Encoding in an HTTP/1.0
  // request (RFC 9112 §6.1: faulty framing).
  bool check_request(bool http10);
  bool check_response();

  std::string_view target() const { return {arena_, target_len_}; }
  size_t count() const { return count_; }
  std::string_view name(size_t i) const { return view(fields_[i].name_off, fields_[i].name_len); }
  std::string_view value(size_t i) const {
    return view(fields_[i].value_off, fields_[i].value_len);
  }
  Known known(size_t i) const { return fields_[i].known; }
  // Whether any field is Connection (most requests have none: their token passes end here).
  bool has_connection() const { return connection_fields_ > 0; }
  // The first header with this (lower-case) name, or empty.
  std::string_view find(std::string_view lower_name) const;
  bool has(std::string_view lower_name) const;
  // Fills the views decide() reads; valid until the next reset.
  const faults::HeaderView* views();
  bool too_many() const { return too_many_; }
  // Why the head was refused (a line for the 400 body), or empty.
  std::string_view problem() const { return problem_; }

 private:
  struct Field {
    uint32_t name_off, name_len, value_off, value_len;
    Known known;
  };
  std::string_view view(uint32_t off, uint32_t len) const { return {arena_ + off, len}; }
  bool append(const char* at, size_t n) {
    if (arena_size_ + n > limit_) return false;
    if (arena_size_ + n > arena_cap_) [[unlikely]]
      grow(arena_size_ + n);
    std::memcpy(arena_ + arena_size_, at, n);
    arena_size_ += static_cast<uint32_t>(n);
    return true;
  }
  // Out of line and cold: inlined, it makes every append save and restore registers.
  [[gnu::noinline, gnu::cold]] void grow(size_t need);
  bool refuse(std::string_view why) {
    problem_ = why;
    return false;
  }

  // The head's names, values and target or reason, back to back (a plain buffer: std::string's
  // append costs a call and its length checks per piece llhttp delivers). Small heads fit the
  // inline part, so a new connection allocates nothing for them; larger ones move to the heap,
  // grown by doubling. arena_ points at one or the other.
  static constexpr uint32_t kInlineArena = 256;
  char* arena_ = inline_arena_;
  std::unique_ptr<char[]> heap_arena_;
  uint32_t arena_size_ = 0;
  uint32_t arena_cap_ = kInlineArena;
  char inline_arena_[kInlineArena];
  size_t limit_ = 0;
  size_t raw_ = 0;  // raw head bytes consumed so far
  ObsFoldScan fold_scan_;
  uint32_t target_len_ = 0;
  bool field_open_ = false;
  bool too_many_ = false;
  std::string_view problem_;
  Field pending_{};  // the name being received; a field counts once its name is complete
  size_t count_ = 0;
  size_t connection_fields_ = 0;
  Field fields_[kMaxHeaders];
  // Filled by views() up to count_ only: left unconstructed, so that a session (two collectors)
  // does not zero 200 views when it is created.
  union ViewStorage {
    ViewStorage() {}
    faults::HeaderView at[kMaxHeaders];
  } views_;
};

// Headers that frame a message or route it: never removed because Connection names them.
bool is_framing_header(std::string_view name);
// The first framing header (Content-Length, Transfer-Encoding, and Host when `with_host`)
// that a Connection header names, or empty.
std::string_view framing_header_named_in_connection(const HeadCollector& head, bool with_host);

// Tokens listed in Connection headers name further hop-by-hop headers: whether `name` is one.
bool named_in_connection(const HeadCollector& head, std::string_view name);

// True for RFC 9110 token characters (header field names).
bool is_token(std::string_view s);

// How to rewrite a head for the other side.
struct RewriteOptions {
  bool strip_chaos = false;            // drop x-chaos-* (requests, triggers.headers.strip)
  std::string_view strip_prefix;       // drop headers starting with it (requests: Envoy's
                                       // "x-envoy-fault-", triggers.envoy_headers.strip)
  bool keep_upgrade = false;           // keep Upgrade and send "Connection: upgrade"
  bool keep_transfer_encoding = true;  // body framing is relayed as received
  bool keep_te_trailers = false;       // keep "TE: trailers" (to an HTTP/2 upstream)
  std::string_view forwarded_for;      // append to X-Forwarded-For (requests); empty = none
  bool connection_close = false;       // add "Connection: close"
  bool connection_keep_alive = false;  // add "Connection: keep-alive" (HTTP/1.0 clients)
  std::string_view injected;           // x-chaos-injected value (responses); empty = none
};

// Writes "METHOD TARGET HTTP/1.1\r\n" + filtered headers + "\r\n" into out[0..cap); returns
// the length, or 0 when it does not fit.
size_t write_request_head(const HeadCollector& head, std::string_view method,
                          const RewriteOptions& options, char* out, size_t cap);
// Writes "HTTP/1.1 STATUS REASON\r\n" + filtered headers + "\r\n".
size_t write_response_head(const HeadCollector& head, int status, const RewriteOptions& options,
                           char* out, size_t cap);

// A complete short response generated by the proxy ("HTTP/1.1 502 Bad Gateway" ...).
size_t write_simple_response(int status, std::string_view body, bool close,
                             std::string_view extra_headers, std::string_view injected, char* out,
                             size_t cap, std::string_view content_type = "text/plain");

}  // namespace faultline::proxy
