#include "proxy/http2/session.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "config/ascii.h"
#include "proxy/fault_decision.h"
#include "proxy/http/grpc.h"
#include "proxy/http2/forwarded_fields.h"
#include "proxy/http2/h1_exchange.h"
#include "proxy/http2/nghttp2_memory.h"
#include "proxy/http2/nv.h"
#include "proxy/io/timer_at_least.h"
#include "proxy/log.h"
#include "proxy/request_record.h"
#include "proxy/worker.h"

namespace faultline::proxy {

namespace {

uint64_t now_us() {
  return uv_hrtime() / 1000;
}

// A field of a stream's HeaderList (req_headers, resp_headers), which nghttp2 reads in place
// instead of copying: those lists do not change once submitted, and the stream outlives its
// frames (it is freed once both of its nghttp2 streams closed, after their HEADERS went out or
// were dropped; or with the sessions, which are deleted first).
nghttp2_nv nv_in_place(std::string_view name, std::string_view value) {
  nghttp2_nv field = nv(name, value);
  field.flags = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
  return field;
}

// The batch of frames pump() is making for one socket: one buffer for every session of this
// worker thread (a write copies what the socket does not take at once), so no allocation once
// it has grown to a batch's size. send_response_data() adds DATA frames to it in place.
std::string& frame_batch() {
  static thread_local std::string batch;
  return batch;
}

// The field array of one submit (nghttp2 copies the array itself): one per worker thread,
// reused, so that a submit allocates nothing of ours.
std::vector<nghttp2_nv>& field_array() {
  static thread_local std::vector<nghttp2_nv> fields;
  fields.clear();
  return fields;
}

// The number a field value starts with (":status", "grpc-status"), read as atoi would; 0 if none.
int leading_int(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  int n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

// What nghttp2 enforces itself: past it, a connection error. Ours (`limit`) comes first.
uint32_t nghttp2_streams_limit(uint32_t limit) {
  return limit * 2 + 16;
}

// Rewrites SETTINGS_MAX_CONCURRENT_STREAMS in the server's first SETTINGS frame, at the start
// of `bytes` (nghttp2 sends it before anything else), to `limit`.
void advertise_streams_limit(std::string& bytes, uint32_t limit) {
  if (bytes.size() < 9 || bytes[3] != NGHTTP2_SETTINGS || (bytes[4] & NGHTTP2_FLAG_ACK)) return;
  const size_t length = (size_t{static_cast<uint8_t>(bytes[0])} << 16) |
                        (size_t{static_cast<uint8_t>(bytes[1])} << 8) |
                        static_cast<uint8_t>(bytes[2]);
  if (bytes.size() < 9 + length) return;
  for (size_t at = 9; at + 6 <= 9 + length; at += 6) {
    const uint16_t id = static_cast<uint16_t>((static_cast<uint8_t>(bytes[at]) << 8) |
                                              static_cast<uint8_t>(bytes[at + 1]));
    if (id != NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) continue;
    for (int i = 0; i < 4; ++i)
      bytes[at + 2 + i] = static_cast<char>((limit >> (24 - 8 * i)) & 0xff);
  }
}

}  // namespace

// ---------------------------------------------------------------- lifecycle

Http2Session::Http2Session(Worker& worker, WorkerListener& listener, UpstreamPool& http1_pool)
    : worker_(worker),
      listener_(listener),
      http1_pool_(http1_pool),
      snapshot_(worker.snapshot()),
      client_(worker.loop(), *this),
      upstream_(worker.loop(), *this) {}

Http2Session::~Http2Session() = default;

void Http2Session::start(int fd, std::string_view bytes, uint32_t slot) {
  begin(slot);
  if (client_.open(fd) != 0) {
    close();
    return;
  }
  serve(bytes);
}

void Http2Session::start(std::unique_ptr<Transport> transport, std::string_view bytes,
                         uint32_t slot) {
  begin(slot);
  client_.adopt(std::move(transport));
  serve(bytes);
}

void Http2Session::begin(uint32_t slot) {
  conn_timer_.init(worker_.loop(), this, on_conn_timer);
  uv_timer_init(worker_.loop(), &up_timer_);
  up_timer_.data = this;
  worker_.add(this);
  listener_slot = slot;  // not accepted here: the HTTP/1.1 session's listener
  listener_.stats.connection_opened();
}

void Http2Session::serve(std::string_view bytes) {
  client_.peer(peer_);
  format_address(reinterpret_cast<const sockaddr*>(&peer_), client_addr_, sizeof client_addr_);

  const auto& cfg = snapshot_->config->listeners[listener_.index];
  static nghttp2_session_callbacks* callbacks = make_callbacks();
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  // Windows are given back by hand: a stream's only once its bytes were forwarded.
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_session_server_new3(&server_, callbacks, this, option, Nghttp2Memory::get());
  nghttp2_session_client_new3(&up_, callbacks, this, option, Nghttp2Memory::get());
  nghttp2_option_del(option);

  const uint32_t window = static_cast<uint32_t>(cfg.h2_initial_window.bytes);
  // nghttp2 1.52 ends the connection (GOAWAY PROTOCOL_ERROR) when a client exceeds the limit
  // it acknowledged; SPEC §8 wants that stream refused (RFC 9113 §5.1.2 allows either). So
  // nghttp2 is told a looser limit, the client sees the configured one (patched into our first
  // SETTINGS frame on its way out) and on_begin_headers refuses the streams beyond it.
  max_streams_ = cfg.h2_max_concurrent_streams;
  const nghttp2_settings_entry to_client[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, nghttp2_streams_limit(max_streams_)},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(cfg.max_header_bytes.bytes)},
  };
  nghttp2_submit_settings(server_, NGHTTP2_FLAG_NONE, to_client, std::size(to_client));
  const nghttp2_settings_entry to_upstream[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
  };
  nghttp2_submit_settings(up_, NGHTTP2_FLAG_NONE, to_upstream, std::size(to_upstream));
  // The connection windows are released at once, so they never bound memory: the streams'
  // windows do. A large one keeps a busy connection from waiting on WINDOW_UPDATEs.
  const int32_t conn_window = static_cast<int32_t>(
      std::min<uint64_t>(uint64_t{window} * cfg.h2_max_concurrent_streams, 1u << 30));
  nghttp2_session_set_local_window_size(server_, NGHTTP2_FLAG_NONE, 0, conn_window);
  nghttp2_session_set_local_window_size(up_, NGHTTP2_FLAG_NONE, 0, conn_window);

  client_.set_reading(true);
  arm_idle_timer();
  socket_read(client_, bytes.data(), bytes.size());
  if (!closing_ && worker_.draining()) drain();
}

void Http2Session::close(bool reset) {
  if (closing_) return;
  closing_ = true;
  for (auto& [id, s] : streams_) {
    if (!s->client_closed) listener_.stats.h2_stream_closed();
    finish_record(*s);
  }
  // The nghttp2 sessions go before the streams they point at.
  nghttp2_session_del(server_);
  nghttp2_session_del(up_);
  server_ = up_ = nullptr;
  streams_.clear();
  worker_.remove(this);
  listener_.stats.connection_closed();
  worker_.shared().active[listener_.index].fetch_sub(1, std::memory_order_relaxed);
  pending_closes_ = 2;
  if (client_.close(reset)) ++pending_closes_;
  if (upstream_.close()) ++pending_closes_;
  auto on_timer_closed = [](uv_handle_t* h) { static_cast<Http2Session*>(h->data)->closed_one(); };
  uv_close(conn_timer_.handle(), on_timer_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&up_timer_), on_timer_closed);
}

void Http2Session::closed_one() {
  if (--pending_closes_ == 0) worker_.retire(this);
}

void Http2Session::socket_closed(H2Socket&) {
  closed_one();
}

void Http2Session::drain() {
  if (closing_ || draining_) return;
  draining_ = true;
  // GOAWAY with the last stream we processed: open streams finish, new ones go elsewhere.
  nghttp2_submit_goaway(server_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(server_), NGHTTP2_NO_ERROR, nullptr,
                        0);
  goaway_sent_ = true;
  pump();
}

void Http2Session::abort() {
  close();
}

void Http2Session::release_faults() {
  if (closing_) return;
  std::vector<int32_t> ids;
  for (auto& [id, s] : streams_) ids.push_back(id);
  for (int32_t id : ids) {
    auto it = streams_.find(id);
    if (it == streams_.end()) continue;
    H2Stream& s = *it->second;
    s.executor.release();
    if (s.upload_waiting) {
      uv_timer_stop(s.upload_timer);
      s.upload_waiting = false;
      upstream_request_more(s);
    }
    H2Stream::Wait wait = s.wait;
    if (wait == H2Stream::Wait::kNone) continue;
    s.wait = H2Stream::Wait::kNone;
    if (s.timer) uv_timer_stop(s.timer);
    s.latency_wait.cancel();
    if (s.fault_since_us) s.fault_us += now_us() - s.fault_since_us;
    s.fault_since_us = 0;
    if (wait == H2Stream::Wait::kResponseDelay)
      submit_response_head(s);
    else if (wait == H2Stream::Wait::kBandwidth || wait == H2Stream::Wait::kSlowClose)
      nghttp2_session_resume_data(server_, s.id);
    else
      forward(s);
  }
  pump();
}

void Http2Session::header_block_done() {
  if (header_since_ms_ == 0) return;
  header_since_ms_ = 0;
  arm_idle_timer();
}

// The timer of both timeouts is lazy (LazyTimer): a read or a complete header block moves its
// due time later, which costs no libuv timer update. It is armed for a header block's timeout
// (which counts from the block's first frame) after the read that leaves the block incomplete,
// not as the block begins: most end within the read they began in.
void Http2Session::arm_idle_timer() {
  const auto& cfg = snapshot_->config->listeners[listener_.index];
  uint64_t ms = static_cast<uint64_t>(cfg.idle_timeout.count());
  if (header_since_ms_ != 0) {
    const uint64_t due = header_since_ms_ + static_cast<uint64_t>(cfg.header_timeout.count());
    const uint64_t now = uv_now(worker_.loop());
    ms = std::min(ms, due > now ? due - now : 0);
  }
  conn_timer_.start(ms);
}

// Idle: no stream open for idle_timeout. Header timeout: a header block (HEADERS and its
// CONTINUATIONs) not complete header_timeout after it began; nghttp2 holds the rest of the
// connection behind it, so the connection ends. Either way: GOAWAY, then close once it is out.
void Http2Session::on_conn_timer(uv_timer_t* t) {
  auto* self = static_cast<Http2Session*>(t->data);
  if (self->closing_) return;
  const auto& cfg = self->snapshot_->config->listeners[self->listener_.index];
  if (self->header_since_ms_ != 0 && uv_now(self->worker_.loop()) - self->header_since_ms_ >=
                                         static_cast<uint64_t>(cfg.header_timeout.count())) {
    log::http().debug("http2: a header block took longer than header_timeout; closing");
    nghttp2_session_terminate_session(self->server_, NGHTTP2_NO_ERROR);
    self->pump();
    return;
  }
  if (!self->streams_.empty()) {
    self->arm_idle_timer();
    return;
  }
  nghttp2_session_terminate_session(self->server_, NGHTTP2_NO_ERROR);
  self->pump();
}

// ---------------------------------------------------------------- sockets

void Http2Session::socket_read(H2Socket& socket, const char* p, size_t n) {
  if (closing_) return;
  const bool from_client = &socket == &client_;
  nghttp2_session* ng = from_client ? server_ : up_;
  ssize_t rv = nghttp2_session_mem_recv(ng, reinterpret_cast<const uint8_t*>(p), n);
  if (rv < 0) {
    log::http().debug("http2: the {} sent bytes nghttp2 refuses: {}",
                      from_client ? "client" : "upstream", nghttp2_strerror(static_cast<int>(rv)));
    if (from_client) {
      close();
      return;
    }
    upstream_failed(false);
  }
  if (closing_) return;
  if (from_client) arm_idle_timer();  // idle from now, or sooner a header block left incomplete
  pump();
}

void Http2Session::socket_ended(H2Socket& socket, int) {
  if (closing_) return;
  if (&socket == &client_) {
    close();
    return;
  }
  upstream_failed(false);
  pump();
}

void Http2Session::socket_written(H2Socket&) {
  pump();
}

void Http2Session::socket_connected(H2Socket&, int status) {
  if (closing_) return;
  uv_timer_stop(&up_timer_);
  if (status == 0 && snapshot_->upstream_h2_layer(listener_.index) && upstream_.alpn() != "h2") {
    // Speaking HTTP/2 to a TLS server that did not agree on it would only get its error page
    // or a reset: the upstream fails like one that refused the connection.
    log::http().warn("upstream TLS: the server did not agree on HTTP/2 (ALPN h2; it chose \"{}\")",
                     upstream_.alpn());
    status = UV_EPROTO;
  }
  if (status != 0) {
    listener_.stats.upstream_errors_connect.fetch_add(1, std::memory_order_relaxed);
    upstream_failed(false);
  } else {
    up_connected_ = true;
    upstream_.set_reading(true);
  }
  pump();
}

void Http2Session::on_up_timer(uv_timer_t* t) {
  auto* self = static_cast<Http2Session*>(t->data);
  if (self->closing_ || self->up_connected_) return;
  self->listener_.stats.upstream_errors_timeout.fetch_add(1, std::memory_order_relaxed);
  self->upstream_failed(true);
  self->pump();
}

void Http2Session::connect_upstream() {
  if (upstream_.is_active() || up_failed_) return;
  const auto& address = snapshot_->upstreams[listener_.index];
  // [listeners.upstream_tls]: TLS offering ALPN h2 (SNI, verification and resumption as for
  // HTTP/1.1 upstream connections).
  int rc = upstream_.connect(reinterpret_cast<const sockaddr*>(&address.addr),
                             snapshot_->upstream_h2_layer(listener_.index),
                             &listener_.stats.upstream_tls);
  if (rc != 0) {
    listener_.stats.upstream_errors_connect.fetch_add(1, std::memory_order_relaxed);
    up_failed_ = true;
    return;
  }
  const auto& cfg = snapshot_->config->listeners[listener_.index];
  start_timer_at_least(&up_timer_, on_up_timer, static_cast<uint64_t>(cfg.connect_timeout.count()));
}

// The upstream connection is gone (refused, timed out, reset, GOAWAY'd to the end): streams
// waiting on it get 502/504 (gRPC: UNAVAILABLE), streams mid-response are reset, and the
// client gets a GOAWAY so that its next calls go over a new connection (and a new upstream).
void Http2Session::upstream_failed(bool timeout) {
  if (up_failed_ && !upstream_.is_active()) return;
  up_failed_ = true;
  std::vector<int32_t> ids;
  for (auto& [id, s] : streams_)
    if (s->up_id >= 0 && !s->up_closed) ids.push_back(id);
  for (int32_t id : ids) {
    auto it = streams_.find(id);
    if (it != streams_.end()) fail_stream(*it->second, timeout);
  }
  upstream_.close();
  if (!draining_ && server_) drain();
}

void Http2Session::fail_stream(H2Stream& s, bool timeout) {
  s.up_closed = true;
  if (s.client_closed) {
    maybe_free(s);
    return;
  }
  if (!s.resp_submitted) {
    if (s.grpc)
      grpc_trailers_only(s, timeout ? 4 : 14,
                         timeout ? "upstream connect timeout" : "upstream unavailable");
    else
      respond_local(s, timeout ? 504 : 502,
                    timeout ? "upstream connect timeout\n" : "upstream unavailable\n", false);
  } else if (!s.resp_end) {
    reset_stream(s, NGHTTP2_INTERNAL_ERROR);
  }
}

// Sends what the nghttp2 sessions have queued, up to kHighWater per socket; closes the
// connection once the client side has nothing left to read or write.
void Http2Session::pump() {
  if (in_pump_ || closing_) return;
  in_pump_ = true;
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds && !closing_; ++round) {
    bool produced = false;
    for (int side = 0; side < 2; ++side) {
      H2Socket& socket = side == 0 ? client_ : upstream_;
      nghttp2_session* ng = side == 0 ? server_ : up_;
      if (side == 1 && !up_connected_) continue;
      if (!socket.is_open()) continue;
      std::string& batch = frame_batch();
      batch.clear();
      bool dry = false;  // nghttp2 has nothing more to send (else: the high-water mark)
      while (socket.queued() + batch.size() < kHighWater) {
        const uint8_t* data = nullptr;
        data_blocked_ = false;
        ssize_t n = nghttp2_session_mem_send(ng, &data);
        if (n <= 0) {
          dry = !data_blocked_;
          break;
        }
        batch.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      }
      if (!batch.empty()) {
        produced = true;
        if (side == 0 && !settings_patched_) {
          settings_patched_ = true;
          advertise_streams_limit(batch, max_streams_);
        }
        // Stopped at the high-water mark, or out of rounds: the rest is produced once these
        // bytes are out (socket_written), so they are queued even if the socket could take
        // them now.
        socket.write(batch, !dry || round == kRounds - 1);
      }
    }
    // Resets after response bytes that became due while producing DATA.
    std::vector<int32_t> resets;
    resets.swap(pending_resets_);
    for (int32_t id : resets) {
      auto it = streams_.find(id);
      if (it != streams_.end() && !it->second->client_closed) {
        it->second->injected = true;
        reset_stream(*it->second, it->second->reset_code);
        produced = true;
      }
    }
    if (!produced) break;
  }
  in_pump_ = false;
  if (closing_) return;
  if (!nghttp2_session_want_read(server_) && !nghttp2_session_want_write(server_) &&
      client_.queued() == 0) {
    close();
    return;
  }
  // After our GOAWAY (drain, goaway fault) the connection ends with its last stream.
  if (goaway_sent_ && streams_.empty() && !nghttp2_session_want_write(server_) &&
      client_.queued() == 0)
    close();
}

namespace {
// SPEC §8: at most safety.max_goaway_per_second goaway faults per process (Go clients
// reconnect in a tight loop). One word: the second in the high half, the count in the low.
std::atomic<uint64_t> g_goaway_window{0};

bool take_goaway_token(uint32_t per_second) {
  const uint64_t second = uv_hrtime() / 1'000'000'000;
  uint64_t seen = g_goaway_window.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t count = (seen >> 32) == second ? (seen & 0xffffffffu) : 0;
    if (count >= per_second) return false;
    const uint64_t next = (second << 32) | (count + 1);
    if (g_goaway_window.compare_exchange_weak(seen, next, std::memory_order_relaxed)) return true;
  }
}
}  // namespace

// The goaway fault: once per connection, within the process-wide rate. Graceful: the last
// processed stream id (this one included), open streams finish; otherwise 0, and the
// connection closes once the GOAWAY is out.
void Http2Session::goaway_fault(const faults::Plan& plan) {
  if (goaway_fault_done_) return;
  goaway_fault_done_ = true;
  if (!take_goaway_token(snapshot_->config->safety.max_goaway_per_second)) return;
  const uint32_t code = static_cast<uint32_t>(plan.goaway_code);
  if (plan.goaway_graceful) {
    nghttp2_submit_goaway(server_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(server_), code, nullptr, 0);
    goaway_sent_ = true;
    return;
  }
  nghttp2_session_terminate_session2(server_, 0, code);
}

// ---------------------------------------------------------------- nghttp2 callbacks

H2Stream* Http2Session::stream_of(nghttp2_session* ng, int32_t id) const {
  return static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(ng, id));
}

int Http2Session::on_begin_headers(nghttp2_session* ng, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (self->is_client(ng) && self->header_since_ms_ == 0) {
    self->header_since_ms_ = uv_now(self->worker_.loop());  // header_timeout runs from here
    self->header_stream_ = frame->hd.stream_id;
  }
  if (!self->is_client(ng) || frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  const int32_t id = frame->hd.stream_id;
  if (self->open_client_streams_ >= self->max_streams_) {
    // Beyond h2_max_concurrent_streams: refused, never seen by the rest of the session (its
    // headers and data find no stream and are dropped).
    nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
    return 0;
  }
  ++self->open_client_streams_;
  self->listener_.stats.h2_stream_opened();
  auto s = std::make_unique<H2Stream>(*self, id);
  s->snapshot = self->worker_.snapshot();
  s->start_us = now_us();
  s->request_id = next_request_id();
  nghttp2_session_set_stream_user_data(ng, id, s.get());
  self->streams_[id] = std::move(s);
  return 0;
}

int Http2Session::on_header(nghttp2_session* ng, const nghttp2_frame* frame, const uint8_t* name,
                            size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                            void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2Stream* s = self->stream_of(ng, frame->hd.stream_id);
  if (s == nullptr) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (self->is_client(ng)) {
    // RFC 9113 §6.5.2: name + value + 32 per field, against max_header_bytes.
    s->header_bytes += namelen + valuelen + 32;
    const auto& cfg = s->snapshot->config->listeners[self->listener_.index];
    if (s->header_bytes > cfg.max_header_bytes.bytes) {
      s->header_overflow = true;
      return 0;
    }
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      s->req_trailers.emplace_back(n, v);
      return 0;
    }
    if (n == ":method")
      s->method = v;
    else if (n == ":path")
      s->path = v;
    else if (n == ":authority")
      s->authority = v;
    else if (n == "content-type")
      s->grpc = v.starts_with("application/grpc");
    s->req_headers.emplace_back(n, v);
    return 0;
  }
  if (!s->resp_head_in) {
    if (n == ":status") s->status = leading_int(v);
    s->resp_headers.emplace_back(n, v);
  } else {
    s->resp_trailers.emplace_back(n, v);
  }
  return 0;
}

int Http2Session::on_frame_recv(nghttp2_session* ng, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (frame->hd.type == NGHTTP2_HEADERS && self->is_client(ng)) self->header_block_done();
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  H2Stream* s = self->stream_of(ng, frame->hd.stream_id);
  if (s == nullptr) return 0;
  const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (self->is_client(ng)) {
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      s->req_end = end;
      self->request_head(*s);
    } else if (end) {
      s->req_end = true;
      self->request_ended(*s);
    }
    return 0;
  }
  if (frame->hd.type == NGHTTP2_HEADERS && !s->resp_head_in) {
    if (s->status < 200) {  // 1xx: dropped (100-continue has no meaning across this hop)
      s->resp_headers.clear();
      s->status = 0;
      return 0;
    }
    s->resp_head_in = true;
    s->resp_end = end;
    self->response_head(*s);
    return 0;
  }
  if (end) {
    s->resp_end = true;
    if (s->resp_submitted && !s->client_closed) nghttp2_session_resume_data(self->server_, s->id);
  }
  return 0;
}

int Http2Session::on_data_chunk(nghttp2_session* ng, uint8_t, int32_t stream_id,
                                const uint8_t* data, size_t len, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  // The connection window goes back at once; the stream's once the bytes were forwarded.
  nghttp2_session_consume_connection(ng, len);
  H2Stream* s = self->stream_of(ng, stream_id);
  if (self->is_client(ng)) {
    if (s == nullptr || s->local || (self->forwarded(*s) && s->up_closed)) {
      nghttp2_session_consume_stream(ng, stream_id, len);  // nobody will read it: discard
      return 0;
    }
    s->req_body.append(data, len);
    self->upstream_request_more(*s);
    return 0;
  }
  if (s == nullptr || s->client_closed || s->messages_cut || s->local) {
    nghttp2_session_consume_stream(ng, stream_id, len);
    return 0;
  }
  s->resp_body.append(data, len);
  if (s->resp_submitted) nghttp2_session_resume_data(self->server_, s->id);
  return 0;
}

// RFC 9113 §8.1: a response that is complete while its request is still open, and that nobody
// upstream reads on (ours, or the upstream's stream has ended), is followed by
// RST_STREAM(NO_ERROR), so the client stops sending. Only after the response's last frame went
// out: submitted together, nghttp2 sends the reset and drops the HEADERS, and grpc-core then
// reports INTERNAL ("Received RST_STREAM with error code 0") instead of the status.
int Http2Session::on_frame_send(nghttp2_session* ng, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (!self->is_client(ng) || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) return 0;
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  H2Stream* s = self->stream_of(ng, frame->hd.stream_id);
  if (s != nullptr && !s->req_end && !s->client_closed && (s->local || s->up_closed))
    nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
  return 0;
}

int Http2Session::on_stream_close(nghttp2_session* ng, int32_t stream_id, uint32_t error_code,
                                  void* user) {
  auto* self = static_cast<Http2Session*>(user);
  // A header block that ends its stream instead of completing (refused, malformed).
  if (self->is_client(ng) && stream_id == self->header_stream_) self->header_block_done();
  H2Stream* s = self->stream_of(ng, stream_id);
  if (s == nullptr) return 0;
  if (self->is_client(ng)) {
    s->client_closed = true;
    --self->open_client_streams_;
    self->listener_.stats.h2_stream_closed();
    self->cancel_upstream(*s);
    if (s->timer) uv_timer_stop(s->timer);
    s->latency_wait.cancel();
    self->finish_record(*s);
    self->maybe_free(*s);
    return 0;
  }
  s->up_closed = true;
  if (!s->client_closed && !s->local) {
    if (!s->resp_head_in) {
      // Reset by the upstream before its response: the client hears it the same way.
      self->reset_stream(
          *s, error_code == NGHTTP2_NO_ERROR ? uint32_t{NGHTTP2_INTERNAL_ERROR} : error_code);
    } else if (error_code == NGHTTP2_NO_ERROR || s->resp_end) {
      s->resp_end = true;
      if (s->resp_submitted) nghttp2_session_resume_data(self->server_, s->id);
    } else {
      self->reset_stream(*s, error_code);  // mid-response: cut the same way
    }
  }
  self->maybe_free(*s);
  return 0;
}

ssize_t Http2Session::read_request_body(nghttp2_session* ng, int32_t stream_id, uint8_t* buf,
                                        size_t length, uint32_t* flags, nghttp2_data_source* source,
                                        void* user) {
  auto* self = static_cast<Http2Session*>(user);
  auto* s = static_cast<H2Stream*>(source->ptr);
  const size_t want = std::min(length, s->req_body.size());
  const size_t allowed = self->upload_allowance(*s, want);
  if (want > 0 && allowed == 0) return NGHTTP2_ERR_DEFERRED;
  size_t n = s->req_body.take(buf, allowed);
  if (n > 0 && !s->client_closed) nghttp2_session_consume_stream(self->server_, s->id, n);
  if (s->req_body.size() == 0 && s->req_end) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!s->req_trailers.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      std::vector<nghttp2_nv> nva;
      for (const auto& [k, v] : s->req_trailers) nva.push_back(nv(k, v));
      nghttp2_submit_trailer(ng, stream_id, nva.data(), nva.size());
    }
    return static_cast<ssize_t>(n);
  }
  if (n == 0) return NGHTTP2_ERR_DEFERRED;
  return static_cast<ssize_t>(n);
}

ssize_t Http2Session::read_response_body(nghttp2_session* ng, int32_t stream_id, uint8_t* buf,
                                         size_t length, uint32_t* flags,
                                         nghttp2_data_source* source, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  auto* s = static_cast<H2Stream*>(source->ptr);
  if (s->executor.resets_response()) {
    const uint64_t left = s->executor.bytes_before_reset(s->resp_bytes);
    if (left == 0) {
      s->reset_code = static_cast<uint32_t>(s->executor.plan().reset_code);
      self->pending_resets_.push_back(s->id);
      return NGHTTP2_ERR_DEFERRED;
    }
    length = static_cast<size_t>(std::min<uint64_t>(length, left));
  }
  // bandwidth on this stream: what its token bucket admits now; the rest after a wait (the
  // stream's window stays unreleased meanwhile, so the upstream slows down too).
  if (s->executor.throttled(HttpFaultExecutor::kDown) && s->resp_body.size() > 0 &&
      s->wait == H2Stream::Wait::kNone) {
    const size_t want = std::min(length, s->resp_body.size());
    const uint64_t admitted =
        s->executor.admit(HttpFaultExecutor::kDown, want, uv_now(self->worker_.loop()));
    if (admitted == 0) {
      self->stream_wait(*s, H2Stream::Wait::kBandwidth,
                        std::max<uint64_t>(1, s->executor.wait_ms(HttpFaultExecutor::kDown, want)));
      return NGHTTP2_ERR_DEFERRED;
    }
    length = static_cast<size_t>(admitted);
  } else if (s->wait == H2Stream::Wait::kBandwidth) {
    return NGHTTP2_ERR_DEFERRED;
  }
  // The bytes go to the batch in place (send_response_data: one copy fewer), unless the
  // after_messages framer has to read them first.
  const bool in_place = s->cut_after == 0 || s->messages_cut;
  size_t n = in_place ? std::min(length, s->resp_body.size()) : s->resp_body.take(buf, length);
  if (n > 0 && !in_place) {
    // after_messages: let K whole messages through, then end with the planned status.
    size_t used = s->framer.feed(buf, n, s->cut_after);
    if (s->framer.complete >= s->cut_after) {
      n = used;
      s->messages_cut = true;
      s->resp_body = ByteQueue();
      s->resp_trailers.clear();
      s->resp_end = true;
      self->cancel_upstream(*s);
      const auto& r = s->executor.plan().respond;
      s->grpc_status = r.grpc_status;
      s->injected = true;
      std::string status = std::to_string(r.grpc_status);
      std::string message = grpc_percent_encode(r.grpc_message);
      const nghttp2_nv trailers[] = {nv("grpc-status", status), nv("grpc-message", message)};
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      nghttp2_submit_trailer(ng, stream_id, trailers, std::size(trailers));
      s->resp_bytes += n;
      return static_cast<ssize_t>(n);
    }
  }
  if (n > 0) {
    s->resp_bytes += n;
    if (in_place)
      *flags |= NGHTTP2_DATA_FLAG_NO_COPY;  // the window goes back in send_response_data
    else
      self->upstream_response_taken(*s, n);
  }
  if (s->resp_body.size() == (in_place ? n : 0) && s->resp_end) {
    // slow_close: the body is out, the stream's end (END_STREAM, the trailers) comes `delay`
    // later; the wait starts on the call after the last bytes went.
    if (n > 0 && s->executor.active() && s->executor.plan().close_delay.count() > 0)
      return static_cast<ssize_t>(n);
    if (s->wait == H2Stream::Wait::kSlowClose ||
        (s->executor.active() && s->executor.delay_close()))
      return NGHTTP2_ERR_DEFERRED;
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!s->resp_trailers.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      std::vector<nghttp2_nv> nva;
      for (const auto& [k, v] : s->resp_trailers) {
        if (k == "grpc-status") s->grpc_status = leading_int(v);
        nva.push_back(nv(k, v));
      }
      nghttp2_submit_trailer(ng, stream_id, nva.data(), nva.size());
    }
    return static_cast<ssize_t>(n);
  }
  if (n == 0) return NGHTTP2_ERR_DEFERRED;
  return static_cast<ssize_t>(n);
}

// A DATA frame of read_response_body's in place: its header and bytes go into the batch of
// frames for the client, unless that is full (nghttp2 then asks again, with the same frame,
// once pump() has room).
int Http2Session::send_response_data(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                                     size_t length, nghttp2_data_source* source, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  auto* s = static_cast<H2Stream*>(source->ptr);
  if (s->resp_body.size() < length) return NGHTTP2_ERR_CALLBACK_FAILURE;  // never: bytes promised
  std::string& batch = frame_batch();
  if (self->client_.queued() + batch.size() >= kHighWater) {
    self->data_blocked_ = true;
    return NGHTTP2_ERR_WOULDBLOCK;
  }
  batch.append(reinterpret_cast<const char*>(framehd), 9);
  const size_t padding = frame->data.padlen;  // none: no padding callback is set
  if (padding > 0) batch.push_back(static_cast<char>(padding - 1));
  s->resp_body.take(batch, length);
  if (padding > 1) batch.append(padding - 1, '\0');
  self->upstream_response_taken(*s, length);
  return 0;
}

// ---------------------------------------------------------------- streams

void Http2Session::request_head(H2Stream& s) {
  if (s.header_overflow) {
    respond_local(s, 431, "request header list too large\n", false);
    return;
  }
  s.executor.begin_request();
  if (!worker_.shared().halted.load(std::memory_order_relaxed)) {
    static thread_local std::vector<faults::HeaderView> views;  // reused: no allocation
    views.clear();
    for (const auto& [k, v] : s.req_headers)
      if (!k.starts_with(':')) views.push_back({k, v});
    if (!s.authority.empty()) views.push_back({"host", s.authority});
    faults::RequestHead head;
    head.method = s.method;
    head.path = s.path;
    head.headers = views;
    head.peer = reinterpret_cast<const sockaddr*>(&peer_);
    head.listener_index = listener_.index;
    head.sni = client_.sni();
    s.executor.set_active(decide_request(worker_, *s.snapshot, head, s.executor.fresh_plan()));
  }
  if (!s.executor.active()) {
    forward(s);
    return;
  }
  const faults::Plan& plan = s.executor.plan();
  if (plan.goaway) goaway_fault(plan);
  if (closing_) return;
  if (!plan.bad_request.empty() && s.grpc) {
    // A malformed x-chaos-* header on a gRPC call: INVALID_ARGUMENT naming the header.
    grpc_trailers_only(s, 3, plan.bad_request);
    return;
  }
  const auto& cfg = s.snapshot->config->listeners[listener_.index];
  s.executor.carry_out(uv_now(worker_.loop()), static_cast<uint64_t>(cfg.idle_timeout.count()));
}

void Http2Session::forward(H2Stream& s) {
  if (s.client_closed || forwarded(s) || s.resp_submitted) return;
  if (over_http1(s)) {
    forward_http1(s);
    return;
  }
  connect_upstream();
  if (up_failed_) {
    fail_stream(s, false);
    return;
  }
  std::vector<nghttp2_nv>& nva = field_array();
  for (const auto& [k, v] : s.req_headers) {
    if (connection_specific_field(k, v) || stripped_trigger_field(k, *s.snapshot)) continue;
    nva.push_back(nv_in_place(k, v));
  }
  nghttp2_data_provider body{};
  body.source.ptr = &s;
  body.read_callback = read_request_body;
  const bool has_body = !(s.req_end && s.req_body.size() == 0 && s.req_trailers.empty());
  int32_t id =
      nghttp2_submit_request(up_, nullptr, nva.data(), nva.size(), has_body ? &body : nullptr, &s);
  if (id < 0) {
    fail_stream(s, false);
    return;
  }
  s.up_id = id;
  s.up_closed = false;
}

// ---------------------------------------------------------------- the upstream side of a stream

// HTTP/1.1 upstream: asked for, or `auto` where the upstream has TLS (the HTTP/1.1 pool speaks
// TLS; the HTTP/2 upstream connection does not yet).
bool Http2Session::over_http1(const H2Stream& s) const {
  const auto protocol = s.snapshot->config->listeners[listener_.index].upstream_protocol;
  return protocol == config::UpstreamProtocol::kHttp1;
}

void Http2Session::forward_http1(H2Stream& s) {
  if (s.path.empty()) {  // CONNECT has no HTTP/1.1 request line to become
    respond_local(s, 501, "CONNECT is not relayed to an HTTP/1.1 upstream\n", false);
    return;
  }
  s.h1 = std::make_unique<H1Exchange>(*this, s, http1_pool_, listener_.index);
  s.up_closed = false;
  s.h1->start();
}

bool Http2Session::forwarded(const H2Stream& s) const {
  return s.up_id >= 0 || s.h1 != nullptr;
}

void Http2Session::cancel_upstream(H2Stream& s) {
  if (s.up_closed) return;
  if (s.h1) {
    s.h1->cancel();
    return;
  }
  if (s.up_id >= 0) nghttp2_submit_rst_stream(up_, NGHTTP2_FLAG_NONE, s.up_id, NGHTTP2_CANCEL);
}

void Http2Session::upstream_request_more(H2Stream& s) {
  if (s.h1)
    s.h1->request_more();
  else if (s.up_id >= 0 && !s.up_closed)
    nghttp2_session_resume_data(up_, s.up_id);
}

void Http2Session::upstream_response_taken(H2Stream& s, size_t n) {
  if (s.up_closed) return;
  if (s.h1)
    s.h1->response_taken();
  else if (s.up_id >= 0)
    nghttp2_session_consume_stream(up_, s.up_id, n);
}

void Http2Session::upstream_response_head(H2Stream& s) {
  response_head(s);
}

void Http2Session::upstream_response_data(H2Stream& s) {
  if (s.resp_submitted && !s.client_closed) nghttp2_session_resume_data(server_, s.id);
}

void Http2Session::upstream_stream_failed(H2Stream& s, bool timeout) {
  fail_stream(s, timeout);
}

void Http2Session::request_body_forwarded(H2Stream& s, size_t n) {
  if (!s.client_closed && server_) nghttp2_session_consume_stream(server_, s.id, n);
}

void Http2Session::request_ended(H2Stream& s) {
  if (!s.up_closed) upstream_request_more(s);
}

void Http2Session::response_head(H2Stream& s) {
  if (s.client_closed) return;
  s.executor.at_response_head();
  if (s.wait == H2Stream::Wait::kResponseDelay) return;
  submit_response_head(s);
}

void Http2Session::submit_response_head(H2Stream& s) {
  if (s.client_closed || s.resp_submitted) return;
  std::vector<nghttp2_nv>& nva = field_array();
  for (const auto& [k, v] : s.resp_headers) {
    if (connection_specific_field(k, v)) continue;
    if (k == "grpc-status") s.grpc_status = leading_int(v);
    nva.push_back(nv_in_place(k, v));
  }
  // Copied: a later fault on the stream may add to the annotation.
  const std::string_view injected = s.executor.injected();
  if (!injected.empty()) nva.push_back(nv("x-chaos-injected", injected));
  nghttp2_data_provider body{};
  body.source.ptr = &s;
  body.read_callback = read_response_body;
  const bool has_body = !(s.resp_end && s.resp_body.size() == 0 && s.resp_trailers.empty());
  nghttp2_submit_response(server_, s.id, nva.data(), nva.size(), has_body ? &body : nullptr);
  s.resp_submitted = true;
  s.executor.response_head_sent(0);
}

void Http2Session::respond_local(H2Stream& s, int status, std::string_view body, bool injected) {
  if (s.client_closed || s.resp_submitted) return;
  const faults::Response& r = s.executor.plan().respond;
  if (injected && s.grpc && r.grpc_status >= 0) {
    if (r.after_messages > 0) {
      s.cut_after = r.after_messages;
      forward(s);
      return;
    }
    grpc_trailers_only(s, r.grpc_status, r.grpc_message);
    return;
  }
  if (injected && s.grpc) {  // an abort with an HTTP status only: mapped as Envoy's local replies
    grpc_trailers_only(s, grpc_status_for_http(r.status), grpc_message_from_body(r.body));
    return;
  }
  s.local = true;
  s.status = status;
  cancel_upstream(s);
  std::string code = std::to_string(status);
  std::string length = std::to_string(body.size());
  std::vector<nghttp2_nv> nva = {nv(":status", code),
                                 nv("content-type", "text/plain; charset=utf-8"),
                                 nv("content-length", length)};
  if (injected) {
    for (const auto& [k, v] : r.headers) {
      std::string_view name = k;  // HTTP/2 field names are lower case (abort lower-cases none)
      bool lower =
          std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      if (lower) nva.push_back(nv(k, v));
    }
  }
  const std::string_view annotation = s.executor.injected();
  if (!annotation.empty()) nva.push_back(nv("x-chaos-injected", annotation));
  s.resp_body = ByteQueue();
  s.resp_body.data.assign(body);
  s.resp_end = true;
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = read_response_body;
  nghttp2_submit_response(server_, s.id, nva.data(), nva.size(),
                          body.empty() ? nullptr : &provider);
  s.resp_submitted = true;
}

void Http2Session::grpc_trailers_only(H2Stream& s, int grpc_status, std::string_view message) {
  if (s.client_closed || s.resp_submitted) return;
  s.local = true;
  s.status = 200;
  s.grpc_status = grpc_status;
  cancel_upstream(s);
  std::string status = std::to_string(grpc_status);
  std::string encoded = grpc_percent_encode(message);
  std::vector<nghttp2_nv> nva = {nv(":status", "200"), nv("content-type", "application/grpc"),
                                 nv("grpc-status", status), nv("grpc-message", encoded)};
  const std::string_view annotation = s.executor.injected();
  if (!annotation.empty()) nva.push_back(nv("x-chaos-injected", annotation));
  nghttp2_submit_response(server_, s.id, nva.data(), nva.size(), nullptr);
  s.resp_submitted = true;
  s.resp_end = true;
  // If the request is still open, RST_STREAM(NO_ERROR) follows once this HEADERS is out
  // (on_frame_send).
}

void Http2Session::reset_stream(H2Stream& s, uint32_t code) {
  if (!s.client_closed) nghttp2_submit_rst_stream(server_, NGHTTP2_FLAG_NONE, s.id, code);
  cancel_upstream(s);
}

void Http2Session::stream_wait(H2Stream& s, H2Stream::Wait wait, uint64_t ms) {
  s.wait = wait;
  s.fault_since_us = now_us();
  if (wait == H2Stream::Wait::kRequestDelay || wait == H2Stream::Wait::kResponseDelay) {
    worker_.precise_timers().start(s.latency_wait, ms);  // latency: on time
    return;
  }
  if (s.timer == nullptr) {
    s.timer = new uv_timer_t;
    uv_timer_init(worker_.loop(), s.timer);
    s.timer->data = &s;
  }
  start_timer_at_least(s.timer, on_stream_timer, ms);
}

size_t Http2Session::upload_allowance(H2Stream& s, size_t want) {
  if (want == 0 || !s.executor.throttled(HttpFaultExecutor::kUp)) return want;
  if (s.upload_waiting) return 0;
  const uint64_t admitted = s.executor.admit(HttpFaultExecutor::kUp, want, uv_now(worker_.loop()));
  if (admitted > 0) return static_cast<size_t>(admitted);
  if (s.upload_timer == nullptr) {
    s.upload_timer = new uv_timer_t;
    uv_timer_init(worker_.loop(), s.upload_timer);
    s.upload_timer->data = &s;
  }
  s.upload_waiting = true;
  start_timer_at_least(s.upload_timer, on_upload_timer,
                       std::max<uint64_t>(1, s.executor.wait_ms(HttpFaultExecutor::kUp, want)));
  return 0;
}

void Http2Session::on_upload_timer(uv_timer_t* t) {
  auto* s = static_cast<H2Stream*>(t->data);
  Http2Session& self = s->session;
  s->upload_waiting = false;
  if (self.closing_ || s->client_closed) return;
  self.upstream_request_more(*s);
  self.pump();
}

void H2Stream::on_latency_done(PreciseWait& wait) {
  Http2Session::stream_wait_over(static_cast<H2Stream*>(wait.data));
}

void Http2Session::on_stream_timer(uv_timer_t* t) {
  stream_wait_over(static_cast<H2Stream*>(t->data));
}

void Http2Session::stream_wait_over(H2Stream* s) {
  Http2Session& self = s->session;
  if (self.closing_ || s->client_closed) return;
  H2Stream::Wait wait = s->wait;
  s->wait = H2Stream::Wait::kNone;
  if (s->fault_since_us) s->fault_us += now_us() - s->fault_since_us;
  s->fault_since_us = 0;
  const auto& cfg = s->snapshot->config->listeners[self.listener_.index];
  switch (wait) {
    case H2Stream::Wait::kRequestDelay:
      s->executor.carry_out(uv_now(self.worker_.loop()),
                            static_cast<uint64_t>(cfg.idle_timeout.count()));
      break;
    case H2Stream::Wait::kStall:
      // The stall ran out: the stream ends without an answer.
      s->injected = true;
      self.reset_stream(*s, NGHTTP2_CANCEL);
      break;
    case H2Stream::Wait::kResponseDelay:
      self.submit_response_head(*s);
      break;
    case H2Stream::Wait::kBandwidth:
    case H2Stream::Wait::kSlowClose:
      nghttp2_session_resume_data(self.server_, s->id);
      break;
    case H2Stream::Wait::kNone:
      break;
  }
  self.pump();
}

void Http2Session::maybe_free(H2Stream& s) {
  if (!s.client_closed || !s.up_closed) return;
  // nghttp2 may still name the stream in the upstream session when it never opened there.
  streams_.erase(s.id);
}

void Http2Session::finish_record(H2Stream& s) {
  if (s.logged) return;
  s.logged = true;
  if (s.wait != H2Stream::Wait::kNone && s.fault_since_us)
    s.fault_us += now_us() - s.fault_since_us;
  RequestRecord r;
  r.listener = listener_.name;
  r.client = client_addr_;
  r.id = s.request_id;
  r.worker = worker_.index();
  r.protocol = "http2";
  r.method = s.method;
  r.path = s.path;
  r.status = s.resp_submitted ? s.status : 0;
  r.grpc_status = s.grpc ? s.grpc_status : -1;
  r.injected = s.injected;
  const bool complete = s.resp_submitted && s.resp_end && s.resp_body.size() == 0;
  r.ending = complete     ? Ending::kComplete
             : s.injected ? (s.wait == H2Stream::Wait::kStall ? Ending::kStall : Ending::kReset)
             : closing_   ? Ending::kAborted
                          : Ending::kClientClosed;
  r.bytes_out = s.resp_bytes;
  r.total_us = now_us() - s.start_us;
  r.fault_us = s.fault_us;
  if (s.executor.active()) r.faults = s.executor.plan().applied;
  proxy::finish_record(listener_.stats, r);
  if (s.executor.active()) {
    release_plan(worker_, *s.snapshot, s.executor.plan());
    s.executor.end();
  }
}

nghttp2_session_callbacks* Http2Session::make_callbacks() {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_session_callbacks_set_send_data_callback(cb, send_response_data);
  return cb;
}

}  // namespace faultline::proxy
