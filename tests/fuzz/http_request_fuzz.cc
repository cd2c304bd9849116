// Fuzzes the client side of an HTTP/1.1 proxy connection without a loop, the way
// proxy/http_session.cc drives it: bytes arrive in arbitrary pieces (as reads do) and go to the
// session's own request codec (proxy/http/codec.h: strict llhttp fed at most the head's
// remaining budget, HeadCollector's arena, field count, empty names, obs-fold, framing headers
// named in Connection), each complete head is rewritten for forwarding, and the body and any
// pipelined requests follow.
//
// Properties:
// - the forwarded head parses again, strictly, with the same method, target and body framing
//   (Content-Length value, chunked), and carries no hop-by-hop or x-chaos-* headers;
// - splitting the input into pieces changes nothing: the forwarded bytes and the final
//   verdict (400, 405, 431) are those of the same input delivered in one read.
#include <llhttp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "config/ascii.h"
#include "proxy/http/codec.h"
#include "proxy/http/head.h"

using faultline::config::ascii_iequals;
using faultline::proxy::HttpCodec;

namespace {

constexpr size_t kHeadLimit = 8192;
constexpr size_t kForwardCap = 16384;

// What the connection would do with its bytes: forwarded heads and body bytes, then how it
// ended. Compared between the one-read and the many-reads deliveries.
struct Connection {
  enum class State { kHead, kBody, kTunnel, kClosed } state = State::kHead;
  HttpCodec codec{HttpCodec::Kind::kRequest};
  std::string transcript;
  size_t body_start = 0;  // transcript length where the current message's body began
  char out[kForwardCap];

  Connection() {
    codec.init();
    begin_request();
  }

  void begin_request() { codec.begin_message(kHeadLimit); }

  void close(const char* why) {
    transcript += "\n<close ";
    transcript += why;
    transcript += ">";
    state = State::kClosed;
  }

  void read(const char* p, size_t n) { process(p, n); }

  void process(const char* p, size_t n) {
    for (;;) {
      switch (state) {
        case State::kClosed:
          return;
        case State::kTunnel:
          transcript.append(p, n);
          return;
        case State::kHead: {
          if (n == 0) return;
          // As HttpSession::process_client.
          HttpCodec::Result r = codec.execute(p, n);
          if (r.event == HttpCodec::Event::kMore) return;
          if (r.event != HttpCodec::Event::kHead) {
            if (r.event != HttpCodec::Event::kError) std::abort();
            int status = codec.error_status();
            if (status != 400 && status != 431) std::abort();
            if (codec.error_reason().empty()) std::abort();  // the client is told why
            close(status == 400 ? "400" : "431");
            return;
          }
          p += r.used;
          n -= r.used;
          if (!forward_head()) return;
          body_start = transcript.size();
          state = State::kBody;
          continue;
        }
        case State::kBody: {
          HttpCodec::Result r = codec.execute(p, n);
          size_t used = r.used;
          if (r.event == HttpCodec::Event::kError) {
            // The session streams body bytes as reads arrive, so how much of a malformed body
            // was relayed before the error depends on the reads (llhttp may report the error
            // a few bytes behind a token an earlier read already passed on). The verdict does
            // not: compare up to the body's start, then the close.
            transcript.resize(body_start);
            close("bad body");
            return;
          }
          transcript.append(p, used);
          p += used;
          n -= used;
          if (r.event == HttpCodec::Event::kComplete) {
            transcript += "\n<end>\n";
            state = State::kHead;
            begin_request();
            continue;
          }
          if (r.event == HttpCodec::Event::kUpgrade) {
            transcript += "\n<tunnel>\n";
            state = State::kTunnel;
            continue;
          }
          if (r.event != HttpCodec::Event::kMore) std::abort();
          return;
        }
      }
    }
  }

  // Rewrites the head as the session does and checks the result; false when the connection
  // ends here (CONNECT, or a head too large to forward).
  bool forward_head() {
    auto method = static_cast<llhttp_method_t>(codec.method());
    if (method == HTTP_CONNECT) {
      close("405");
      return false;
    }
    faultline::proxy::RewriteOptions options;
    options.strip_chaos = true;
    options.keep_upgrade = codec.upgrade();
    options.forwarded_for = "127.0.0.1";
    size_t len = faultline::proxy::write_request_head(codec.head(), llhttp_method_name(method),
                                                      options, out, sizeof out);
    if (len == 0) {
      close("431");
      return false;
    }
    check_forwarded(out, len, method);
    transcript.append(out, len);
    return true;
  }

  void check_forwarded(const char* head, size_t len, llhttp_method_t method) {
    // The forwarded head parses whole (no obs-fold, nothing refused) with the same codec.
    HttpCodec again(HttpCodec::Kind::kRequest);
    again.init();
    again.begin_message(kForwardCap);
    HttpCodec::Result r = again.execute(head, len);
    if (r.event != HttpCodec::Event::kHead) std::abort();
    // Every framing header survives: none is named in Connection any more.
    for (const char* name : {"content-length", "transfer-encoding", "host"})
      if (again.head().has(name) != codec.head().has(name)) std::abort();
    if (again.method() != method) std::abort();
    if (again.head().target() != codec.head().target()) std::abort();
    // Body framing survives the rewrite: a disagreement here is request smuggling.
    if (again.chunked() != codec.chunked()) std::abort();
    if (again.has_content_length() != codec.has_content_length()) std::abort();
    if (codec.has_content_length() && again.content_length() != codec.content_length())
      std::abort();
    for (size_t i = 0; i < again.head().count(); ++i) {
      std::string_view name = again.head().name(i);
      if (ascii_iequals(name, "keep-alive") || ascii_iequals(name, "te") ||
          ascii_iequals(name, "proxy-connection") || ascii_iequals(name, "trailer"))
        std::abort();
      if (name.size() >= 8 && ascii_iequals(name.substr(0, 8), "x-chaos-")) std::abort();
    }
  }
};

// Piece sizes from a hash of the input: deterministic per input, and any mutation moves them.
uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);
  // Each delivery reads from its own copy, so a parser reading before its piece trips ASan.
  std::string whole_copy(bytes, size);
  Connection whole;
  whole.read(whole_copy.data(), size);

  Connection pieces;
  uint64_t rng = fnv1a(data, size) | 1;
  size_t at = 0;
  while (at < size) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    // Mostly tiny pieces (boundaries inside tokens and CRLFs), sometimes large ones.
    size_t n = (rng & 3) == 0 ? 1 + (rng >> 8) % 512 : 1 + (rng >> 8) % 8;
    n = std::min(n, size - at);
    std::string piece(bytes + at, n);
    pieces.read(piece.data(), n);
    at += n;
  }
  if (whole.transcript != pieces.transcript) std::abort();
  return 0;
}
