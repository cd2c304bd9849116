#include "proxy/http2/h1_exchange.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "config/ascii.h"
#include "proxy/http2/forwarded_fields.h"
#include "proxy/http2/session.h"
#include "proxy/http2/stream.h"
#include "proxy/io/slab_pool.h"
#include "proxy/log.h"
#include "proxy/worker.h"

namespace faultline::proxy {

namespace {

constexpr size_t kResponseHeadLimit = 64 * 1024;
constexpr size_t kChunkFraming = 32;  // "<hex size>\r\n" before a chunk and "\r\n" after it

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = config::ascii_lower(c);
  return out;
}

// Fields [from, to) of `head` as HTTP/2 fields: lower-case names, connection-specific ones left
// out (with those the Connection header names, RFC 9110 §7.6.1).
void copy_fields(const HeadCollector& head, size_t from, size_t to, HeaderList& out) {
  for (size_t i = from; i < to; ++i) {
    std::string name = lower(head.name(i));
    if (connection_specific_field(name, head.value(i))) continue;
    if (name == "te" || named_in_connection(head, name)) continue;
    out.emplace_back(std::move(name), std::string(head.value(i)));
  }
}

}  // namespace

H1Exchange::H1Exchange(Http2Session& session, H2Stream& stream, UpstreamPool& pool,
                       uint32_t listener)
    : session_(session), stream_(stream), pool_(pool), listener_(listener) {}

H1Exchange::~H1Exchange() {
  release(false);
}

// ---------------------------------------------------------------- request

void H1Exchange::start() {
  const H2Stream& s = stream_;
  const ActiveConfig& snapshot = *s.snapshot;
  std::string_view host = s.authority;
  std::string fields, cookie;
  bool has_length = false;
  for (const auto& [k, v] : s.req_headers) {
    if (k.starts_with(':')) continue;
    if (k == "host") {
      if (host.empty()) host = v;  // :authority wins (RFC 9113 §8.3.1)
      continue;
    }
    if (connection_specific_field(k, v) || stripped_trigger_field(k, snapshot)) continue;
    if (k == "cookie") {  // RFC 9113 §8.2.3: split cookie fields are one line in HTTP/1.1
      if (!cookie.empty()) cookie += "; ";
      cookie += v;
      continue;
    }
    if (k == "content-length") has_length = true;
    fields.append(k).append(": ").append(v).append("\r\n");
  }
  head_.reserve(s.method.size() + s.path.size() + host.size() + fields.size() + 64);
  head_.append(s.method).append(" ").append(s.path).append(" HTTP/1.1\r\nhost: ");
  head_.append(host).append("\r\n").append(fields);
  if (!cookie.empty()) head_.append("cookie: ").append(cookie).append("\r\n");
  const bool no_body = s.req_end && s.req_body.size() == 0 && s.req_trailers.empty();
  if (no_body) {
    request_done_ = true;
    if (!has_length && s.method != "GET" && s.method != "HEAD")
      head_.append("content-length: 0\r\n");
  } else if (!has_length && s.req_end && s.req_trailers.empty()) {
    // The whole body is here already: its length is known.
    head_.append("content-length: ").append(std::to_string(s.req_body.size())).append("\r\n");
  } else if (!has_length) {
    chunked_ = true;
    head_.append("transfer-encoding: chunked\r\n");
  }
  head_.append("\r\n");

  if (UpstreamConn* c = pool_.acquire()) {
    conn_ = c;
    c->session = this;
    c->reused = true;
    send_head();
    return;
  }
  connect();
}

void H1Exchange::connect() {
  const ActiveConfig& snapshot = *stream_.snapshot;
  conn_ = new UpstreamConn(session_.worker(), listener_);
  conn_->session = this;
  const auto& address = snapshot.upstreams[listener_];
  int rc = conn_->connect(reinterpret_cast<const sockaddr*>(&address.addr),
                          snapshot.upstream_layer(listener_));
  if (rc != 0) {
    connected(rc);
    return;
  }
  conn_->timer.start_at_least(
      static_cast<uint64_t>(snapshot.config->listeners[listener_].connect_timeout.count()));
}

void H1Exchange::connected(int status) {
  if (!conn_) return;
  conn_->timer.stop();
  if (status != 0) {
    bump(session_.worker().listener(listener_).stats.upstream_errors_connect);
    fail(false);
    return;
  }
  conn_->connected = true;
  send_head();
}

void H1Exchange::send_head() {
  const auto& cfg = stream_.snapshot->config->listeners[listener_];
  codec_.init();
  codec_.begin_message(kResponseHeadLimit, /*no_body=*/stream_.method == "HEAD");
  send(head_);
  update_reading();
  conn_->timer.start(static_cast<uint64_t>(cfg.response_timeout.count()));
  if (!flush()) return;
  send_body();
}

void H1Exchange::send(std::string_view bytes) {
  Worker& w = session_.worker();
  while (!bytes.empty()) {
    Slab* slab = w.slabs().acquire();
    const size_t n = std::min(bytes.size(), Slab::kSize);
    std::memcpy(slab->data, bytes.data(), n);
    conn_->out.add(w.write_ops(), w.slabs(), slab, slab->data, n);
    w.slabs().unref(slab);
    bytes.remove_prefix(n);
    if (conn_->out.must_flush() && !flush()) return;
  }
}

bool H1Exchange::flush() {
  Worker& w = session_.worker();
  int rc =
      conn_->out.flush(conn_->transport, conn_, UpstreamConn::on_written, w.write_ops(), w.slabs());
  if (rc == 0) return true;
  lost(rc);
  return false;
}

void H1Exchange::request_more() {
  send_body();
}

// Moves request body bytes from the stream to the upstream while its write queue has room; the
// client's stream window is given back for exactly those bytes.
void H1Exchange::send_body() {
  if (!conn_ || !conn_->connected || request_done_) return;
  H2Stream& s = stream_;
  Worker& w = session_.worker();
  while (s.req_body.size() > 0 && conn_->out.queued < kHighWater) {
    const size_t take =
        session_.upload_allowance(s, std::min(s.req_body.size(), Slab::kSize - kChunkFraming));
    if (take == 0) return;  // bandwidth: the upload timer calls back
    Slab* slab = w.slabs().acquire();
    char* at = slab->data;
    if (chunked_) at += std::snprintf(at, kChunkFraming, "%zx\r\n", take);
    s.req_body.take(reinterpret_cast<uint8_t*>(at), take);
    at += take;
    if (chunked_) {
      *at++ = '\r';
      *at++ = '\n';
    }
    conn_->out.add(w.write_ops(), w.slabs(), slab, slab->data,
                   static_cast<size_t>(at - slab->data));
    w.slabs().unref(slab);
    body_sent_ = true;
    session_.request_body_forwarded(s, take);
    if (!flush()) return;
    if (!response_started_) {
      // Upload progress: the upstream's time to answer counts from the request's end.
      const auto& cfg = s.snapshot->config->listeners[listener_];
      conn_->timer.start(static_cast<uint64_t>(cfg.response_timeout.count()));
    }
  }
  if (s.req_body.size() > 0 || !s.req_end) return;
  request_done_ = true;
  if (chunked_) {
    std::string last = "0\r\n";
    for (const auto& [k, v] : s.req_trailers) {
      if (k.starts_with(':') || connection_specific_field(k, v) ||
          stripped_trigger_field(k, *s.snapshot))
        continue;
      last.append(k).append(": ").append(v).append("\r\n");
    }
    last.append("\r\n");
    body_sent_ = true;
    send(last);
    if (conn_) flush();
  }
}

// ---------------------------------------------------------------- response

void H1Exchange::on_body(const char* at, size_t n) {
  stream_.resp_body.append(reinterpret_cast<const uint8_t*>(at), n);
}

bool H1Exchange::parse(const char* p, size_t n) {
  for (;;) {
    HttpCodec::Result r = codec_.execute(p, n);
    p += r.used;
    n -= r.used;
    switch (r.event) {
      case HttpCodec::Event::kMore:
        return true;
      case HttpCodec::Event::kInterim:  // 1xx: no meaning across this hop
        if (n == 0) return true;
        continue;
      case HttpCodec::Event::kHead:
        if (codec_.status_code() == 101) {  // never asked for
          fail(false);
          return false;
        }
        if (!response_head()) return false;
        if (codec_.message_done()) {
          response_complete(n == 0);
          return false;
        }
        codec_.set_body_sink(this);
        continue;  // a body-less response completes with an empty execute()
      case HttpCodec::Event::kComplete:
        response_complete(n == 0);
        return false;
      default:  // malformed
        log::http().debug("http2: the HTTP/1.1 upstream sent a malformed response");
        fail(false);
        return false;
    }
  }
}

bool H1Exchange::response_head() {
  H2Stream& s = stream_;
  const HeadCollector& head = codec_.head();
  const int status = codec_.status_code();
  head_fields_ = head.count();
  s.resp_headers.clear();
  s.resp_headers.emplace_back(":status", std::to_string(status));
  copy_fields(head, 0, head_fields_, s.resp_headers);
  s.status = status;
  s.resp_head_in = true;
  s.resp_end = codec_.message_done();
  session_.upstream_response_head(s);
  return conn_ != nullptr;  // a fault may have ended the stream
}

void H1Exchange::response_complete(bool reusable) {
  H2Stream& s = stream_;
  // Chunked trailers: the fields llhttp collected after the head's.
  copy_fields(codec_.head(), head_fields_, codec_.head().count(), s.resp_trailers);
  s.resp_end = true;
  response_done_ = true;
  // Answered before the request ended: the upstream will not read the rest of it.
  release(reusable && request_done_ && codec_.keep_alive());
  s.up_closed = true;
  session_.upstream_response_data(s);
}

void H1Exchange::response_taken() {
  update_reading();
}

bool H1Exchange::wants_pause() const {
  const auto& cfg = stream_.snapshot->config->listeners[listener_];
  return stream_.resp_body.size() >= cfg.h2_initial_window.bytes;
}

void H1Exchange::update_reading() {
  if (!conn_ || !conn_->connected) return;
  if (wants_pause()) {
    conn_->stop_reading();
    return;
  }
  if (!conn_->reading && response_started_) {
    // The silence while paused was ours: upstream_idle_timeout counts from now.
    const auto& cfg = stream_.snapshot->config->listeners[listener_];
    conn_->timer.start(static_cast<uint64_t>(cfg.upstream_idle_timeout.count()));
  }
  conn_->start_reading();
}

// ---------------------------------------------------------------- upstream events

void H1Exchange::on_upstream_connected(int status) {
  connected(status);
  session_.pump();
}

void H1Exchange::on_upstream_data(Slab*, const char* p, size_t n) {
  if (conn_ && !response_done_) {
    const auto& cfg = stream_.snapshot->config->listeners[listener_];
    if (!response_started_) {
      response_started_ = true;  // from now on no resend, and upstream_idle_timeout applies
      head_.clear();
      head_.shrink_to_fit();
    }
    conn_->timer.start(static_cast<uint64_t>(cfg.upstream_idle_timeout.count()));
    if (parse(p, n)) {
      update_reading();
      session_.upstream_response_data(stream_);
    }
  } else {
    release(false);  // bytes after the response: the connection cannot be reused
  }
  session_.pump();
}

void H1Exchange::on_upstream_eof(int status) {
  if (conn_) {
    if (stream_.resp_head_in && status == UV_EOF && codec_.needs_eof()) {
      codec_.finish();  // the body ends with the connection
      response_complete(false);
    } else if (resend_allowed()) {
      // A pooled connection the server closed as we reused it: once more on a fresh one.
      resent_ = true;
      release(false);
      connect();
    } else {
      lost(status);
    }
  }
  session_.pump();
}

bool H1Exchange::resend_allowed() const {
  return conn_->reused && !resent_ && !response_started_ && !body_sent_ && !head_.empty();
}

void H1Exchange::on_upstream_written() {
  send_body();
  session_.pump();
}

void H1Exchange::on_upstream_timer() {
  if (conn_) {
    auto& stats = session_.worker().listener(listener_).stats;
    if (response_started_ && !conn_->reading) {
      // Reading is paused because the client has not taken what we hold: not the upstream's
      // silence.
      const auto& cfg = stream_.snapshot->config->listeners[listener_];
      conn_->timer.start(static_cast<uint64_t>(cfg.upstream_idle_timeout.count()));
    } else {
      bump(stats.upstream_errors_timeout);
      fail(true);
    }
  }
  session_.pump();
}

void H1Exchange::lost(int status) {
  (void)status;
  bump(session_.worker().listener(listener_).stats.upstream_errors_reset);
  fail(false);
}

// ---------------------------------------------------------------- endings

void H1Exchange::fail(bool timeout) {
  release(false);
  if (stream_.up_closed) return;
  if (stream_.client_closed) {  // (cancel() got there first; kept for safety)
    stream_.up_closed = true;
    return;
  }
  session_.upstream_stream_failed(stream_, timeout);  // sets up_closed
}

void H1Exchange::cancel() {
  release(false);
  stream_.up_closed = true;
}

void H1Exchange::release(bool reusable) {
  UpstreamConn* c = conn_;
  if (!c) return;
  conn_ = nullptr;
  c->timer.stop();
  c->session = nullptr;
  if (reusable && c->connected && !c->closing && c->out.idle() && !c->worker.stopping())
    pool_.put(c);
  else
    c->close();
}

}  // namespace faultline::proxy
