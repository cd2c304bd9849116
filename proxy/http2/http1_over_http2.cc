#include "proxy/http2/http1_over_http2.h"

#include <llhttp.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "config/ascii.h"
#include "proxy/http/status_reason.h"
#include "proxy/http2/forwarded_fields.h"
#include "proxy/http2/header_list.h"
#include "proxy/http2/nghttp2_memory.h"
#include "proxy/http2/nv.h"
#include "proxy/log.h"

namespace faultline::proxy {
namespace {

constexpr size_t kHighWater = 64 * 1024;
constexpr size_t kReadSize = 64 * 1024;

class Http1OverHttp2 final : public TransportLayer {
 public:
  Http1OverHttp2(Transport& transport, TransportLayer* inner, uint32_t window,
                 const std::string& default_authority)
      : transport_(transport),
        inner_(inner),
        window_(window),
        default_authority_(default_authority) {
    uv_timer_init(transport.loop(), &timer_);
    timer_.data = this;
    write_req_.data = this;
    llhttp_init(&parser_, HTTP_REQUEST, &request_settings());
    parser_.data = this;
  }
  ~Http1OverHttp2() override {
    if (ng_) nghttp2_session_del(ng_);
  }

  int read_start(uv_alloc_cb alloc_cb, uv_read_cb read_cb) override {
    alloc_cb_ = alloc_cb;
    read_cb_ = read_cb;
    session_reading_ = true;
    schedule();  // what is waiting goes to the session from the loop, never from inside this call
    return 0;
  }
  int read_stop() override {
    session_reading_ = false;
    return 0;
  }
  // Every write goes through write(): its completion is what holds the session back.
  int try_write(const uv_buf_t*, unsigned) override { return UV_EAGAIN; }
  int write(uv_write_t* req, const uv_buf_t* bufs, unsigned nbufs, uv_write_cb cb) override {
    req->handle = transport_.stream();
    for (unsigned i = 0; i < nbufs && failed_ == 0; ++i) feed(bufs[i].base, bufs[i].len);
    writes_.push_back({req, cb, body_in_});
    if (stream_id_ > 0 && has_body_) nghttp2_session_resume_data(ng_, stream_id_);
    pump();
    schedule();
    return 0;
  }
  int shutdown(uv_shutdown_t* req, uv_shutdown_cb cb) override {
    // Only a tunnel half-closes, and no tunnel runs over HTTP/2: nothing to end.
    req->handle = transport_.stream();
    shutdowns_.push_back({req, cb});
    schedule();
    return 0;
  }
  void connected(uv_connect_t* req, uv_connect_cb cb) override {
    connect_cb_ = cb;
    if (inner_) {
      inner_->connected(req, on_inner_connected);
      return;
    }
    start(req);
  }
  void detach() override {
    detached_ = true;
    if (inner_) {
      inner_->detach();  // frees itself; calls nothing back any more
      inner_ = nullptr;
    } else if (writing_) {
      ++pending_frees_;  // the socket's close cancels the write, whose callback comes after ours
    }
    ++pending_frees_;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
             [](uv_handle_t* h) { static_cast<Http1OverHttp2*>(h->data)->freed_one(); });
  }
  bool handshake_done() const override { return inner_ ? inner_->handshake_done() : true; }
  std::string_view alpn() const override { return inner_ ? inner_->alpn() : std::string_view(); }
  TransportLayer* inner() const override { return inner_; }

 private:
  struct PendingWrite {
    uv_write_t* req;
    uv_write_cb cb;
    uint64_t body_end;  // body_in_ after this write's bytes: complete once body_taken_ reaches it
  };
  struct PendingShutdown {
    uv_shutdown_t* req;
    uv_shutdown_cb cb;
  };

  static Http1OverHttp2* of(uv_handle_t* handle) {
    return static_cast<Http1OverHttp2*>(Transport::from(handle)->layer());
  }
  void freed_one() {
    if (--pending_frees_ == 0) delete this;
  }

  // ---------------------------------------------------------------- connection

  static void on_inner_connected(uv_connect_t* req, int status) {
    auto* self = of(reinterpret_cast<uv_handle_t*>(req->handle));
    if (status == 0 && self->inner_->alpn() != "h2") {
      log::http().warn(
          "upstream TLS: the server did not agree on HTTP/2 (ALPN h2; it chose \"{}\")",
          self->inner_->alpn());
      status = UV_EPROTO;
    }
    if (status != 0) {
      self->connect_cb_(req, status);
      return;
    }
    self->start(req);
  }

  void start(uv_connect_t* req) {
    static nghttp2_session_callbacks* callbacks = make_callbacks();
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    nghttp2_option_set_no_auto_window_update(option, 1);
    nghttp2_session_client_new3(&ng_, callbacks, this, option, Nghttp2Memory::get());
    nghttp2_option_del(option);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window_},
    };
    nghttp2_submit_settings(ng_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    // One stream at a time, bounded by its window: the connection's window never needs to bind.
    nghttp2_session_set_local_window_size(ng_, NGHTTP2_FLAG_NONE, 0, 1 << 30);
    const int rc = inner_ ? inner_->read_start(on_socket_alloc, on_socket_read)
                          : uv_read_start(transport_.stream(), on_socket_alloc, on_socket_read);
    if (rc != 0) {
      connect_cb_(req, rc);
      return;
    }
    pump();
    connect_cb_(req, failed_);
  }

  // ---------------------------------------------------------------- request (session -> h2)

  void feed(const char* p, size_t n) {
    const llhttp_errno_t err = llhttp_execute(&parser_, p, n);
    if (err != HPE_OK && failed_ == 0) fail(UV_EPROTO);
  }

  static const llhttp_settings_t& request_settings() {
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t s;
      llhttp_settings_init(&s);
      s.on_url = on_url;
      s.on_header_field = on_field;
      s.on_header_value = on_value;
      s.on_header_value_complete = on_field_done;
      s.on_headers_complete = on_headers_complete;
      s.on_body = on_body;
      s.on_message_complete = on_message_complete;
      return s;
    }();
    return settings;
  }
  static Http1OverHttp2* of(llhttp_t* p) { return static_cast<Http1OverHttp2*>(p->data); }
  static int on_url(llhttp_t* p, const char* at, size_t n) {
    of(p)->target_.append(at, n);
    return 0;
  }
  // llhttp hands a name and a value in pieces; the field goes into its list once complete.
  static int on_field(llhttp_t* p, const char* at, size_t n) {
    auto* self = of(p);
    for (size_t i = 0; i < n; ++i) self->name_ += config::ascii_lower(at[i]);  // HTTP/2: lower
    return 0;
  }
  static int on_value(llhttp_t* p, const char* at, size_t n) {
    of(p)->value_.append(at, n);
    return 0;
  }
  static int on_field_done(llhttp_t* p) {
    auto* self = of(p);
    (self->in_trailers_ ? self->trailers_ : self->head_fields_)
        .emplace_back(self->name_, self->value_);
    self->name_.clear();
    self->value_.clear();
    return 0;
  }
  static int on_headers_complete(llhttp_t* p) {
    auto* self = of(p);
    self->submit_request();
    self->head_fields_.clear();
    self->in_trailers_ = true;  // fields from here on are the chunked body's trailers
    return 0;
  }
  static int on_body(llhttp_t* p, const char* at, size_t n) {
    auto* self = of(p);
    self->body_in_ += n;
    if (self->request_cut_)  // the upstream ended the stream early: the rest is dropped
      self->body_taken_ += n;
    else
      self->body_.append(at, n);
    return 0;
  }
  static int on_message_complete(llhttp_t* p) {
    auto* self = of(p);
    self->request_done_ = true;
    self->target_.clear();
    self->in_trailers_ = false;
    if (self->stream_id_ > 0 && self->has_body_)
      nghttp2_session_resume_data(self->ng_, self->stream_id_);
    return 0;
  }

  void submit_request() {
    head_request_ = parser_.method == HTTP_HEAD;
    if (ng_ == nullptr || stream_id_ != 0 || goaway_) {
      fail(UV_ECONNRESET);  // refused: the session sends it again on a fresh connection
      return;
    }
    std::string_view method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
    std::string_view target = target_, authority, path = target;
    const std::string_view scheme = inner_ ? "https" : "http";
    if (config::ascii_istarts_with(target, "http://") ||
        config::ascii_istarts_with(target, "https://")) {  // absolute-form
      const std::string_view rest = target.substr(target.find("://") + 3);
      const size_t slash = rest.find('/');
      authority = rest.substr(0, slash);
      path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    }
    std::vector<nghttp2_nv> nva;
    nva.reserve(head_fields_.size() + 4);
    nva.push_back(nv(":method", method));
    nva.push_back(nv(":scheme", scheme));
    nva.push_back(nv(":path", path));
    for (const auto [name, value] : head_fields_) {
      if (name == "host") {
        if (authority.empty()) authority = value;
        continue;
      }
      if (connection_specific_field(name, value)) continue;
      nva.push_back(nv(name, value));
    }
    // HTTP/2 servers refuse a request without one (an HTTP/1.0 client may send no Host).
    if (authority.empty()) authority = default_authority_;
    nva.insert(nva.begin() + 3, nv(":authority", authority));

    request_done_ = false;
    has_body_ = (parser_.flags & F_CHUNKED) != 0 || parser_.content_length > 0;
    response_done_ = final_seen_ = chunked_ = trailers_seen_ = request_cut_ = false;
    trailers_.clear();
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = read_body;
    const int32_t id = nghttp2_submit_request(ng_, nullptr, nva.data(), nva.size(),
                                              has_body_ ? &provider : nullptr, nullptr);
    if (id < 0) {
      fail(UV_ECONNRESET);
      return;
    }
    stream_id_ = id;
  }

  static ssize_t read_body(nghttp2_session* ng, int32_t, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void* user) {
    auto* self = static_cast<Http1OverHttp2*>(user);
    const size_t waiting = self->body_.size() - self->body_off_;
    if (waiting == 0) {
      if (!self->request_done_) return NGHTTP2_ERR_DEFERRED;
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      self->submit_trailers(ng, flags);
      return 0;
    }
    if (self->queued() >= kHighWater) return NGHTTP2_ERR_DEFERRED;  // on_socket_written resumes
    const size_t n = std::min(length, waiting);
    std::memcpy(buf, self->body_.data() + self->body_off_, n);
    self->body_off_ += n;
    self->body_taken_ += n;
    if (self->body_off_ == self->body_.size()) {
      self->body_.clear();
      self->body_off_ = 0;
      if (self->request_done_) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        self->submit_trailers(ng, flags);
      }
    }
    return static_cast<ssize_t>(n);
  }

  void submit_trailers(nghttp2_session* ng, uint32_t* flags) {
    std::vector<nghttp2_nv> nva;
    for (const auto [name, value] : trailers_)
      if (!connection_specific_field(name, value)) nva.push_back(nv(name, value));
    if (nva.empty()) return;
    // nghttp2 copies the fields at once.
    if (nghttp2_submit_trailer(ng, stream_id_, nva.data(), nva.size()) == 0)
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  }

  // ---------------------------------------------------------------- response (h2 -> session)

  static nghttp2_session_callbacks* make_callbacks() {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    return cb;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Http1OverHttp2*>(user);
    if (frame->hd.stream_id != self->stream_id_) return 0;
    self->fields_.clear();
    self->status_ = 0;
    self->has_length_ = false;
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* self = static_cast<Http1OverHttp2*>(user);
    if (frame->hd.stream_id != self->stream_id_) return 0;
    const std::string_view n(reinterpret_cast<const char*>(name), namelen);
    const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      for (char c : v) self->status_ = self->status_ * 10 + (c - '0');  // nghttp2 checked it
      return 0;
    }
    if (n.starts_with(':') || connection_specific_field(n, v)) return 0;
    if (n == "content-length") self->has_length_ = true;
    self->fields_.append(n).append(": ").append(v).append("\r\n");
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Http1OverHttp2*>(user);
    const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      self->goaway_ = true;
      if (self->stream_id_ == 0) self->end(UV_EOF);  // idle (pooled): the pool lets it go
      return 0;
    }
    if (frame->hd.stream_id == 0 || frame->hd.stream_id != self->stream_id_) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS) {
      if (!self->final_seen_)
        self->response_head(end);
      else
        self->response_trailers();
    }
    if (end) self->response_complete();
    return 0;
  }

  void response_head(bool end_stream) {
    if (status_ >= 100 && status_ < 200) {
      if (status_ == 101) {  // not in HTTP/2 (RFC 9113 §8.6)
        nghttp2_submit_rst_stream(ng_, NGHTTP2_FLAG_NONE, stream_id_, NGHTTP2_PROTOCOL_ERROR);
        return;
      }
      status_line();
      out_.append(fields_).append("\r\n");
      return;
    }
    final_seen_ = true;
    const bool no_body = head_request_ || status_ == 204 || status_ == 304;
    status_line();
    out_.append(fields_);
    if (!no_body && !has_length_) {
      if (end_stream)
        out_.append("content-length: 0\r\n");
      else
        chunked_ = true, out_.append("transfer-encoding: chunked\r\n");
    }
    out_.append("\r\n");
  }

  void status_line() {
    out_.append("HTTP/1.1 ").append(std::to_string(status_)).append(" ");
    out_.append(reason_phrase(status_)).append("\r\n");
  }

  void response_trailers() {
    if (!chunked_) return;  // after a content-length body HTTP/1.1 has no place for them
    out_.append("0\r\n").append(fields_).append("\r\n");
    trailers_seen_ = true;
  }

  static int on_data_chunk(nghttp2_session* ng, uint8_t, int32_t stream_id, const uint8_t* data,
                           size_t len, void* user) {
    auto* self = static_cast<Http1OverHttp2*>(user);
    nghttp2_session_consume_connection(ng, len);
    if (stream_id != self->stream_id_ || !self->final_seen_) {
      nghttp2_session_consume_stream(ng, stream_id, len);
      return 0;
    }
    if (self->chunked_) {
      char size[24];
      const int n = std::snprintf(size, sizeof size, "%zx\r\n", len);
      self->out_.append(size, static_cast<size_t>(n));
    }
    self->out_.append(reinterpret_cast<const char*>(data), len);
    if (self->chunked_) self->out_.append("\r\n");
    self->unconsumed_ += len;  // back to the window once the session took it (deliver)
    return 0;
  }

  void response_complete() {
    if (response_done_ || !final_seen_) return;
    response_done_ = true;
    if (chunked_ && !trailers_seen_) out_.append("0\r\n\r\n");
  }

  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) {
    auto* self = static_cast<Http1OverHttp2*>(user);
    if (stream_id != self->stream_id_) return 0;
    self->stream_id_ = 0;
    self->unconsumed_ = 0;
    if (!self->response_done_) {
      // Reset or refused before the response was complete: to the session, a reset connection
      // (sent again on a fresh one when nothing but the head went out, else a 502 or a cut).
      log::http().debug("upstream HTTP/2 stream ended before its response (code {})", error_code);
      self->fail(UV_ECONNRESET);
      return 0;
    }
    if (!self->request_done_) {
      // Answered before the request ended (RST_STREAM(NO_ERROR), RFC 9113 §8.1): the rest of
      // the body has nowhere to go.
      self->request_cut_ = true;
      self->body_taken_ = self->body_in_;
      self->body_.clear();
      self->body_off_ = 0;
    }
    return 0;
  }

  // ---------------------------------------------------------------- socket

  static void on_socket_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
    // nghttp2 takes what it needs from the bytes at once. On the heap, made on first use: a
    // thread_local array would be zeroed in every thread at its start (idle RSS).
    static thread_local std::unique_ptr<char[]> raw(new char[kReadSize]);
    *buf = uv_buf_init(raw.get(), kReadSize);
  }

  static void on_socket_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* self = of(reinterpret_cast<uv_handle_t*>(s));
    if (self->detached_ || nread == 0) return;
    if (nread < 0) {
      if (!self->inner_) uv_read_stop(s);
      self->end(static_cast<int>(nread));
    } else if (nghttp2_session_mem_recv(self->ng_, reinterpret_cast<const uint8_t*>(buf->base),
                                        static_cast<size_t>(nread)) < 0) {
      log::http().debug("upstream HTTP/2 protocol error");
      self->fail(UV_EPROTO);
    }
    self->pump();
    self->service();
  }

  size_t queued() const { return pending_.size() + inflight_.size(); }

  // Sends what nghttp2 has to send.
  void pump() {
    if (ng_ == nullptr || detached_) return;
    while (failed_ == 0 && pending_.size() < kHighWater) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(ng_, &data);
      if (n < 0) {
        fail(UV_EPROTO);
        break;
      }
      if (n == 0) break;
      pending_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    write_socket();
  }

  void write_socket() {
    if (writing_ || pending_.empty() || detached_) return;
    uv_buf_t buf = uv_buf_init(pending_.data(), static_cast<unsigned>(pending_.size()));
    const int n = inner_ ? inner_->try_write(&buf, 1) : uv_try_write(transport_.stream(), &buf, 1);
    if (n == static_cast<int>(pending_.size())) {
      pending_.clear();
      return;
    }
    if (n < 0 && n != UV_EAGAIN) {
      fail(n);
      return;
    }
    // On UV_EAGAIN a TLS layer may hold the bytes already: the write below carries exactly them.
    if (n > 0) pending_.erase(0, static_cast<size_t>(n));
    inflight_.swap(pending_);
    pending_.clear();
    buf = uv_buf_init(inflight_.data(), static_cast<unsigned>(inflight_.size()));
    const int rc = inner_ ? inner_->write(&write_req_, &buf, 1, on_socket_written)
                          : uv_write(&write_req_, transport_.stream(), &buf, 1, on_socket_written);
    if (rc != 0) {
      inflight_.clear();
      fail(rc);
      return;
    }
    writing_ = true;
  }

  static void on_socket_written(uv_write_t* req, int status) {
    auto* self = static_cast<Http1OverHttp2*>(req->data);
    self->writing_ = false;
    self->inflight_.clear();
    if (self->detached_) {
      self->freed_one();
      return;
    }
    if (status != 0) self->fail(status);
    if (self->stream_id_ > 0 && self->has_body_)
      nghttp2_session_resume_data(self->ng_, self->stream_id_);
    self->pump();
    self->service();
  }

  // ---------------------------------------------------------------- to the session

  void fail(int status) {
    if (failed_ == 0) failed_ = status;
    end(status);
  }
  void end(int status) {
    if (end_status_ == 0) end_status_ = status;
    schedule();
  }

  void schedule() {
    if (!detached_) uv_timer_start(&timer_, on_timer, 0, 0);
  }
  static void on_timer(uv_timer_t* t) { static_cast<Http1OverHttp2*>(t->data)->service(); }

  // Completes the session's writes and shutdowns that are done and hands it what it may read.
  // Each callback may close the connection (detach): nothing runs after one that did.
  void service() {
    while (!writes_.empty() && !detached_) {
      const PendingWrite w = writes_.front();
      const bool done = body_taken_ >= w.body_end && queued() < kHighWater;
      if (failed_ == 0 && !done) break;
      writes_.pop_front();
      w.cb(w.req, failed_);
    }
    while (!shutdowns_.empty() && !detached_) {
      const PendingShutdown s = shutdowns_.front();
      shutdowns_.pop_front();
      s.cb(s.req, 0);
    }
    deliver();
  }

  void deliver() {
    while (session_reading_ && !detached_ && out_off_ < out_.size()) {
      uv_buf_t buf;
      alloc_cb_(transport_.handle(), kReadSize, &buf);
      const size_t n = std::min<size_t>(buf.len, out_.size() - out_off_);
      std::memcpy(buf.base, out_.data() + out_off_, n);
      out_off_ += n;
      if (out_off_ == out_.size()) {
        out_.clear();
        out_off_ = 0;
      }
      read_cb_(transport_.stream(), static_cast<ssize_t>(n), &buf);
    }
    if (detached_) return;
    if (out_off_ == out_.size() && end_status_ != 0 && !end_delivered_ && session_reading_) {
      end_delivered_ = true;
      uv_buf_t none = uv_buf_init(nullptr, 0);
      read_cb_(transport_.stream(), end_status_, &none);
      return;
    }
    // The upstream may send more once the session took what it sent.
    if (unconsumed_ > 0 && out_.size() - out_off_ < kHighWater && stream_id_ > 0) {
      nghttp2_session_consume_stream(ng_, stream_id_, unconsumed_);
      unconsumed_ = 0;
      pump();
    }
  }

  Transport& transport_;
  TransportLayer* inner_;  // TLS, or null: the socket itself
  const uint32_t window_;
  const std::string default_authority_;  // the configured upstream, host:port (a copy: a pooled
                                         // connection may outlive its configuration)
  uv_timer_t timer_{};
  int pending_frees_ = 0;
  bool detached_ = false;
  uv_connect_cb connect_cb_ = nullptr;
  nghttp2_session* ng_ = nullptr;
  int32_t stream_id_ = 0;  // the stream in flight; 0: none
  bool goaway_ = false;
  int failed_ = 0;      // the error every further write completes with
  int end_status_ = 0;  // EOF or the error the session reads once out_ is empty
  bool end_delivered_ = false;

  // Session side.
  uv_alloc_cb alloc_cb_ = nullptr;
  uv_read_cb read_cb_ = nullptr;
  bool session_reading_ = false;
  std::deque<PendingWrite> writes_;
  std::deque<PendingShutdown> shutdowns_;

  // Request parsing.
  llhttp_t parser_{};
  std::string target_;
  std::string name_, value_;  // the field being received
  HeaderList head_fields_;    // the request head's, until submitted
  HeaderList trailers_;       // a chunked body's, until they follow its last DATA
  bool in_trailers_ = false;
  bool head_request_ = false;
  bool has_body_ = false;
  bool request_done_ = true;
  bool request_cut_ = false;
  std::string body_;  // de-chunked request body not yet in DATA frames
  size_t body_off_ = 0;
  uint64_t body_in_ = 0;     // body bytes the session wrote
  uint64_t body_taken_ = 0;  // of those, bytes that went into DATA frames

  // Response translation.
  std::string fields_;  // "name: value\r\n" of the header block being received
  int status_ = 0;
  bool has_length_ = false;
  bool final_seen_ = false;
  bool chunked_ = false;
  bool trailers_seen_ = false;
  bool response_done_ = false;
  std::string out_;  // HTTP/1.1 bytes for the session
  size_t out_off_ = 0;
  size_t unconsumed_ = 0;  // response DATA bytes not yet given back to the stream's window

  // Socket writes.
  std::string pending_;   // frames not yet written
  std::string inflight_;  // frames of the write in flight
  uv_write_t write_req_{};
  bool writing_ = false;
};

class Http1OverHttp2Factory final : public TransportLayerFactory {
 public:
  Http1OverHttp2Factory(std::shared_ptr<TransportLayerFactory> tls, uint32_t window,
                        std::string authority)
      : tls_(std::move(tls)), window_(window), authority_(std::move(authority)) {}
  TransportLayer* make(Transport& transport, TransportCounters& counters) override {
    TransportLayer* inner = tls_ ? tls_->make(transport, counters) : nullptr;
    return new Http1OverHttp2(transport, inner, window_, authority_);
  }

 private:
  std::shared_ptr<TransportLayerFactory> tls_;
  const uint32_t window_;
  const std::string authority_;
};

}  // namespace

std::shared_ptr<TransportLayerFactory> make_http1_over_http2(
    std::shared_ptr<TransportLayerFactory> tls, uint32_t initial_window,
    std::string default_authority) {
  return std::make_shared<Http1OverHttp2Factory>(std::move(tls), initial_window,
                                                 std::move(default_authority));
}

}  // namespace faultline::proxy
