#include "proxy/http/session.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstring>

#include "proxy/fault_decision.h"
#include "proxy/http/grpc.h"
#include "proxy/http/listener.h"
#include "proxy/http/upstream.h"
#include "proxy/io/timer_at_least.h"
#include "proxy/log.h"
#include "proxy/worker.h"

namespace faultline::proxy {

namespace {

constexpr uint64_t kLingerMs = 2000;
constexpr uint64_t kResetAtConnectMs = 50;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// An Upgrade header offering h2c (any case, any position in the list).
bool names_h2c(std::string_view upgrade) {
  for (size_t i = 0; i + 3 <= upgrade.size(); ++i) {
    if ((upgrade[i] == 'h' || upgrade[i] == 'H') && upgrade[i + 1] == '2' &&
        (upgrade[i + 2] == 'c' || upgrade[i + 2] == 'C') &&
        (i == 0 || upgrade[i - 1] == ',' || upgrade[i - 1] == ' ' || upgrade[i - 1] == '\t') &&
        (i + 3 == upgrade.size() || upgrade[i + 3] == ',' || upgrade[i + 3] == ' ' ||
         upgrade[i + 3] == '\t'))
      return true;
  }
  return false;
}

uint64_t now_us() {
  return uv_hrtime() / 1000;
}

// inet_ntop's dotted quad ("a.b.c.d", no leading zeros) without its sprintf, which cost about
// 1,700 instructions per connection.
void format_ipv4(const void* addr, char* out, size_t cap) {
  if (cap < INET_ADDRSTRLEN) {
    inet_ntop(AF_INET, addr, out, cap);
    return;
  }
  const auto* b = static_cast<const unsigned char*>(addr);
  char* p = out;
  for (int i = 0; i < 4; ++i) {
    unsigned v = b[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  *p = 0;
}

void format_peer(const sockaddr_storage& ss, char* out, size_t cap) {
  out[0] = 0;
  if (ss.ss_family == AF_INET) {
    format_ipv4(&reinterpret_cast<const sockaddr_in&>(ss).sin_addr, out, cap);
  } else if (ss.ss_family == AF_INET6) {
    auto& a6 = reinterpret_cast<const sockaddr_in6&>(ss);
    if (IN6_IS_ADDR_V4MAPPED(&a6.sin6_addr))
      format_ipv4(&a6.sin6_addr.s6_addr[12], out, cap);
    else
      inet_ntop(AF_INET6, &a6.sin6_addr, out, cap);
  }
}

}  // namespace

// The de-chunked body of a chunked response to an HTTP/1.0 client: relayed decoded, the end is
// marked by closing.
void HttpSession::on_body(const char* at, size_t n) {
  emit(kClient, resp_parse_slab_, at, n);
}

// ---------------------------------------------------------------- lifecycle

HttpSession::HttpSession(Worker& worker, WorkerListener& listener, UpstreamPool& pool)
    : worker_(worker), listener_(listener), pool_(pool), snapshot_(worker.snapshot()) {}

HttpSession::~HttpSession() = default;

void HttpSession::start(int fd, const sockaddr_storage& peer) {
  client_.init(worker_.loop(), this);
  client_timer_.init(worker_.loop(), this, on_client_timer);
  uv_timer_init(worker_.loop(), &fault_timer_);
  fault_timer_.data = shutdown_req_.data = this;
  worker_.add(this);
  listener_.stats.connection_opened();
  if (client_.open(fd) != 0) {
    ::close(fd);
    close();
    return;
  }
  // TLS ([listeners.tls]) when the listener has it; this session sees plaintext either way.
  client_.attach(snapshot_->client_layer(listener_.index), listener_.stats.client_tls);
  // TCP_NODELAY comes from the listening socket (bind_exclusive), the address from accept4().
  peer_ = peer;
  format_peer(peer_, client_addr_, sizeof client_addr_);
  req_codec_.init();

  const auto& cfg = snapshot_->config->listeners[listener_.index];
  // Faults that act at accept (reset at connect); no plan is built without such experiments.
  if (connection_faults_configured(*snapshot_, listener_.index) &&
      !worker_.shared().halted.load(std::memory_order_relaxed)) {
    faults::Plan plan;
    if (decide_connect(worker_, *snapshot_, listener_.index, reinterpret_cast<sockaddr*>(&peer_),
                       plan) &&
        plan.terminal == faults::Terminal::kReset &&
        plan.reset_point == faults::ResetPoint::kConnect) {
      release_plan(worker_, *snapshot_, plan);
      // Logged and counted like a request: the client's attempt ends in an injected reset.
      executor_.adopt(std::move(plan));
      exchange_open_ = true;
      request_id_ = next_request_id();
      request_start_us_ = now_us();
      // The RST follows the client's first bytes (or kResetAtConnectMs): a client then sees
      // an accepted connection reset, never a race with its own connect().
      reset_on_input_ = true;
      client_timer_.start(kResetAtConnectMs);
      update_reading(kClient);
      return;
    }
    release_plan(worker_, *snapshot_, plan);
  }
  client_timer_.start(cfg.idle_timeout.count());
  update_reading(kClient);
}

void HttpSession::close(bool reset) {
  if (closing_) return;
  if (exchange_open_) {
    // Closed before the exchange completed: say why (only faults close with a reset).
    Ending ending = reset                                   ? Ending::kReset
                    : wait_ == Wait::kStall || stalled_out_ ? Ending::kStall
                    : req_ == Req::kTunnel                  ? Ending::kComplete
                                                            : close_ending_;
    record_exchange(ending);
  }
  closing_ = true;
  end_wait();
  for (Side side : {kClient, kUpstream}) {
    if (held_[side].slab) worker_.slabs().unref(held_[side].slab);
    held_[side] = {};
  }
  if (executor_.active()) {
    release_plan(worker_, *snapshot_, executor_.plan());
    executor_.end();
  }
  detach_upstream(false);
  forget_sent_head();
  client_out_.discard(worker_.write_ops(), worker_.slabs());
  client_read_slot_.release(worker_.slabs());
  worker_.remove(this);
  listener_.stats.connection_closed();
  // A socket handed to the HTTP/2 session keeps its slot: that session gives it back.
  if (!handed_off_)
    worker_.shared().active[listener_.index].fetch_sub(1, std::memory_order_relaxed);
  pending_closes_ = 2;
  if (client_home_) {  // not moved to the HTTP/2 session
    ++pending_closes_;
    client_.close(on_close, reset);  // RST instead of FIN when `reset`
  }
  uv_close(client_timer_.handle(), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&fault_timer_), on_close);
}

void HttpSession::on_close(uv_handle_t* h) {
  auto* s = static_cast<HttpSession*>(h->data);
  if (--s->pending_closes_ == 0) s->worker_.retire(s);
}

void HttpSession::drain() {
  close_after_ = true;
  if ((req_ == Req::kIdle && !held_[kClient].slab) || wait_ == Wait::kLinger) close();
}

void HttpSession::abort() {
  close_ending_ = Ending::kAborted;
  close();
}

void HttpSession::release_faults() {
  // Kill switch: forward what was held, lift limits.
  Wait w = wait_;
  executor_.release();
  switch (w) {
    case Wait::kRequestDelay:
    case Wait::kStall:
      end_wait();
      connect_upstream();
      break;
    case Wait::kResponseDelay:
      end_wait();
      response_head_released();
      break;
    case Wait::kBandwidthUp:
      end_wait();
      resume_held(kClient);
      break;
    case Wait::kBandwidthDown:
      end_wait();
      resume_held(kUpstream);
      break;
    case Wait::kSlowClose:
      end_wait();
      close();
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- plumbing

Transport& HttpSession::transport(Side side) {
  return side == kClient ? client_ : upstream_->transport;
}

Outbox& HttpSession::outbox(Side side) {
  return side == kClient ? client_out_ : upstream_->out;
}

void HttpSession::emit(Side side, Slab* slab, const char* p, size_t n) {
  if (n == 0 || closing_) return;
  if (side == kUpstream && !upstream_) return;
  Outbox& out = outbox(side);
  out.add(worker_.write_ops(), worker_.slabs(), slab, p, n);
  if (out.must_flush()) flush(side);
}

void HttpSession::flush(Side side) {
  if (closing_) return;
  if (side == kUpstream && !upstream_) return;
  Outbox& out = outbox(side);
  if (!out.staging) return;
  int rc;
  if (side == kClient) {
    rc = out.flush(transport(side), this, on_client_written, worker_.write_ops(), worker_.slabs());
  } else {
    rc = out.flush(transport(side), upstream_, UpstreamConn::on_written, worker_.write_ops(),
                   worker_.slabs());
  }
  if (rc != 0) {
    if (side == kClient)
      close();
    else
      upstream_failed(rc, false);
    return;
  }
  // Back-pressure: a full queue on this side stops reading from the other.
  if (out.above_high_water()) pause(side == kClient ? kUpstream : kClient, kPauseBackpressure);
}

void HttpSession::on_client_written(uv_write_t* req, int status) {
  auto* s = static_cast<HttpSession*>(req->data);
  WriteOp* op = reinterpret_cast<WriteOp*>(reinterpret_cast<char*>(req) - offsetof(WriteOp, req));
  s->client_out_.completed(op, s->worker_.write_ops(), s->worker_.slabs());
  if (s->closing_) return;
  if (status != 0) {
    s->close();
    return;
  }
  if (s->client_out_.below_low_water()) s->unpause(kUpstream, kPauseBackpressure);
  if (s->client_out_.in_flight == 0) {
    if (s->after_flush_ == AfterFlush::kReset) {
      s->close(/*reset=*/true);
      return;
    }
    if (s->after_flush_ == AfterFlush::kClose) {
      s->close_when_flushed();
      return;
    }
    s->maybe_finish_exchange();
  }
}

void HttpSession::on_upstream_written() {
  if (closing_) return;
  if (upstream_->out.below_low_water()) unpause(kClient, kPauseBackpressure);
  if (upstream_->out.in_flight == 0) maybe_finish_exchange();
}

void HttpSession::hold(Side side, Slab* slab, const char* p, size_t n) {
  if (n == 0) return;
  assert(held_[side].slab == nullptr);
  worker_.slabs().ref(slab);
  held_[side] = {slab, p, n};
  pause(side, kPauseHeld);
}

void HttpSession::resume_held(Side side) {
  if (closing_) return;
  Held h = held_[side];
  held_[side] = {};
  unpause(side, kPauseHeld);
  if (side == kClient) {
    process_client(h.slab, h.p, h.n);
  } else if (upstream_) {
    process_upstream(h.slab, h.p, h.n);
  }
  if (h.slab) worker_.slabs().unref(h.slab);
}

void HttpSession::pause(Side side, uint8_t reason) {
  paused_[side] |= reason;
  update_reading(side);
}

void HttpSession::unpause(Side side, uint8_t reason) {
  if (!(paused_[side] & reason)) return;
  paused_[side] &= ~reason;
  update_reading(side);
}

void HttpSession::update_reading(Side side) {
  if (closing_) return;
  bool want = paused_[side] == 0;
  if (side == kClient) {
    if (client_eof_) want = false;
    if (want == reading_client_) return;
    reading_client_ = want;
    if (want)
      client_.read_start(on_alloc, on_client_read);
    else
      client_.read_stop();
  } else {
    if (!upstream_ || !upstream_->connected) return;
    if (want) {
      // A pause is never the upstream's silence: its idle clock starts again here.
      if (!upstream_->reading) upstream_quiet_since_ms_ = uv_now(worker_.loop());
      upstream_->start_reading();
    } else {
      upstream_->stop_reading();
    }
  }
}

void HttpSession::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* s = static_cast<HttpSession*>(h->data);
  Slab* slab = s->client_read_slot_.fill(s->worker_.slabs());
  *buf = uv_buf_init(slab->data, Slab::kSize);
}

void HttpSession::wait_for(Wait wait, uint64_t ms) {
  wait_ = wait;
  if (wait == Wait::kRequestDelay || wait == Wait::kResponseDelay)
    worker_.precise_timers().start(latency_wait_, ms);  // latency: on time
  else if (wait == Wait::kStall || wait == Wait::kSlowClose)
    start_timer_at_least(&fault_timer_, on_fault_timer, ms);  // at least this long
  else
    uv_timer_start(&fault_timer_, on_fault_timer, ms, 0);
  if (wait != Wait::kLinger && wait != Wait::kSlowClose) fault_since_us_ = now_us();
}

void HttpSession::end_wait() {
  if (wait_ == Wait::kNone) return;
  wait_ = Wait::kNone;
  if (fault_since_us_) {
    fault_us_ += now_us() - fault_since_us_;
    fault_since_us_ = 0;
  }
  uv_timer_stop(&fault_timer_);
  latency_wait_.cancel();
}

// ---------------------------------------------------------------- request side

void HttpSession::on_client_read(uv_stream_t* st, ssize_t nread, const uv_buf_t* buf) {
  auto* s = static_cast<HttpSession*>(st->data);
  Slab* slab = s->client_read_slot_.take();
  if (nread != 0 && !s->closing_ && s->reset_on_input_) {
    s->close(/*reset=*/true);
  } else if (nread > 0 && !s->closing_) {
    if (s->wait_ == Wait::kLinger) {
      // Discarding after a final response; nothing to do.
    } else {
      s->process_client(slab, buf->base, static_cast<size_t>(nread));
      if (!s->closing_) {
        s->flush(kUpstream);
      }
    }
  } else if (nread < 0 && !s->closing_) {
    s->client_eof_ = true;
    s->reading_client_ = false;
    s->client_.read_stop();
    if (nread != UV_EOF || s->wait_ == Wait::kLinger) {
      s->close();
    } else if (s->req_ == Req::kTunnel) {
      if (s->upstream_)
        s->upstream_->transport.shutdown(new uv_shutdown_t,
                                         [](uv_shutdown_t* r, int) { delete r; });
      s->maybe_finish_exchange();
    } else if (s->req_ == Req::kIdle || s->req_ == Req::kHead || s->req_ == Req::kBody ||
               s->wait_ == Wait::kStall || s->wait_ == Wait::kRequestDelay) {
      // A client that leaves mid-request (or between requests) ends the connection.
      s->close();
    } else {
      // Request complete: answer it, then close.
      s->close_after_ = true;
    }
  }
  if (slab) s->worker_.slabs().unref(slab);
}

void HttpSession::begin_request() {
  req_ = Req::kHead;
  const auto& cfg = snapshot_->config->listeners[listener_.index];
  req_codec_.begin_message(cfg.max_header_bytes.bytes);
  request_start_us_ = now_us();
  exchange_open_ = true;
  method_known_ = outcome_injected_ = stalled_out_ = false;
  is_head_ = false;  // an error before this request's head is known answers with a body
  close_ending_ = Ending::kClientClosed;
  request_id_ = next_request_id();
  fault_us_ = fault_since_us_ = fault_us_at_upstream_ = 0;
  status_ = 0;
  resp_bytes_ = 0;
  upstream_start_us_ = upstream_done_us_ = 0;
  client_timer_.start(cfg.header_timeout.count());
}

void HttpSession::process_client(Slab* slab, const char* p, size_t n) {
  if (!served_ && req_ == Req::kIdle && n > 0 && client_.alpn() == "h2") [[unlikely]] {
    hand_off_alpn_h2(p, n);
    return;
  }
  for (;;) {
    if (closing_) return;
    switch (req_) {
      case Req::kTunnel:
        emit(kUpstream, slab, p, n);
        return;
      case Req::kIdle:
        if (n == 0) return;
        begin_request();
        [[fallthrough]];
      case Req::kHead: {
        if (n == 0) return;
        HttpCodec::Result r = req_codec_.execute(p, n);
        if (r.event == HttpCodec::Event::kMore) return;  // the head continues in the next read
        if (r.event == HttpCodec::Event::kH2Preface) {
          hand_off_h2(p + r.used, n - r.used);
          return;
        }
        if (r.event != HttpCodec::Event::kHead) {
          reject(req_codec_.error_status(), req_codec_.error_reason());
          return;
        }
        p += r.used;
        n -= r.used;
        req_ = Req::kWaiting;
        on_request_head();
        continue;
      }
      case Req::kWaiting:
      case Req::kDone:
        if (n > 0) hold(kClient, slab, p, n);
        return;
      case Req::kBody:
      case Req::kDiscard: {
        size_t limit = n;
        if (executor_.throttled(HttpFaultExecutor::kUp) && n > 0) {
          limit = executor_.admit(HttpFaultExecutor::kUp, n, uv_now(worker_.loop()));
          if (limit == 0) {
            hold(kClient, slab, p, n);
            wait_for(Wait::kBandwidthUp, executor_.wait_ms(HttpFaultExecutor::kUp, n));
            return;
          }
        }
        HttpCodec::Result r = req_codec_.execute(p, limit);
        size_t used = r.used;
        if (r.event == HttpCodec::Event::kError) {
          // Bad chunk framing and the like: the request cannot be relayed.
          if (resp_ == Resp::kNone || resp_ == Resp::kHead) {
            detach_upstream(false);
            reject(400, "malformed request body\n");
          } else {
            close();
          }
          return;
        }
        if (req_ == Req::kBody && used > 0) {
          emit(kUpstream, slab, p, used);
          req_body_sent_ = true;
        }
        p += used;
        n -= used;
        if (r.event == HttpCodec::Event::kComplete || r.event == HttpCodec::Event::kUpgrade) {
          request_complete();
          continue;
        }
        if (n > 0) {
          // Throttled: the rest waits for tokens.
          hold(kClient, slab, p, n);
          wait_for(Wait::kBandwidthUp,
                   std::max<uint64_t>(1, executor_.wait_ms(HttpFaultExecutor::kUp, n)));
        }
        return;
      }
    }
  }
}

void HttpSession::request_complete() {
  Req was = req_;
  req_ = Req::kDone;
  upstream_quiet_since_ms_ = uv_now(worker_.loop());  // the upstream's turn starts now
  flush(kUpstream);
  if (was == Req::kDiscard) {
    // The local response was already sent; nothing goes upstream.
    maybe_finish_exchange();
    return;
  }
  maybe_finish_exchange();
}

// The connection opened with the HTTP/2 preface (h2c prior knowledge): the HTTP/2 session takes
// a duplicate of the socket and the bytes read after the preface; this session closes its own
// descriptor without a trace in the access log (no HTTP/1.1 request was made). A TLS
// connection cannot be handed over this way (its state lives in the layer): it gets a 400
// unless its client agreed on h2 (hand_off_alpn_h2, before any parsing).
void HttpSession::hand_off_h2(const char* rest, size_t n) {
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  PrefaceHandoff* h2 = preface_handoff();
  uv_os_fd_t fd = -1;
  int copy = -1;
  if (h2 == nullptr || served_ || client_.layered() || uv_fileno(client_.handle(), &fd) != 0 ||
      (copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
    reject(400, "unexpected HTTP/2 connection preface\n");
    return;
  }
  std::string bytes(kPreface);
  bytes.append(rest, n);
  exchange_open_ = false;
  handed_off_ = true;
  close();
  h2->take(copy, bytes, listener_slot);
}

// A TLS client that agreed on h2 through ALPN: the HTTP/2 session takes the Transport itself,
// TLS state and all (a duplicate descriptor would leave that state behind), with the first
// plaintext bytes, whose preface it checks. Why hand over here rather than create the HTTP/2
// session at accept: the protocol is known only once the handshake finished, which this
// session, reading under the layer, learns with the first bytes; nothing was parsed, written
// or logged yet.
void HttpSession::hand_off_alpn_h2(const char* p, size_t n) {
  PrefaceHandoff* h2 = preface_handoff();
  if (h2 == nullptr) {  // not offered without an HTTP/2 session: an impossible client
    close();
    return;
  }
  std::unique_ptr<Transport> transport = std::move(client_home_);
  handed_off_ = true;
  close();
  h2->take(std::move(transport), std::string_view(p, n), listener_slot);
}

PrefaceHandoff* HttpSession::preface_handoff() const {
  return listener_.handler ? static_cast<HttpListener&>(*listener_.handler).preface_handoff()
                           : nullptr;
}

void HttpSession::on_request_head() {
  served_ = true;
  client_timer_.stop();
  method_ = req_codec_.method();
  method_known_ = true;
  is_head_ = method_ == HTTP_HEAD;
  client_http10_ = req_codec_.http10();
  client_keep_alive_ = req_codec_.keep_alive();
  // Connection: close, or HTTP/1.0 without keep-alive: whatever answers this request (relayed
  // or local) ends the connection, and it closes right after that response (SPEC §7).
  if (!client_keep_alive_) close_after_ = true;
  upgrade_requested_ = req_codec_.upgrade();
  // Upgrade: h2c is neither honoured nor forwarded (SPEC §8: through a proxy it would be a
  // tunnel no fault sees); the request goes on as plain HTTP/1.1 without the Upgrade header,
  // and the connection closes after it, as after any upgrade the upstream refused.
  h2c_refused_ = upgrade_requested_ && names_h2c(req_codec_.head().find("upgrade"));
  resp_ = Resp::kNone;
  resp_bytes_ = 0;
  status_ = 0;
  upstream_start_us_ = upstream_done_us_ = 0;
  if (method_ == HTTP_CONNECT) {
    reject(405, "CONNECT is not supported\n");
    return;
  }
  // Pin the newest snapshot for this request.
  if (snapshot_ != worker_.snapshot()) snapshot_ = worker_.snapshot();
  executor_.begin_request();
  if (!faults_halted()) {
    faults::RequestHead head;
    head.method = llhttp_method_name(static_cast<llhttp_method_t>(method_));
    HeadCollector& req_head = req_codec_.head();
    head.path = req_head.target();
    head.headers = {req_head.views(), req_head.count()};
    head.peer = reinterpret_cast<const sockaddr*>(&peer_);
    head.listener_index = listener_.index;
    head.sni = client_.sni();
    executor_.set_active(decide_request(worker_, *snapshot_, head, executor_.fresh_plan()));
  }
  carry_out_plan();
}

void HttpSession::carry_out_plan() {
  if (!executor_.active()) {
    connect_upstream();
    return;
  }
  executor_.carry_out(uv_now(worker_.loop()),
                      snapshot_->config->listeners[listener_.index].idle_timeout.count());
}

void HttpSession::fault_delay_request(uint64_t ms) {
  wait_for(Wait::kRequestDelay, ms);
}

void HttpSession::fault_stall(uint64_t ms) {
  wait_for(Wait::kStall, ms);
}

void HttpSession::fault_delay_response(uint64_t ms) {
  wait_for(Wait::kResponseDelay, ms);
}

void HttpSession::fault_delay_close(uint64_t ms) {
  wait_for(Wait::kSlowClose, ms);
}

void HttpSession::fault_respond(int status, std::string_view body, std::string_view headers,
                                std::string_view content_type) {
  outcome_injected_ = true;
  respond_locally(status, body, headers, false, content_type);
}

bool HttpSession::request_is_grpc() const {
  return is_grpc_content_type(req_codec_.head().find("content-type"));
}

void HttpSession::fault_refuse(std::string_view why) {
  reject(400, why);
}

void HttpSession::fault_reset() {
  close(/*reset=*/true);
}

void HttpSession::fault_forward() {
  connect_upstream();
}

bool HttpSession::faults_halted() const {
  return worker_.shared().halted.load(std::memory_order_relaxed);
}

void HttpSession::on_latency_done(PreciseWait& wait) {
  on_fault_timer(&static_cast<HttpSession*>(wait.data)->fault_timer_);
}

void HttpSession::on_fault_timer(uv_timer_t* t) {
  auto* s = static_cast<HttpSession*>(t->data);
  Wait w = s->wait_;
  s->end_wait();
  switch (w) {
    case Wait::kRequestDelay:
      s->carry_out_plan();  // the rest of the plan, after the delay
      break;
    case Wait::kStall:
      s->stalled_out_ = true;
      s->close();
      break;
    case Wait::kResponseDelay:
      s->response_head_released();
      break;
    case Wait::kBandwidthUp:
      s->resume_held(kClient);
      s->flush(kUpstream);
      break;
    case Wait::kBandwidthDown:
      s->resume_held(kUpstream);
      s->flush(kClient);
      break;
    case Wait::kSlowClose:
      s->close();
      break;
    case Wait::kLinger:
      s->close();
      break;
    case Wait::kNone:
      break;
  }
}

void HttpSession::connect_upstream() {
  if (closing_) return;
  req_ = Req::kWaiting;
  upstream_start_us_ = now_us();
  fault_us_at_upstream_ = fault_us_;
  if (UpstreamConn* conn = pool_.acquire()) {
    upstream_ = conn;
    conn->session = this;
    conn->reused = true;
    upstream_ready();
    return;
  }
  const auto& cfg = snapshot_->config->listeners[listener_.index];
  upstream_ = new UpstreamConn(worker_, listener_.index);
  upstream_->session = this;
  const auto& addr = snapshot_->upstreams[listener_.index];
  int rc = upstream_->connect(reinterpret_cast<const sockaddr*>(&addr.addr),
                              snapshot_->upstream_layer(listener_.index));
  if (rc != 0) {
    on_upstream_connected(rc);
    return;
  }
  upstream_->timer.start_at_least(cfg.connect_timeout.count());
}

void HttpSession::on_upstream_connected(int status) {
  if (closing_) return;
  upstream_->timer.stop();
  if (status != 0) {
    bump(listener_.stats.upstream_errors_connect);
    detach_upstream(false);
    respond_locally(502, "upstream unreachable\n", {}, true);
    return;
  }
  upstream_->connected = true;
  if (resend_ == Resend::kConnecting) {
    resend_head();
    return;
  }
  upstream_ready();
}

bool HttpSession::can_resend() const {
  // A pooled connection the server closed just as we reused it fails before any response
  // byte; the request is sent again once on a fresh connection when nothing but its head
  // went out (no body bytes that could have been consumed).
  return upstream_ && upstream_->reused && resend_ == Resend::kNone && resp_ == Resp::kHead &&
         !resp_started_ && !req_body_sent_ && sent_head_slab_ != nullptr;
}

void HttpSession::resend_on_fresh_connection() {
  resend_ = Resend::kConnecting;
  detach_upstream(false);
  const auto& cfg = snapshot_->config->listeners[listener_.index];
  upstream_ = new UpstreamConn(worker_, listener_.index);
  upstream_->session = this;
  const auto& addr = snapshot_->upstreams[listener_.index];
  if (int rc = upstream_->connect(reinterpret_cast<const sockaddr*>(&addr.addr),
                                  snapshot_->upstream_layer(listener_.index));
      rc != 0) {
    on_upstream_connected(rc);
    return;
  }
  upstream_->timer.start_at_least(cfg.connect_timeout.count());
}

void HttpSession::resend_head() {
  resend_ = Resend::kDone;
  const auto& cfg = snapshot_->config->listeners[listener_.index];
  resp_codec_.init();
  emit(kUpstream, sent_head_slab_, sent_head_slab_->data, sent_head_len_);
  paused_[kUpstream] = 0;
  update_reading(kUpstream);
  upstream_->timer.start(cfg.response_timeout.count());
  flush(kUpstream);
  maybe_finish_exchange();
}

void HttpSession::forget_sent_head() {
  if (sent_head_slab_) worker_.slabs().unref(sent_head_slab_);
  sent_head_slab_ = nullptr;
  sent_head_len_ = 0;
}

void HttpSession::upstream_ready() {
  const auto& cfg = snapshot_->config->listeners[listener_.index];
  resp_codec_.init();
  resp_codec_.begin_message(64 * 1024, /*no_body=*/is_head_);
  resp_eof_body_ = dechunk_ = resp_upgrade_ = false;
  resp_ = Resp::kHead;

  // The rewritten head goes into a slab of its own (it must outlive the write).
  Slab* slab = worker_.slabs().acquire();
  const auto& triggers = snapshot_->config->header_triggers;
  RewriteOptions o;
  o.strip_chaos = triggers.strip;
  // Envoy's fault headers are faultline's to read only while it reads them: disabled, they go
  // through untouched (to an Envoy upstream, say).
  if (const faults::Snapshot* faults = snapshot_->faults.get();
      faults && faults->envoy.enabled && faults->envoy.strip)
    o.strip_prefix = faults->envoy.fault_prefix;
  o.keep_upgrade = upgrade_requested_ && !h2c_refused_;
  // Over HTTP/2 (proxy/http2/http1_over_http2.h) "TE: trailers" crosses, as gRPC needs.
  o.keep_te_trailers = cfg.upstream_protocol == config::UpstreamProtocol::kHttp2;
  if (cfg.forwarded_for) o.forwarded_for = client_addr_;
  size_t len = write_request_head(req_codec_.head(),
                                  llhttp_method_name(static_cast<llhttp_method_t>(method_)), o,
                                  slab->data, Slab::kSize);
  if (len == 0) {
    worker_.slabs().unref(slab);
    detach_upstream(true);
    reject(431, "request header block too large\n");
    return;
  }
  emit(kUpstream, slab, slab->data, len);
  // Kept (one reference) until the response starts, to resend it after a stale pooled conn.
  forget_sent_head();
  sent_head_slab_ = slab;
  sent_head_len_ = len;
  resp_started_ = req_body_sent_ = false;
  resend_ = Resend::kNone;
  paused_[kUpstream] = 0;
  update_reading(kUpstream);
  upstream_->timer.start(cfg.response_timeout.count());
  req_ = Req::kBody;
  resume_held(kClient);  // body bytes that came with the head, or just message completion
  flush(kUpstream);
}

void HttpSession::reject(int status, std::string_view body) {
  // The request cannot be parsed further: answer and close.
  respond_locally(status, body, {}, true);
}

void HttpSession::respond_locally(int status, std::string_view body, std::string_view headers,
                                  bool close_conn, std::string_view content_type) {
  if (closing_) return;
  client_timer_.stop();
  if (resp_ != Resp::kNone && resp_ != Resp::kHead) {
    close();  // a response is already on its way; the only honest signal left is closing
    return;
  }
  if (upstream_) detach_upstream(false);
  status_ = status;
  if (close_conn) close_after_ = true;
  // A client that sent Expect: 100-continue waits for a 100 before sending its body; answered
  // without one, it may never send it, so the unread body cannot be discarded to keep the
  // connection: close it after this response instead.
  if (req_ == Req::kWaiting && req_codec_.body_announced() && req_codec_.head().has("expect")) {
    close_after_ = true;
    close_conn = true;
  }
  Slab* slab = worker_.slabs().acquire();
  std::string_view injected = injected_value();
  size_t len = write_simple_response(status, is_head_ ? std::string_view() : body,
                                     close_after_ || !client_keep_alive_, headers, injected,
                                     slab->data, Slab::kSize, content_type);
  if (len == 0) len = write_simple_response(status, {}, true, {}, {}, slab->data, Slab::kSize);
  emit(kClient, slab, slab->data, len);
  worker_.slabs().unref(slab);
  resp_bytes_ = len;
  resp_ = Resp::kLocal;
  flush(kClient);
  if (close_conn || req_ == Req::kHead || req_ == Req::kIdle) {
    // Unparseable input: nothing more will be read as a request.
    close_after_ = true;
    req_ = Req::kDone;
    finish_exchange();
    return;
  }
  if (req_ == Req::kWaiting) {
    // Discard the request body (keeps the connection usable), then carry on. A client that
    // never sends the body it announced gets idle_timeout, not a connection held forever.
    req_ = Req::kDiscard;
    client_timer_.start(snapshot_->config->listeners[listener_.index].idle_timeout.count());
    resume_held(kClient);
  }
  maybe_finish_exchange();
}

// ---------------------------------------------------------------- response side

void HttpSession::on_upstream_data(Slab* slab, const char* p, size_t n) {
  if (closing_) return;
  upstream_quiet_since_ms_ = uv_now(worker_.loop());
  process_upstream(slab, p, n);
  flush(kClient);
  // A synchronous write completes without a callback: act on what waited for the flush.
  if (!closing_ && after_flush_ == AfterFlush::kReset && client_out_.idle()) close(/*reset=*/true);
}

void HttpSession::process_upstream(Slab* slab, const char* p, size_t n) {
  if (req_ == Req::kTunnel) {
    emit(kClient, slab, p, n);
    return;
  }
  for (;;) {
    if (closing_) return;
    switch (resp_) {
      case Resp::kNone:
      case Resp::kLocal:
      case Resp::kDone:
        if (n == 0) return;
        // Bytes after the response (or unsolicited): this connection cannot be reused.
        if (upstream_) {
          detach_upstream(false);
          maybe_finish_exchange();
        }
        return;
      case Resp::kHead: {
        if (n == 0) return;
        if (!resp_started_) {
          // The response has started: from now on the upstream may be silent for at most
          // upstream_idle_timeout between bytes (instead of response_timeout for the head).
          resp_started_ = true;
          forget_sent_head();
          if (upstream_) arm_upstream_idle_timer();
        }
        resp_parse_slab_ = slab;
        HttpCodec::Result r = resp_codec_.execute(p, n);
        resp_parse_slab_ = nullptr;
        if (r.event == HttpCodec::Event::kMore) return;
        if (r.event == HttpCodec::Event::kInterim) {
          p += r.used;
          n -= r.used;
          if (resp_codec_.status_code() == 100 && !client_http10_) {
            Slab* c = worker_.slabs().acquire();
            std::memcpy(c->data, kContinue.data(), kContinue.size());
            emit(kClient, c, c->data, kContinue.size());
            worker_.slabs().unref(c);
          }
          continue;
        }
        if (r.event == HttpCodec::Event::kHead) {
          p += r.used;
          n -= r.used;
          if (!on_response_head()) return;
          if (wait_ == Wait::kResponseDelay) {
            hold(kUpstream, slab, p, n);
            return;
          }
          emit_response_head();
          if (resp_codec_.message_done()) {
            // HEAD response: complete with its head.
            resp_ = Resp::kDone;
            upstream_done_us_ = now_us();
            if (n > 0) detach_upstream(false);
            maybe_finish_exchange();
            return;
          }
          continue;
        }
        upstream_failed(UV_EPROTO, false);  // malformed, or obs-fold: 502 (RFC 9112 §5.2)
        return;
      }
      case Resp::kBody: {
        // Runs even with n == 0: a body-less response completes right after its head.
        size_t limit = n;
        if (n > 0 && executor_.resets_response()) {
          limit = std::min<uint64_t>(limit, executor_.bytes_before_reset(resp_bytes_));
          if (limit == 0) {
            after_flush_ = AfterFlush::kReset;
            pause(kUpstream, kPauseWait);
            if (client_out_.in_flight == 0 && !client_out_.staging) close(true);
            return;
          }
        }
        if (n > 0 && executor_.throttled(HttpFaultExecutor::kDown)) {
          limit = executor_.admit(HttpFaultExecutor::kDown, limit, uv_now(worker_.loop()));
          if (limit == 0) {
            hold(kUpstream, slab, p, n);
            wait_for(Wait::kBandwidthDown, executor_.wait_ms(HttpFaultExecutor::kDown, n));
            return;
          }
        }
        resp_parse_slab_ = slab;
        HttpCodec::Result r = resp_codec_.execute(p, limit);
        resp_parse_slab_ = nullptr;
        size_t used = r.used;
        if (r.event == HttpCodec::Event::kError) {
          upstream_failed(UV_EPROTO, false);
          return;
        }
        if (!dechunk_) emit(kClient, slab, p, used);
        resp_bytes_ += used;
        p += used;
        n -= used;
        if (r.event == HttpCodec::Event::kComplete || r.event == HttpCodec::Event::kUpgrade) {
          resp_ = Resp::kDone;
          upstream_done_us_ = now_us();
          if (resp_upgrade_) {
            start_tunnel();
            if (n > 0) emit(kClient, slab, p, n);
            return;
          }
          if (n > 0 && upstream_) detach_upstream(false);
          maybe_finish_exchange();
          return;
        }
        if (n > 0) {
          if (executor_.reset_due(resp_bytes_)) continue;
          hold(kUpstream, slab, p, n);
          wait_for(Wait::kBandwidthDown,
                   std::max<uint64_t>(1, executor_.wait_ms(HttpFaultExecutor::kDown, n)));
        }
        return;
      }
    }
  }
}

bool HttpSession::on_response_head() {
  status_ = resp_codec_.status_code();
  resp_upgrade_ = status_ == 101 && upgrade_requested_ && !h2c_refused_;
  if (status_ == 101 && !resp_upgrade_) {
    upstream_failed(UV_EPROTO, false);
    return false;
  }
  resp_eof_body_ = !resp_codec_.message_done() && resp_codec_.needs_eof();
  dechunk_ = client_http10_ && resp_codec_.chunked() && !is_head_;
  if (dechunk_) resp_codec_.set_body_sink(this);
  if (resp_eof_body_ || dechunk_ || !client_keep_alive_ || (upgrade_requested_ && !resp_upgrade_) ||
      client_eof_ || worker_.draining())
    close_after_ = true;
  executor_.at_response_head();
  return true;
}

std::string_view HttpSession::injected_value() {
  // The connection's first response also names what its TLS handshake suffered.
  const std::string_view handshake = first_response_ ? client_.injected() : std::string_view();
  first_response_ = false;
  if (handshake.empty()) return executor_.injected();
  first_injected_.assign(handshake);
  if (!executor_.injected().empty()) first_injected_.append(", ").append(executor_.injected());
  return first_injected_;
}

void HttpSession::emit_response_head() {
  Slab* slab = worker_.slabs().acquire();
  RewriteOptions o;
  o.keep_upgrade = resp_upgrade_;
  // RFC 9112 §6.1: no Transfer-Encoding in a response to HTTP/1.0 (a body is de-chunked).
  o.keep_transfer_encoding = !dechunk_ && !client_http10_;
  o.connection_close = close_after_ && !resp_upgrade_;
  o.connection_keep_alive = !close_after_ && client_http10_;
  o.injected = injected_value();
  size_t len = write_response_head(resp_codec_.head(), status_, o, slab->data, Slab::kSize);
  if (len == 0) {
    worker_.slabs().unref(slab);
    upstream_failed(UV_E2BIG, false);
    return;
  }
  emit(kClient, slab, slab->data, len);
  worker_.slabs().unref(slab);
  resp_bytes_ += len;
  resp_ = Resp::kBody;
  executor_.response_head_sent(resp_bytes_);
}

// After a response delay: relay the head, then whatever followed it.
void HttpSession::response_head_released() {
  emit_response_head();
  if (resp_codec_.message_done()) {
    resp_ = Resp::kDone;  // HEAD: the head was the whole response
    upstream_done_us_ = now_us();
    maybe_finish_exchange();
  } else {
    resume_held(kUpstream);
  }
  flush(kClient);
}

void HttpSession::on_upstream_eof(int status) {
  if (closing_) return;
  if (req_ == Req::kTunnel) {
    if (status == UV_EOF) {
      // Half-close: pass the FIN on once everything before it is written.
      client_.shutdown(&shutdown_req_, [](uv_shutdown_t* r, int) {
        auto* s = static_cast<HttpSession*>(r->data);
        if (!s->closing_ && s->client_eof_) s->close();
      });
      upstream_->stop_reading();
      if (client_eof_) close_when_flushed();
    } else {
      close();
    }
    return;
  }
  if (resp_ == Resp::kBody && resp_eof_body_ && status == UV_EOF) {
    resp_codec_.finish();
    resp_ = Resp::kDone;
    upstream_done_us_ = now_us();
    detach_upstream(false);
    flush(kClient);
    maybe_finish_exchange();
    return;
  }
  if (can_resend()) {
    resend_on_fresh_connection();
    return;
  }
  bump(listener_.stats.upstream_errors_reset);  // reset, EOF or a failed write mid-exchange
  upstream_failed(status, false);
}

void HttpSession::arm_upstream_idle_timer() {
  upstream_quiet_since_ms_ = uv_now(worker_.loop());
  upstream_->timer.start(upstream_idle_ms());
}

uint64_t HttpSession::upstream_idle_ms() const {
  return static_cast<uint64_t>(
      snapshot_->config->listeners[listener_.index].upstream_idle_timeout.count());
}

void HttpSession::on_upstream_timer() {
  if (closing_ || !upstream_) return;
  if (resp_started_) {
    // upstream_idle_timeout. Only a response in progress that we are reading counts: while
    // reading is paused (bytes held by a latency or bandwidth fault, a slow client's full
    // queue) the silence is ours. The timer re-arms for what is left of the quiet period, so
    // the relay path only records a timestamp per read.
    if (resp_ != Resp::kHead && resp_ != Resp::kBody) return;  // complete, or a tunnel
    uint64_t idle = upstream_idle_ms();
    uint64_t quiet = uv_now(worker_.loop()) - upstream_quiet_since_ms_;
    // Nor is an upstream that waits for the rest of the request body (after a 100 Continue
    // or an early response head), like nginx's proxy_read_timeout.
    if (paused_[kUpstream] != 0 || wait_ == Wait::kResponseDelay || req_ == Req::kBody) {
      upstream_->timer.start(idle);
      return;
    }
    if (quiet < idle) {
      upstream_->timer.start(idle - quiet);
      return;
    }
    log::http().debug("upstream silent for {} ms in a response; closing", quiet);
  }
  bump(listener_.stats.upstream_errors_timeout);
  upstream_failed(UV_ETIMEDOUT, true);
}

void HttpSession::upstream_failed(int status, bool timeout) {
  if (closing_) return;
  detach_upstream(false);
  if (resp_ == Resp::kHead || resp_ == Resp::kNone) {
    if (timeout)
      respond_locally(504, "upstream timed out\n", {}, true);
    else
      respond_locally(502, "upstream failed\n", {}, true);
    return;
  }
  // Mid-response: the client must not hang; send what was relayed, then close. When the
  // client's body is framed by the close itself, a FIN would make the cut body look complete:
  // reset instead, so that the truncation shows.
  if (exchange_open_) record_exchange(Ending::kUpstreamFailed);
  close_after_ = true;
  if (resp_eof_body_ || dechunk_) {
    after_flush_ = AfterFlush::kReset;
    flush(kClient);
    if (!closing_ && client_out_.idle()) close(/*reset=*/true);
    return;
  }
  close_when_flushed();
}

void HttpSession::start_tunnel() {
  req_ = Req::kTunnel;
  client_timer_.stop();
  flush(kClient);
  // Bytes the client sent after its upgrade request belong to the new protocol.
  resume_held(kClient);
  flush(kUpstream);
  paused_[kClient] &= ~kPauseHeld;
  update_reading(kClient);
}

void HttpSession::detach_upstream(bool reusable) {
  UpstreamConn* conn = upstream_;
  if (!conn) return;
  upstream_ = nullptr;
  conn->timer.stop();
  conn->session = nullptr;
  if (held_[kUpstream].slab) {
    worker_.slabs().unref(held_[kUpstream].slab);
    held_[kUpstream] = {};
  }
  paused_[kUpstream] = 0;
  unpause(kClient, kPauseBackpressure);
  if (reusable && conn->connected && !conn->closing && conn->out.idle() && !worker_.stopping()) {
    pool_.put(conn);
  } else {
    conn->close();
  }
}

void HttpSession::maybe_finish_exchange() {
  if (closing_) return;
  if (req_ == Req::kTunnel) {
    if (client_eof_ && !upstream_) close_when_flushed();
    return;
  }
  if (req_ != Req::kDone) return;
  if (resp_ != Resp::kDone && resp_ != Resp::kLocal) return;
  if (upstream_ && !upstream_->out.idle()) return;
  finish_exchange();
}

void HttpSession::record_exchange(Ending ending) {
  exchange_open_ = false;
  const uint64_t end = now_us();
  if (fault_since_us_) {  // still held by a fault (a stall the client left)
    fault_us_ += end - fault_since_us_;
    fault_since_us_ = end;
  }
  RequestRecord r;
  r.listener = listener_.name;
  r.client = client_addr_;
  r.id = request_id_;
  r.worker = worker_.index();
  if (method_known_) {
    r.method = llhttp_method_name(static_cast<llhttp_method_t>(method_));
    r.path = req_codec_.head().target();
  }
  // A status counts when its response reached the client whole; a reset, a stall, a client
  // that left or an upstream that died mid-way is "000" (SPEC §7), whatever head went out.
  const bool head_sent = resp_ == Resp::kBody || resp_ == Resp::kDone || resp_ == Resp::kLocal;
  r.status = head_sent && ending == Ending::kComplete ? status_ : 0;
  r.ending = ending;
  r.injected = outcome_injected_ || ending == Ending::kReset || ending == Ending::kStall;
  r.bytes_out = resp_bytes_;
  r.total_us = end - request_start_us_;
  r.fault_us = fault_us_;
  if (upstream_start_us_) {
    // Upstream time without our own waits in between (response delay, bandwidth).
    const uint64_t until = upstream_done_us_ > upstream_start_us_ ? upstream_done_us_ : end;
    const uint64_t ours = fault_us_ - fault_us_at_upstream_;
    const uint64_t span = until - upstream_start_us_;
    r.upstream_us = span > ours ? span - ours : 0;
  }
  if (executor_.active()) r.faults = executor_.plan().applied;
  finish_record(listener_.stats, r);
}

void HttpSession::finish_exchange() {
  if (exchange_open_) record_exchange(Ending::kComplete);
  bool reusable =
      upstream_ && resp_ == Resp::kDone && !upgrade_requested_ && resp_codec_.keep_alive();
  detach_upstream(reusable);
  forget_sent_head();
  if (executor_.active()) {
    release_plan(worker_, *snapshot_, executor_.plan());
    executor_.end();
  }
  resp_ = Resp::kNone;
  if (close_after_ || worker_.draining() || client_eof_ || upgrade_requested_) {
    close_when_flushed();
    return;
  }
  req_ = Req::kIdle;
  client_timer_.start(snapshot_->config->listeners[listener_.index].idle_timeout.count());
  // Pipelined requests waiting in the held slab go next.
  resume_held(kClient);
  flush(kUpstream);
}

void HttpSession::close_when_flushed() {
  if (closing_) return;
  if (client_out_.staging) flush(kClient);
  if (client_out_.in_flight > 0) {
    if (after_flush_ == AfterFlush::kNothing) after_flush_ = AfterFlush::kClose;  // a reset wins
    return;
  }
  if (after_flush_ == AfterFlush::kClose) after_flush_ = AfterFlush::kNothing;
  // slow_close: the executor starts the wait (fault_delay_close).
  if (wait_ != Wait::kSlowClose && executor_.delay_close()) return;
  linger();
}

void HttpSession::linger() {
  // Send FIN, then read and discard whatever the client still sends for a moment, so that
  // unread request bytes do not turn our close into a RST that destroys the response.
  if (closing_ || wait_ == Wait::kLinger) return;
  detach_upstream(false);
  // A client that asked to close (Connection: close, HTTP/1.0) and whose request was read to
  // its end has nothing more to send: close now, as nginx does, rather than half-close and
  // wait for its FIN (a shutdown, a read and a timer less per connection). Bytes sent anyway
  // would make the close a reset; that is the client breaking its own Connection: close.
  // Over TLS the close_notify goes first: the close follows the shutdown's completion.
  const bool client_done = !client_keep_alive_ && req_ == Req::kDone && !held_[kClient].slab;
  if (client_eof_ || req_ == Req::kTunnel || (client_done && !client_.layered())) {
    close();
    return;
  }
  if (client_.shutdown(&shutdown_req_, client_done ? on_shutdown_close : on_shutdown) != 0) {
    close();
    return;
  }
  wait_for(Wait::kLinger, kLingerMs);
  paused_[kClient] = 0;
  update_reading(kClient);
}

void HttpSession::on_shutdown(uv_shutdown_t* req, int status) {
  auto* s = static_cast<HttpSession*>(req->data);
  if (status != 0 && !s->closing_) s->close();
}

void HttpSession::on_shutdown_close(uv_shutdown_t* req, int /*status*/) {
  auto* s = static_cast<HttpSession*>(req->data);
  if (!s->closing_) s->close();
}

void HttpSession::on_client_timer(uv_timer_t* t) {
  auto* s = static_cast<HttpSession*>(t->data);
  if (s->closing_) return;
  if (s->reset_on_input_) {
    s->close(/*reset=*/true);
  } else if (s->req_ == Req::kHead) {
    s->reject(408, "request head not received in time\n");
  } else if (s->req_ == Req::kIdle || s->req_ == Req::kDiscard) {
    s->close();
  }
}

}  // namespace faultline::proxy
