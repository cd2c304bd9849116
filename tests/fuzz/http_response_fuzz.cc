// Fuzzes the upstream side of an HTTP/1.1 proxy exchange without a loop, the way
// proxy/http_session.cc drives it (process_upstream): the origin's bytes arrive in arbitrary
// pieces and go to the session's own response codec (proxy/http/codec.h: strict llhttp,
// HeadCollector's arena, field count, empty names, obs-fold, framing headers named in
// Connection), interim 100s are relayed, the final head is rewritten for the client and the
// body relayed raw (or de-chunked through the codec's body sink for an HTTP/1.0 client) until
// the message ends or the origin closes.
//
// Input: byte 0 chooses the request (bit 0: HEAD, bit 1: an HTTP/1.0 client, bit 2: an
// Upgrade request); the rest is what the origin sends, then it closes.
//
// Properties:
// - splitting the origin's bytes into pieces changes nothing the client receives, nor the
//   verdict (502 before a head was relayed, a cut connection after);
// - the client frames what it receives exactly as the proxy framed the origin's response: a
//   strict parser on the client's bytes completes the response where they end (no response
//   splitting, no leftover bytes read as a second response), with the same status;
// - the relayed head carries no hop-by-hop header.
#include <llhttp.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "proxy/http/codec.h"
#include "proxy/http/head.h"

using faultline::proxy::HttpCodec;

namespace {

constexpr size_t kHeadLimit = 64 * 1024;  // as HttpSession::upstream_ready
constexpr size_t kHeadOut = 16384;

struct Exchange final : HttpCodec::BodySink {
  enum class State { kHead, kBody, kTunnel, kDone } state = State::kHead;
  bool is_head = false;
  bool client_http10 = false;
  bool upgrade_requested = false;

  HttpCodec codec{HttpCodec::Kind::kResponse};
  bool eof_body = false;
  bool dechunk = false;
  bool upgraded = false;
  bool close_after = false;  // the proxy closes the client connection after this response
  int status = 0;
  std::string transcript;  // what the client receives, then how the exchange ended
  size_t body_start = 0;
  char out[kHeadOut];

  // The de-chunked body (set as the codec's sink for an HTTP/1.0 client).
  void on_body(const char* at, size_t n) override { transcript.append(at, n); }

  explicit Exchange(uint8_t mode)
      : is_head(mode & 1), client_http10(mode & 2), upgrade_requested(mode & 4) {
    codec.init();
    codec.begin_message(kHeadLimit, /*no_body=*/is_head);
  }

  void end(const char* how) {
    transcript += "\n<";
    transcript += how;
    transcript += ">";
    state = State::kDone;
  }
  // upstream_failed: a 502 while nothing was relayed, else the client connection is cut.
  void fail() {
    if (state == State::kHead) {
      end("502");
    } else {
      transcript.resize(body_start);  // how much of a bad body got through depends on reads
      end("cut");
    }
  }

  void read(const char* p, size_t n) {
    for (;;) {
      switch (state) {
        case State::kDone:
          return;
        case State::kTunnel:
          transcript.append(p, n);
          return;
        case State::kHead: {
          if (n == 0) return;
          HttpCodec::Result r = codec.execute(p, n);
          if (r.event == HttpCodec::Event::kMore) return;
          if (r.event == HttpCodec::Event::kInterim) {
            p += r.used;
            n -= r.used;
            if (codec.status_code() == 100 && !client_http10)
              transcript += "HTTP/1.1 100 Continue\r\n\r\n";
            continue;
          }
          if (r.event != HttpCodec::Event::kHead) {
            if (r.event != HttpCodec::Event::kError || codec.error_status() != 502) std::abort();
            return fail();
          }
          p += r.used;
          n -= r.used;
          if (!relay_head()) return;
          body_start = transcript.size();
          if (codec.message_done()) return end("done");  // HEAD
          state = State::kBody;
          continue;
        }
        case State::kBody: {
          HttpCodec::Result r = codec.execute(p, n);
          if (r.event == HttpCodec::Event::kError) return fail();
          if (!dechunk) transcript.append(p, r.used);
          p += r.used;
          n -= r.used;
          if (r.event == HttpCodec::Event::kMore) return;
          if (r.event != HttpCodec::Event::kComplete && r.event != HttpCodec::Event::kUpgrade)
            std::abort();
          if (upgraded) {
            transcript += "\n<tunnel>\n";
            state = State::kTunnel;
            continue;
          }
          // Bytes after the response only make the upstream connection unusable.
          return end("done");
        }
      }
    }
  }

  // on_upstream_eof: a body read until close ends there; anything else is a failure.
  void eof() {
    if (state == State::kBody && eof_body) {
      codec.finish();
      return end("done");
    }
    if (state == State::kHead || state == State::kBody) fail();
  }

  // on_response_head + emit_response_head.
  bool relay_head() {
    status = codec.status_code();
    upgraded = status == 101 && upgrade_requested;
    if (status == 101 && !upgrade_requested) {
      fail();
      return false;
    }
    eof_body = !codec.message_done() && codec.needs_eof();
    dechunk = client_http10 && codec.chunked() && !is_head;
    if (dechunk) codec.set_body_sink(this);
    close_after = eof_body || dechunk || client_http10 || (upgrade_requested && !upgraded);
    faultline::proxy::RewriteOptions o;
    o.keep_upgrade = upgraded;
    o.keep_transfer_encoding = !dechunk;
    o.connection_close = close_after && !upgraded;
    size_t len = faultline::proxy::write_response_head(codec.head(), status, o, out, sizeof out);
    if (len == 0) {
      fail();
      return false;
    }
    check_relayed_head(out, len);
    transcript.append(out, len);
    return true;
  }

  // What a rewrite must never let through (the client check below parses the rest).
  static void check_relayed_head(const char* bytes, size_t len) {
    std::string lower(bytes, len);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* name : {"\r\nkeep-alive:", "\r\nproxy-connection:", "\r\nte:"})
      if (lower.find(name) != std::string::npos) std::abort();
  }
};

// The client's view: a strict parser reading what the proxy relayed must end the response
// exactly where the relayed bytes end, with the status the proxy saw.
struct Client {
  bool is_head;
  int final_status = 0;
  bool complete = false;
  static int on_headers_complete(llhttp_t* p) {
    auto* c = static_cast<Client*>(p->data);
    int code = llhttp_get_status_code(p);
    if (code >= 100 && code < 200) return 0;
    c->final_status = code;
    return c->is_head ? 1 : 0;
  }
  static int on_message_complete(llhttp_t* p) {
    auto* c = static_cast<Client*>(p->data);
    if (c->final_status == 0) return 0;  // an interim response
    c->complete = true;
    return HPE_PAUSED;
  }
};

void check_client_framing(const Exchange& x) {
  if (x.state != Exchange::State::kDone || x.upgraded || x.dechunk || x.status == 0) return;
  const std::string suffix = "\n<done>";
  if (x.transcript.size() < suffix.size() ||
      x.transcript.compare(x.transcript.size() - suffix.size(), suffix.size(), suffix) != 0)
    return;
  std::string_view bytes(x.transcript.data(), x.transcript.size() - suffix.size());
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_headers_complete = Client::on_headers_complete;
  settings.on_message_complete = Client::on_message_complete;
  Client client{x.is_head};
  llhttp_t parser;
  llhttp_init(&parser, HTTP_RESPONSE, &settings);
  parser.data = &client;
  llhttp_errno_t err = llhttp_execute(&parser, bytes.data(), bytes.size());
  if (err == HPE_OK && !client.complete && llhttp_message_needs_eof(&parser)) {
    // The client reads until the proxy closes, so the proxy must close (a response that lost
    // its framing on a kept-alive connection would swallow the next one).
    if (!x.close_after) std::abort();
    llhttp_finish(&parser);
    if (!client.complete) std::abort();
    return;
  }
  if (err != HPE_PAUSED || !client.complete) std::abort();
  if (llhttp_get_error_pos(&parser) != bytes.data() + bytes.size()) std::abort();
  if (client.final_status != x.status) std::abort();
}

uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t mode = data[0];
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  size -= 1;

  std::string whole_copy(bytes, size);
  Exchange whole(mode);
  whole.read(whole_copy.data(), size);
  whole.eof();
  check_client_framing(whole);

  Exchange pieces(mode);
  uint64_t rng = fnv1a(data, size + 1) | 1;
  size_t at = 0;
  while (at < size) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    size_t n = (rng & 3) == 0 ? 1 + (rng >> 8) % 512 : 1 + (rng >> 8) % 8;
    n = std::min(n, size - at);
    std::string piece(bytes + at, n);
    pieces.read(piece.data(), n);
    at += n;
  }
  pieces.eof();
  if (whole.transcript != pieces.transcript) std::abort();
  return 0;
}
