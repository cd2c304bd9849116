// Fuzzes the client side of an HTTP/1.1 proxy connection without a loop, the way
// proxy/http_session.cc drives it: bytes arrive in arbitrary pieces (as reads do), llhttp
// (strict mode) is fed at most the head's remaining budget and its callbacks go straight to
// the session's own head code (HeadCollector: arena, field count, empty names, obs-fold,
// framing headers named in Connection), each complete head is rewritten for forwarding, and
// the body and any pipelined requests follow.
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
#include "proxy/http/head.h"

using faultline::config::ascii_iequals;
using faultline::proxy::HeadCollector;

namespace {

constexpr size_t kHeadLimit = 8192;
constexpr size_t kForwardCap = 16384;

// Parser callbacks share this state, as they share HttpSession's members.
struct Side {
  HeadCollector head;
  bool head_ready = false;
};

Side* side_of(llhttp_t* p) {
  return static_cast<Side*>(p->data);
}

// The same calls as HttpSession::on_req_*.
int on_url(llhttp_t* p, const char* at, size_t n) {
  return side_of(p)->head.add_target(at, n) ? 0 : HPE_USER;
}
int on_field(llhttp_t* p, const char* at, size_t n) {
  return side_of(p)->head.add_field(at, n) ? 0 : HPE_USER;
}
int on_field_done(llhttp_t* p) {
  return side_of(p)->head.field_done() ? 0 : HPE_USER;
}
int on_value(llhttp_t* p, const char* at, size_t n) {
  return side_of(p)->head.add_value(at, n) ? 0 : HPE_USER;
}
int on_headers_complete(llhttp_t* p) {
  Side* s = side_of(p);
  bool http10 = llhttp_get_http_major(p) == 1 && llhttp_get_http_minor(p) == 0;
  if (!s->head.check_request(http10)) return HPE_USER;
  s->head_ready = true;
  return HPE_PAUSED;
}
int on_message_complete(llhttp_t*) {
  return HPE_PAUSED;
}

const llhttp_settings_t& request_settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_url = on_url;
    s.on_header_field = on_field;
    s.on_header_field_complete = on_field_done;
    s.on_header_value = on_value;
    s.on_headers_complete = on_headers_complete;
    s.on_message_complete = on_message_complete;
    return s;
  }();
  return settings;
}

// What the connection would do with its bytes: forwarded heads and body bytes, then how it
// ended. Compared between the one-read and the many-reads deliveries.
struct Connection {
  enum class State { kHead, kBody, kTunnel, kClosed } state = State::kHead;
  Side side;
  llhttp_t parser;
  std::string transcript;
  size_t body_start = 0;  // transcript length where the current message's body began
  char out[kForwardCap];

  Connection() {
    llhttp_init(&parser, HTTP_REQUEST, &request_settings());
    parser.data = &side;
    begin_request();
  }

  void begin_request() {
    side.head.reset(kHeadLimit);
    side.head_ready = false;
  }

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
          // As HttpSession::process_client: at most the head's remaining budget.
          size_t feed = std::min(n, side.head.room());
          llhttp_errno_t err = llhttp_execute(&parser, p, feed);
          size_t used =
              err == HPE_OK ? feed : static_cast<size_t>(llhttp_get_error_pos(&parser) - p);
          if (!side.head.consumed(p, used)) {
            close("400");
            return;
          }
          if (err == HPE_OK) {
            if (side.head.room() == 0) close("431");
            return;
          }
          if (err != HPE_PAUSED || !side.head_ready) {
            bool too_large =
                side.head.too_many() || (err == HPE_USER && side.head.problem().empty());
            close(too_large ? "431" : "400");
            return;
          }
          p += used;
          n -= used;
          llhttp_resume(&parser);
          if (!forward_head()) return;
          body_start = transcript.size();
          state = State::kBody;
          continue;
        }
        case State::kBody: {
          llhttp_errno_t err = llhttp_execute(&parser, p, n);
          size_t used = err == HPE_OK ? n : static_cast<size_t>(llhttp_get_error_pos(&parser) - p);
          if (err != HPE_OK && err != HPE_PAUSED && err != HPE_PAUSED_UPGRADE) {
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
          if (err == HPE_PAUSED) {
            llhttp_resume(&parser);
            transcript += "\n<end>\n";
            state = State::kHead;
            begin_request();
            continue;
          }
          if (err == HPE_PAUSED_UPGRADE) {
            transcript += "\n<tunnel>\n";
            state = State::kTunnel;
            continue;
          }
          return;
        }
      }
    }
  }

  // Rewrites the head as the session does and checks the result; false when the connection
  // ends here (CONNECT, or a head too large to forward).
  bool forward_head() {
    auto method = static_cast<llhttp_method_t>(llhttp_get_method(&parser));
    if (method == HTTP_CONNECT) {
      close("405");
      return false;
    }
    faultline::proxy::RewriteOptions options;
    options.strip_chaos = true;
    options.keep_upgrade = llhttp_get_upgrade(&parser) != 0;
    options.forwarded_for = "127.0.0.1";
    size_t len = faultline::proxy::write_request_head(side.head, llhttp_method_name(method),
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
    Side again;
    again.head.reset(kForwardCap);
    llhttp_t reparse;
    llhttp_init(&reparse, HTTP_REQUEST, &request_settings());
    reparse.data = &again;
    llhttp_errno_t err = llhttp_execute(&reparse, head, len);
    if (err != HPE_PAUSED || !again.head_ready) std::abort();
    if (!again.head.consumed(head, len)) std::abort();  // no obs-fold
    // Every framing header survives: none is named in Connection any more.
    for (const char* name : {"content-length", "transfer-encoding", "host"})
      if (again.head.has(name) != side.head.has(name)) std::abort();
    if (llhttp_get_method(&reparse) != method) std::abort();
    if (again.head.target() != side.head.target()) std::abort();
    // Body framing survives the rewrite: a disagreement here is request smuggling.
    if ((reparse.flags & F_CHUNKED) != (parser.flags & F_CHUNKED)) std::abort();
    if ((reparse.flags & F_CONTENT_LENGTH) != (parser.flags & F_CONTENT_LENGTH)) std::abort();
    if ((parser.flags & F_CONTENT_LENGTH) && reparse.content_length != parser.content_length)
      std::abort();
    for (size_t i = 0; i < again.head.count(); ++i) {
      std::string_view name = again.head.name(i);
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
