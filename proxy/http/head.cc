#include "proxy/http/head.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>

#include "config/ascii.h"

namespace faultline::proxy {

using config::ascii_iequals;
using config::ascii_istarts_with;

namespace {

// Copies n bytes with fixed-size moves when n <= 16 (two that may overlap), the common size of
// a header's name and value, instead of a call to memcpy.
inline void copy_short(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    std::memcpy(dst, src, 8);
    std::memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(dst, src, 4);
    std::memcpy(dst + n - 4, src + n - 4, 4);
  } else if (n > 16) {
    std::memcpy(dst, src, n);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// Appends to a bounded output buffer; `ok` turns false when it would overflow.
struct Out {
  char* p;
  char* end;
  bool ok = true;
  void put(std::string_view s) {
    if (s.empty()) return;  // may have a null data() (memcpy must not see it)
    if (!ok || static_cast<size_t>(end - p) < s.size()) {
      ok = false;
      return;
    }
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  // "name: value\r\n" with one bounds check: the per-field path of every forwarded head.
  void put_field(std::string_view name, std::string_view value) {
    const size_t need = name.size() + value.size() + 4;
    if (!ok || static_cast<size_t>(end - p) < need) {
      ok = false;
      return;
    }
    copy_short(p, name.data(), name.size());
    p += name.size();
    *p++ = ':';
    *p++ = ' ';
    copy_short(p, value.data(), value.size());  // an empty value may have a null data()
    p += value.size();
    *p++ = '\r';
    *p++ = '\n';
  }
  void put_int(int v) {
    char buf[16];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    put({buf, static_cast<size_t>(r.ptr - buf)});
  }
};

// Calls f(token) for each token of every Connection header; stops when f returns true.
template <typename F>
bool any_connection_token(const HeadCollector& head, F f) {
  if (!head.has_connection()) return false;
  for (size_t i = 0; i < head.count(); ++i) {
    if (head.known(i) != HeadCollector::Known::kConnection) continue;
    std::string_view v = head.value(i);
    while (!v.empty()) {
      size_t comma = v.find(',');
      std::string_view token = v.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (f(token)) return true;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return false;
}

// The tokens of every Connection header, gathered once per head: checking each field against
// them then costs a few compares, where re-reading the Connection headers per field was
// quadratic (and most responses carry `Connection: keep-alive`).
class ConnectionTokens {
 public:
  explicit ConnectionTokens(const HeadCollector& head) {
    any_connection_token(head, [&](std::string_view token) {
      if (token.empty()) return false;
      if (count_ == kMax) {
        overflow_ = true;
        return true;
      }
      tokens_[count_++] = token;
      return false;
    });
  }
  bool any() const { return count_ > 0; }
  bool names(const HeadCollector& head, std::string_view name) const {
    if (overflow_) return named_in_connection(head, name);
    for (size_t i = 0; i < count_; ++i)
      if (tokens_[i].size() == name.size() && ascii_iequals(tokens_[i], name)) return true;
    return false;
  }

 private:
  static constexpr size_t kMax = 8;
  std::array<std::string_view, kMax> tokens_{};
  size_t count_ = 0;
  bool overflow_ = false;  // more tokens than kMax: fall back to reading the headers
};

using Known = HeadCollector::Known;

bool is_hop_by_hop(Known k, const RewriteOptions& o) {
  switch (k) {
    case Known::kTe:
    case Known::kTrailer:
    case Known::kConnection:
    case Known::kKeepAlive:
    case Known::kProxyConnection:
      return true;
    case Known::kUpgrade:
      return !o.keep_upgrade;
    case Known::kTransferEncoding:
      return !o.keep_transfer_encoding;
    default:
      return false;
  }
}

bool is_framing(Known k) {
  return k == Known::kContentLength || k == Known::kTransferEncoding || k == Known::kHost;
}

void write_headers(const HeadCollector& head, const RewriteOptions& o, Out& out) {
  const ConnectionTokens connection_tokens(head);
  std::string_view xff_prev;
  size_t xff_count = 0;
  for (size_t i = 0; i < head.count(); ++i) {
    const Known known = head.known(i);
    // "TE: trailers" crosses to an HTTP/2 upstream (keep_te_trailers), even if Connection names it.
    const bool te_trailers =
        o.keep_te_trailers && known == Known::kTe && ascii_iequals(head.value(i), "trailers");
    if (!te_trailers && is_hop_by_hop(known, o)) continue;
    std::string_view name = head.name(i);
    if (o.strip_chaos && ascii_istarts_with(name, "x-chaos-")) continue;
    if (!o.strip_prefix.empty() && ascii_istarts_with(name, o.strip_prefix)) continue;
    if (!o.forwarded_for.empty() && known == Known::kXForwardedFor) {
      // Joined below into one field with the client appended.
      if (xff_count++ == 0) xff_prev = head.value(i);
      continue;
    }
    // A framing header stays even if Connection names it (the session refuses such heads;
    // dropping one here would let the body be read as another request).
    if (connection_tokens.any() && !is_framing(known) && !te_trailers &&
        connection_tokens.names(head, name)) {
      if (!(o.keep_upgrade && known == Known::kUpgrade)) continue;
    }
    out.put_field(name, head.value(i));
  }
  if (!o.forwarded_for.empty()) {
    out.put("X-Forwarded-For: ");
    if (xff_count > 0) {
      size_t seen = 0;
      for (size_t i = 0; i < head.count(); ++i) {
        if (head.known(i) != Known::kXForwardedFor) continue;
        if (seen++ > 0) out.put(", ");
        out.put(head.value(i));
      }
      out.put(", ");
    }
    out.put(o.forwarded_for);
    out.put("\r\n");
  }
  if (o.keep_upgrade)
    out.put("Connection: upgrade\r\n");
  else if (o.connection_close)
    out.put("Connection: close\r\n");
  else if (o.connection_keep_alive)
    out.put("Connection: keep-alive\r\n");
  if (!o.injected.empty()) {
    out.put("x-chaos-injected: ");
    out.put(o.injected);
    out.put("\r\n");
  }
  out.put("\r\n");
}

}  // namespace

bool named_in_connection(const HeadCollector& head, std::string_view name) {
  return any_connection_token(head,
                              [&](std::string_view token) { return ascii_iequals(token, name); });
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 32 || c >= 127) return false;
    if (std::strchr("\"(),/:;<=>?@[\\]{}", c)) return false;
  }
  return true;
}

bool is_framing_header(std::string_view name) {
  return ascii_iequals(name, "content-length") || ascii_iequals(name, "transfer-encoding") ||
         ascii_iequals(name, "host");
}

std::string_view framing_header_named_in_connection(const HeadCollector& head, bool with_host) {
  std::string_view found;
  any_connection_token(head, [&](std::string_view token) {
    if (ascii_iequals(token, "content-length"))
      found = "Content-Length";
    else if (ascii_iequals(token, "transfer-encoding"))
      found = "Transfer-Encoding";
    else if (with_host && ascii_iequals(token, "host"))
      found = "Host";
    return !found.empty();
  });
  return found;
}

namespace {

// A lower-case name (letters, digits, '-') as up to three little-endian words, with 0x20 set in
// `fold` where it has a letter: a name of the same length equals it ignoring ASCII case exactly
// when each word of the name, OR-ed with `fold`, is the pattern's word (OR-ing 0x20 maps only
// 'A'-'Z' onto 'a'-'z' among the bytes that can then match a letter; other bytes compare
// exactly). Eight bytes per compare instead of one.
struct LowerName {
  uint64_t word[3] = {};
  uint64_t fold[3] = {};
  size_t size = 0;
  consteval explicit LowerName(std::string_view s) : size(s.size()) {
    for (size_t i = 0; i < s.size(); ++i) {
      word[i / 8] |= uint64_t{static_cast<unsigned char>(s[i])} << (8 * (i % 8));
      if (s[i] >= 'a' && s[i] <= 'z') fold[i / 8] |= uint64_t{0x20} << (8 * (i % 8));
    }
  }
};

static_assert(std::endian::native == std::endian::little, "LowerName packs bytes little-endian");

// `name` has exactly pattern.size bytes.
inline bool equals_folded(std::string_view name, const LowerName& pattern) {
  for (size_t i = 0, w = 0; i < pattern.size; i += 8, ++w) {
    uint64_t v = 0;
    std::memcpy(&v, name.data() + i, std::min<size_t>(8, pattern.size - i));
    if ((v | pattern.fold[w]) != pattern.word[w]) return false;
  }
  return true;
}

constexpr LowerName kTe{"te"}, kHost{"host"}, kTrailer{"trailer"}, kUpgrade{"upgrade"},
    kConnection{"connection"}, kKeepAlive{"keep-alive"}, kContentLength{"content-length"},
    kXForwardedFor{"x-forwarded-for"}, kProxyConnection{"proxy-connection"},
    kTransferEncoding{"transfer-encoding"};

}  // namespace

HeadCollector::Known HeadCollector::classify(std::string_view name) {
  // By length, then one or two word-wise comparisons: most names are none of these.
  switch (name.size()) {
    case 2:
      return equals_folded(name, kTe) ? Known::kTe : Known::kOther;
    case 4:
      return equals_folded(name, kHost) ? Known::kHost : Known::kOther;
    case 7:
      if (equals_folded(name, kTrailer)) return Known::kTrailer;
      return equals_folded(name, kUpgrade) ? Known::kUpgrade : Known::kOther;
    case 10:
      if (equals_folded(name, kConnection)) return Known::kConnection;
      return equals_folded(name, kKeepAlive) ? Known::kKeepAlive : Known::kOther;
    case 14:
      return equals_folded(name, kContentLength) ? Known::kContentLength : Known::kOther;
    case 15:
      return equals_folded(name, kXForwardedFor) ? Known::kXForwardedFor : Known::kOther;
    case 16:
      return equals_folded(name, kProxyConnection) ? Known::kProxyConnection : Known::kOther;
    case 17:
      return equals_folded(name, kTransferEncoding) ? Known::kTransferEncoding : Known::kOther;
    default:
      return Known::kOther;
  }
}

void HeadCollector::reset(size_t limit) {
  arena_size_ = 0;
  limit_ = limit;
  raw_ = 0;
  fold_scan_.reset();
  target_len_ = 0;
  field_open_ = false;
  too_many_ = false;
  problem_ = {};
  count_ = 0;
  connection_fields_ = 0;
}

bool ObsFoldScan::scan(const char* p, size_t n) {
  if (n == 0) return true;
  // llhttp refuses a bare LF, so every LF here ends a line; one followed by SP or HT begins
  // an obs-fold continuation (or a whitespace line after the start line).
  if (last_byte_ == '\n' && (p[0] == ' ' || p[0] == '\t')) return false;
  for (const char* lf = p; (lf = static_cast<const char*>(std::memchr(lf, '\n', p + n - lf)));) {
    if (++lf == p + n) break;
    if (*lf == ' ' || *lf == '\t') return false;
  }
  last_byte_ = p[n - 1];
  return true;
}

bool HeadCollector::consumed(const char* p, size_t n) {
  raw_ += n;
  if (!fold_scan_.scan(p, n))
    return refuse("obs-fold (a header line continued on the next) is not accepted\n");
  return true;
}

void HeadCollector::grow(size_t need) {
  size_t cap = std::max<size_t>(need, size_t{2} * arena_cap_);
  cap = std::min(cap, std::max(need, limit_));
  auto bigger = std::make_unique_for_overwrite<char[]>(cap);
  if (arena_size_ > 0) std::memcpy(bigger.get(), arena_, arena_size_);
  heap_arena_ = std::move(bigger);
  arena_ = heap_arena_.get();
  arena_cap_ = static_cast<uint32_t>(cap);
}

bool HeadCollector::add_target(const char* at, size_t n) {
  if (!append(at, n)) return false;
  target_len_ += static_cast<uint32_t>(n);
  return true;
}

bool HeadCollector::add_field(const char* at, size_t n) {
  if (!field_open_) {
    // A new field begins; llhttp may deliver one name in several pieces.
    field_open_ = true;
    pending_ = Field{static_cast<uint32_t>(arena_size_), 0, static_cast<uint32_t>(arena_size_), 0,
                     Known::kOther};
  }
  if (!append(at, n)) return false;
  pending_.name_len += static_cast<uint32_t>(n);
  pending_.value_off = static_cast<uint32_t>(arena_size_);
  return true;
}

bool HeadCollector::field_done() {
  // Counted here, at the colon, rather than at the name's first piece: where a read ends
  // must not decide between "too many" (431) and an error llhttp finds inside the name (400).
  bool had_name = field_open_ && pending_.name_len > 0;
  field_open_ = false;
  if (!had_name) return refuse("empty header name\n");
  if (count_ == kMaxHeaders) {
    too_many_ = true;
    return refuse("too many header fields\n");
  }
  pending_.value_off = static_cast<uint32_t>(arena_size_);
  pending_.known = classify(view(pending_.name_off, pending_.name_len));
  if (pending_.known == Known::kConnection) ++connection_fields_;
  fields_[count_++] = pending_;
  return true;
}

bool HeadCollector::add_value(const char* at, size_t n) {
  if (count_ == 0 || field_open_) return false;
  Field& f = fields_[count_ - 1];
  if (!append(at, n)) return false;
  f.value_len += static_cast<uint32_t>(n);
  return true;
}

bool HeadCollector::check_request(bool http10) {
  if (http10 && has("transfer-encoding"))
    return refuse("Transfer-Encoding in an HTTP/1.0 request\n");
  std::string_view named = framing_header_named_in_connection(*this, /*with_host=*/true);
  if (named.empty()) return true;
  if (named == "Content-Length")
    return refuse("Connection names Content-Length, which frames the message\n");
  if (named == "Transfer-Encoding")
    return refuse("Connection names Transfer-Encoding, which frames the message\n");
  return refuse("Connection names Host, which routes the request\n");
}

bool HeadCollector::check_response() {
  if (!framing_header_named_in_connection(*this, /*with_host=*/false).empty())
    return refuse("Connection names a header that frames the message\n");
  return true;
}

std::string_view HeadCollector::find(std::string_view lower_name) const {
  for (size_t i = 0; i < count_; ++i)
    if (ascii_iequals(name(i), lower_name)) return value(i);
  return {};
}

bool HeadCollector::has(std::string_view lower_name) const {
  for (size_t i = 0; i < count_; ++i)
    if (ascii_iequals(name(i), lower_name)) return true;
  return false;
}

const faults::HeaderView* HeadCollector::views() {
  for (size_t i = 0; i < count_; ++i) views_.at[i] = {name(i), value(i)};
  return views_.at;
}

size_t write_request_head(const HeadCollector& head, std::string_view method,
                          const RewriteOptions& options, char* out, size_t cap) {
  Out o{out, out + cap};
  o.put(method);
  o.put(" ");
  o.put(head.target());
  o.put(" HTTP/1.1\r\n");
  write_headers(head, options, o);
  return o.ok ? static_cast<size_t>(o.p - out) : 0;
}

size_t write_response_head(const HeadCollector& head, int status, const RewriteOptions& options,
                           char* out, size_t cap) {
  Out o{out, out + cap};
  o.put("HTTP/1.1 ");
  o.put_int(status);
  o.put(" ");
  o.put(head.target().empty() ? std::string_view(reason_phrase(status)) : head.target());
  o.put("\r\n");
  write_headers(head, options, o);
  return o.ok ? static_cast<size_t>(o.p - out) : 0;
}

size_t write_simple_response(int status, std::string_view body, bool close,
                             std::string_view extra_headers, std::string_view injected, char* out,
                             size_t cap, std::string_view content_type) {
  Out o{out, out + cap};
  o.put("HTTP/1.1 ");
  o.put_int(status);
  o.put(" ");
  o.put(reason_phrase(status));
  o.put("\r\ncontent-type: ");
  o.put(content_type);
  o.put("\r\ncontent-length: ");
  o.put_int(static_cast<int>(body.size()));
  o.put("\r\n");
  if (close) o.put("connection: close\r\n");
  o.put(extra_headers);
  if (!injected.empty()) {
    o.put("x-chaos-injected: ");
    o.put(injected);
    o.put("\r\n");
  }
  o.put("\r\n");
  o.put(body);
  return o.ok ? static_cast<size_t>(o.p - out) : 0;
}

}  // namespace faultline::proxy
