#include "proxy/tls/layer.h"

#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "proxy/fault_decision.h"
#include "proxy/log.h"
#include "proxy/worker.h"

namespace faultline::proxy::tls {

namespace {
constexpr size_t kRawReadSize = 16 * 1024 + 512;  // one TLS record and its header
constexpr size_t kPlainReadSize = 64 * 1024;      // what the session's alloc_cb is asked for
constexpr size_t kRecordPlainMax = 16 * 1024;     // plaintext of one TLS record (RFC 8446 5.1)
// try_write seals at most this much at once (a WriteOp's worth; its ciphertext is copied only
// when the socket does not take it all).
constexpr size_t kMaxTryBytes = 1024 * 1024;
constexpr size_t kKeptOutputBytes = 64 * 1024;  // a write BIO larger than this is not kept idle
// A held handshake looks at the kill switch this often (halt releases it within 100 ms).
constexpr uint64_t kHaltPollMs = 40;

std::string last_error() {
  unsigned long e = ERR_peek_last_error();
  if (e == 0) return "protocol error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// The host_name entry of the ClientHello's server_name extension (RFC 6066 §3); empty if none
// or malformed. Valid during the ClientHello callback.
std::string_view client_hello_sni(SSL* ssl) {
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) != 1 || len < 2) return {};
  const size_t list = static_cast<size_t>(p[0]) << 8 | p[1];
  if (list + 2 != len) return {};
  p += 2;
  size_t left = list;
  while (left >= 3) {
    const size_t n = static_cast<size_t>(p[1]) << 8 | p[2];
    if (n + 3 > left) return {};
    if (p[0] == TLSEXT_NAMETYPE_host_name) return {reinterpret_cast<const char*>(p + 3), n};
    p += 3 + n;
    left -= 3 + n;
  }
  return {};
}
}  // namespace

int on_client_hello(SSL* ssl, int* alert, void*) {
  auto* layer = static_cast<TlsLayer*>(SSL_get_app_data(ssl));
  return layer ? layer->client_hello(alert) : SSL_CLIENT_HELLO_SUCCESS;
}

// Ciphertext handed to uv_write, with the session's write it completes (if any).
struct TlsLayer::CipherWrite {
  uv_write_t req;
  TlsLayer* layer;
  uv_write_t* session_req;
  uv_write_cb cb;
  char data[];
};

// A session write made before the handshake finished; its buffers stay valid until its
// callback (the session's WriteOp holds them).
struct TlsLayer::PendingWrite {
  uv_write_t* req;
  const uv_buf_t* bufs;
  unsigned nbufs;
  uv_write_cb cb;
  PendingWrite* next = nullptr;
};

TlsLayer::TlsLayer(Transport& transport, SSL* ssl, Role role, uint64_t handshake_timeout_ms,
                   TransportCounters& counters, std::shared_ptr<const void> owner)
    : transport_(transport),
      ssl_(ssl),
      role_(role),
      counters_(counters),
      owner_(std::move(owner)),
      handshake_timeout_ms_(handshake_timeout_ms) {
  uv_timer_init(transport_.loop(), &timer_);
  timer_.data = this;
  if (!ssl_) return;  // accept()/connected() fail the handshake
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rbio_, -1);  // an empty read BIO means "more to come", not EOF
  SSL_set_bio(ssl_, rbio_, wbio_);    // the SSL owns both
  SSL_set_app_data(ssl_, this);       // on_client_hello
  if (role_ == Role::kServer)
    SSL_set_accept_state(ssl_);
  else
    SSL_set_connect_state(ssl_);
}

TlsLayer::~TlsLayer() {
  if (ssl_) SSL_free(ssl_);
}

std::string_view TlsLayer::sni() const {
  const char* name = ssl_ ? SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name) : nullptr;
  return name ? std::string_view(name) : std::string_view();
}

// ---------------------------------------------------------------- handshake

void TlsLayer::accept() {
  handshake_started_ = true;
  accepted_ms_ = uv_now(transport_.loop());
  if (!ssl_) {
    handshake_failed(UV_ENOMEM, "cannot create the TLS connection");
    return;
  }
  if (handshake_timeout_ms_ > 0) uv_timer_start(&timer_, on_timer, handshake_timeout_ms_, 0);
  update_raw_reading();
}

void TlsLayer::connected(uv_connect_t* req, uv_connect_cb cb) {
  connect_req_ = req;
  connect_cb_ = cb;
  handshake_started_ = true;
  if (!ssl_) {
    handshake_failed(UV_ENOMEM, "cannot create the TLS connection");
    return;
  }
  if (handshake_timeout_ms_ > 0) uv_timer_start(&timer_, on_timer, handshake_timeout_ms_, 0);
  handshake_step();  // the ClientHello
  if (!detached_) update_raw_reading();
}

void TlsLayer::handshake_step() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
  // Our flight (or an alert) goes out whatever happened.
  int sent = send_output(nullptr, nullptr);
  if (r == 1) {
    if (sent != 0)
      handshake_failed(sent, "cannot write to the socket");
    else
      handshake_finished();
    return;
  }
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_CLIENT_HELLO_CB) {
    if (reset_pending_)
      inject_reset();
    else if (sent != 0)
      handshake_failed(sent, "cannot write to the socket");
    else if (raw_eof_)
      handshake_failed(UV_ECONNRESET, "the peer closed the connection during the handshake");
    return;  // more bytes to come, or a held handshake (hold_tick goes on)
  }
  if (aborting_) {
    // The fatal alert went out with send_output above.
    handshake_failed(UV_EPROTO, "tls_abort: fatal alert injected");
    return;
  }
  std::string why = last_error();
  if (role_ == Role::kClient && SSL_get_verify_result(ssl_) != X509_V_OK) {
    const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
    why = std::string("certificate verification failed: ") +
          X509_verify_cert_error_string(SSL_get_verify_result(ssl_)) + " (expected name \"" +
          (name                      ? name
           : SSL_get0_peername(ssl_) ? SSL_get0_peername(ssl_)
                                     : "") +
          "\")";
  }
  handshake_failed(UV_EPROTO, why.c_str());
}

void TlsLayer::handshake_finished() {
  handshake_done_ = true;
  uv_timer_stop(&timer_);
  TransportCounters::bump(counters_.handshakes_ok);
  if (SSL_session_reused(ssl_)) TransportCounters::bump(counters_.resumed);
  record_faults(Ending::kComplete);
  const unsigned char* proto = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_, &proto, &len);
  if (proto) alpn_.assign(reinterpret_cast<const char*>(proto), len);
  flush_pending_writes();
  if (detached_) return;
  if (pending_shutdown_) {
    uv_shutdown_t* req = pending_shutdown_;
    pending_shutdown_ = nullptr;
    if (int rc = shutdown(req, pending_shutdown_cb_); rc != 0) pending_shutdown_cb_(req, rc);
    if (detached_) return;
  }
  if (connect_cb_) {
    uv_connect_cb cb = connect_cb_;
    connect_cb_ = nullptr;
    cb(connect_req_, 0);
    if (detached_) return;
  }
  update_raw_reading();
  if (want_read_) deliver();  // application data that came with the last handshake flight
}

void TlsLayer::handshake_failed(int status, const char* why) {
  if (failed_) return;
  failed_ = true;
  holding_ = false;
  uv_timer_stop(&timer_);
  TransportCounters::bump(counters_.handshakes_error);
  record_faults(!aborting_       ? Ending::kClientClosed
                : reset_pending_ ? Ending::kReset
                                 : Ending::kTlsAlert);
  update_raw_reading();
  if (role_ == Role::kClient) {
    log::http().warn("upstream TLS handshake failed: {}", why);
  } else {
    log::http().debug("client TLS handshake failed: {}", why);
  }
  if (end_status_ == 0) end_status_ = status;
  if (connect_cb_) {
    uv_connect_cb cb = connect_cb_;
    connect_cb_ = nullptr;
    cb(connect_req_, status);
    return;
  }
  if (want_read_) deliver();
}

// ---------------------------------------------------------------- reading

void TlsLayer::update_raw_reading() {
  bool want =
      !detached_ && !raw_eof_ && !failed_ && handshake_started_ && (!handshake_done_ || want_read_);
  if (want == raw_reading_) return;
  raw_reading_ = want;
  if (want)
    uv_read_start(transport_.stream(), on_raw_alloc, on_raw_read);
  else
    uv_read_stop(transport_.stream());
}

void TlsLayer::on_raw_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  // One buffer per thread: on_raw_read copies what landed into the read BIO at once, so no
  // connection keeps a buffer of its own while it waits.
  // On the heap, made on first use: a thread_local array would be zeroed in every thread at its
  // start, TLS or not (idle RSS).
  static thread_local std::unique_ptr<char[]> raw(new char[kRawReadSize]);
  *buf = uv_buf_init(raw.get(), kRawReadSize);
}

void TlsLayer::on_raw_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* self =
      static_cast<TlsLayer*>(Transport::from(reinterpret_cast<uv_handle_t*>(s))->socket_layer());
  if (!self || self->detached_ || nread == 0) return;
  if (nread > 0) {
    BIO_write(self->rbio_, buf->base, static_cast<int>(nread));
  } else {
    self->raw_eof_ = true;
    if (nread != UV_EOF) self->end_status_ = static_cast<int>(nread);
    self->update_raw_reading();
  }
  if (!self->handshake_done_) {
    if (self->holding_) {
      // Held: the ClientHello's successors wait in the read BIO; a client that gives up ends it.
      if (self->raw_eof_)
        self->handshake_failed(UV_ECONNRESET,
                               "the peer closed the connection during the handshake");
      return;
    }
    if (!self->failed_) self->handshake_step();
    return;
  }
  self->deliver();
}

int TlsLayer::read_start(uv_alloc_cb alloc_cb, uv_read_cb read_cb) {
  alloc_cb_ = alloc_cb;
  read_cb_ = read_cb;
  want_read_ = true;
  update_raw_reading();
  // Plaintext (or the end) already here would wait for the socket's next bytes otherwise.
  if (handshake_done_ || failed_) schedule();
  return 0;
}

int TlsLayer::read_stop() {
  want_read_ = false;
  update_raw_reading();
  return 0;
}

void TlsLayer::schedule() {
  if (handshake_done_ || failed_) uv_timer_start(&timer_, on_timer, 0, 0);
}

void TlsLayer::on_timer(uv_timer_t* t) {
  auto* self = static_cast<TlsLayer*>(t->data);
  if (self->detached_) return;
  if (self->holding_) {
    self->hold_tick();
    return;
  }
  if (!self->handshake_done_ && !self->failed_) {
    self->handshake_failed(UV_ETIMEDOUT, "the handshake did not finish in time");
    return;
  }
  if (self->want_read_) self->deliver();
}

void TlsLayer::deliver() {
  static uv_buf_t none = uv_buf_init(nullptr, 0);
  while (want_read_ && !detached_ && !ended_) {
    if (failed_ || (end_status_ != 0 && handshake_done_ && SSL_pending(ssl_) == 0 &&
                    BIO_ctrl_pending(rbio_) == 0)) {
      deliver_end(end_status_);
      return;
    }
    if (SSL_pending(ssl_) == 0 && BIO_ctrl_pending(rbio_) == 0) {
      if (raw_eof_) {
        // The socket ended without close_notify (SSL_read would have said ZERO_RETURN).
        deliver_end(end_status_ ? end_status_ : role_ == Role::kServer ? UV_EOF : UV_ECONNRESET);
      }
      return;
    }
    uv_buf_t buf = none;
    alloc_cb_(transport_.handle(), kPlainReadSize, &buf);
    ERR_clear_error();
    int n = SSL_read(ssl_, buf.base, static_cast<int>(buf.len));
    int err = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, n);
    send_output(nullptr, nullptr);  // tickets, KeyUpdate replies, alerts
    if (n > 0) {
      read_cb_(transport_.stream(), n, &buf);
      continue;
    }
    read_cb_(transport_.stream(), 0, &buf);  // gives the buffer back
    if (detached_ || !want_read_) return;
    if (err == SSL_ERROR_WANT_READ) {
      if (raw_eof_ && BIO_ctrl_pending(rbio_) == 0 && SSL_pending(ssl_) == 0) continue;
      if (raw_eof_) deliver_end(role_ == Role::kServer ? UV_EOF : UV_ECONNRESET);  // cut record
      return;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
      deliver_end(UV_EOF);  // close_notify
    } else {
      log::http().debug("TLS read failed: {}", last_error());
      deliver_end(UV_EPROTO);
    }
    return;
  }
}

void TlsLayer::deliver_end(int status) {
  if (ended_) return;
  if (status == 0) status = UV_EOF;
  end_status_ = status;
  if (!want_read_) return;  // on the next read_start
  ended_ = true;
  uv_buf_t none = uv_buf_init(nullptr, 0);
  read_cb_(transport_.stream(), status, &none);
}

// ---------------------------------------------------------------- writing

int TlsLayer::try_write(const uv_buf_t* bufs, unsigned nbufs) {
  // Only on an idle socket: earlier ciphertext, queued or kept from a previous try, goes first.
  if (!handshake_done_ || failed_ || detached_ || stash_ ||
      uv_stream_get_write_queue_size(transport_.stream()) != 0)
    return UV_EAGAIN;
  size_t plain = 0;
  for (unsigned i = 0; i < nbufs; ++i) plain += bufs[i].len;
  if (plain > kMaxTryBytes) return UV_EAGAIN;
  if (int rc = seal(bufs, nbufs); rc != 0) return rc;
  char* data = nullptr;
  const long pending = BIO_get_mem_data(wbio_, &data);
  const size_t n = pending > 0 ? static_cast<size_t>(pending) : 0;
  int sent = 0;
  if (n > 0) {
    uv_buf_t buf = uv_buf_init(data, static_cast<unsigned>(n));
    sent = uv_try_write(transport_.stream(), &buf, 1);
    if (sent < 0 && sent != UV_EAGAIN) return sent;  // the session closes the connection
    if (sent < 0) sent = 0;
  }
  if (static_cast<size_t>(sent) == n) {
    discard_output(n);
    return static_cast<int>(plain);
  }
  // The socket took part of the records: the rest is kept for the write() that follows
  // (transport.h), since the plaintext is already in the TLS stream.
  const size_t left = n - static_cast<size_t>(sent);
  auto* w = static_cast<CipherWrite*>(std::malloc(sizeof(CipherWrite) + left));
  if (!w) return UV_ENOMEM;
  std::memcpy(w->data, data + sent, left);
  discard_output(n);
  stash_ = w;
  stash_len_ = left;
  return UV_EAGAIN;
}

int TlsLayer::write(uv_write_t* req, const uv_buf_t* bufs, unsigned nbufs, uv_write_cb cb) {
  if (detached_) return UV_ECANCELED;
  if (failed_) return UV_EPROTO;
  req->handle = transport_.stream();
  req->cb = cb;
  if (!handshake_done_) {
    auto* p = new PendingWrite{req, bufs, nbufs, cb};
    if (pending_tail_)
      pending_tail_->next = p;
    else
      pending_head_ = p;
    pending_tail_ = p;
    return 0;
  }
  if (stash_) return send_stash(req, cb);  // try_write sealed these bytes already
  return encrypt(req, bufs, nbufs, cb);
}

int TlsLayer::seal(const uv_buf_t* bufs, unsigned nbufs) {
  // Small pieces (a response's head and its body) are gathered into one record: one header,
  // one AEAD tag and one pass through OpenSSL instead of one per piece.
  thread_local char gather[kRecordPlainMax];
  size_t used = 0;
  auto write_record = [this](const char* p, size_t n) {
    ERR_clear_error();
    // A memory BIO takes everything: SSL_write writes the whole buffer or fails.
    if (SSL_write(ssl_, p, static_cast<int>(n)) > 0) return true;
    log::http().debug("TLS write failed: {}", last_error());
    return false;
  };
  for (unsigned i = 0; i < nbufs; ++i) {
    const size_t len = bufs[i].len;
    if (len == 0) continue;
    if (used + len > sizeof gather && used > 0) {
      if (!write_record(gather, used)) return UV_EPROTO;
      used = 0;
    }
    if (len >= sizeof gather) {
      if (!write_record(bufs[i].base, len)) return UV_EPROTO;
      continue;
    }
    std::memcpy(gather + used, bufs[i].base, len);
    used += len;
  }
  if (used > 0 && !write_record(gather, used)) return UV_EPROTO;
  return 0;
}

int TlsLayer::encrypt(uv_write_t* req, const uv_buf_t* bufs, unsigned nbufs, uv_write_cb cb) {
  if (int rc = seal(bufs, nbufs); rc != 0) return rc;
  return send_output(req, cb);
}

void TlsLayer::discard_output(size_t n) {
  thread_local char sink[4096];
  while (n > 0) {
    const int got = BIO_read(wbio_, sink, static_cast<int>(std::min(n, sizeof sink)));
    if (got <= 0) return;
    n -= static_cast<size_t>(got);
  }
  release_idle_output();
}

void TlsLayer::release_idle_output() {
  // A memory BIO keeps the size of the most it ever held: after a large response that would
  // stay with an idle keep-alive connection, so an empty, grown one is replaced.
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(wbio_, &mem);
  if (!mem || mem->max <= kKeptOutputBytes || BIO_ctrl_pending(wbio_) != 0) return;
  if (BIO* fresh = BIO_new(BIO_s_mem())) {
    SSL_set0_wbio(ssl_, fresh);  // frees the old one
    wbio_ = fresh;
  }
}

int TlsLayer::send_stash(uv_write_t* session_req, uv_write_cb cb) {
  if (!stash_) return 0;
  CipherWrite* w = stash_;
  stash_ = nullptr;
  return queue(w, stash_len_, session_req, cb);
}

int TlsLayer::send_output(uv_write_t* session_req, uv_write_cb cb) {
  if (int rc = send_stash(nullptr, nullptr); rc != 0) return rc;  // older records go first
  size_t n = BIO_ctrl_pending(wbio_);
  if (n == 0 && !session_req) return 0;
  auto* w = static_cast<CipherWrite*>(std::malloc(sizeof(CipherWrite) + n));
  if (!w) return UV_ENOMEM;
  if (n > 0) BIO_read(wbio_, w->data, static_cast<int>(n));
  release_idle_output();
  return queue(w, n, session_req, cb);
}

int TlsLayer::queue(CipherWrite* w, size_t n, uv_write_t* session_req, uv_write_cb cb) {
  w->layer = this;
  w->session_req = session_req;
  w->cb = cb;
  uv_buf_t buf = uv_buf_init(w->data, static_cast<unsigned>(n));
  int rc = uv_write(&w->req, transport_.stream(), &buf, 1, on_cipher_written);
  if (rc != 0) {
    std::free(w);
    return rc;
  }
  ++writes_in_flight_;
  return 0;
}

void TlsLayer::on_cipher_written(uv_write_t* req, int status) {
  auto* w =
      reinterpret_cast<CipherWrite*>(reinterpret_cast<char*>(req) - offsetof(CipherWrite, req));
  TlsLayer* self = w->layer;
  --self->writes_in_flight_;
  if (w->session_req) w->cb(w->session_req, status);
  std::free(w);
  self->maybe_free();
}

void TlsLayer::flush_pending_writes() {
  while (pending_head_ && !detached_) {
    PendingWrite* p = pending_head_;
    pending_head_ = p->next;
    if (!pending_head_) pending_tail_ = nullptr;
    int rc = encrypt(p->req, p->bufs, p->nbufs, p->cb);
    uv_write_t* req = p->req;
    uv_write_cb cb = p->cb;
    delete p;
    if (rc != 0) cb(req, rc);
  }
}

int TlsLayer::shutdown(uv_shutdown_t* req, uv_shutdown_cb cb) {
  if (detached_) return UV_ECANCELED;
  if (failed_) return UV_EPROTO;
  if (!handshake_done_) {
    if (pending_shutdown_) return UV_EALREADY;
    pending_shutdown_ = req;
    pending_shutdown_cb_ = cb;
    return 0;
  }
  ERR_clear_error();
  SSL_shutdown(ssl_);  // close_notify, then the FIN once everything before it is written
  if (int rc = send_output(nullptr, nullptr); rc != 0) return rc;
  return uv_shutdown(req, transport_.stream(), cb);
}

// ---------------------------------------------------------------- end

void TlsLayer::detach() {
  if (detached_) return;
  detached_ = true;
  holding_ = false;
  record_faults(Ending::kClientClosed);  // a faulted handshake the session ended first
  if (raw_reading_) uv_read_stop(transport_.stream());
  raw_reading_ = false;
  // OpenSSL marks the session of a connection freed without close_notify sent as not
  // resumable (SSL_free -> ssl_clear_bad_session), and an upstream connection mostly ends
  // that way (the upstream closes, a pool evicts it). A session that ended in a fatal alert
  // was already removed when the alert went out; any other may be resumed by the next
  // connection to this upstream.
  if (ssl_ && handshake_done_ && !failed_)
    SSL_set_shutdown(ssl_, SSL_get_shutdown(ssl_) | SSL_SENT_SHUTDOWN);
  // Writes and a shutdown that never reached the socket complete as cancelled, as libuv
  // completes its own when the socket closes.
  while (pending_head_) {
    PendingWrite* p = pending_head_;
    pending_head_ = p->next;
    p->cb(p->req, UV_ECANCELED);
    delete p;
  }
  pending_tail_ = nullptr;
  if (pending_shutdown_) {
    uv_shutdown_t* req = pending_shutdown_;
    pending_shutdown_ = nullptr;
    pending_shutdown_cb_(req, UV_ECANCELED);
  }
  std::free(stash_);  // records the socket will never carry
  stash_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_timer_closed);
}

void TlsLayer::on_timer_closed(uv_handle_t* h) {
  auto* self = static_cast<TlsLayer*>(h->data);
  self->timer_closed_ = true;
  self->maybe_free();
}

void TlsLayer::maybe_free() {
  if (detached_ && timer_closed_ && writes_in_flight_ == 0) delete this;
}

// ---------------------------------------------------------------- TLS handshake faults

void TlsLayer::enable_faults(Worker* worker, ActiveConfigPtr config, uint32_t listener) {
  worker_ = worker;
  config_ = std::move(config);
  listener_ = listener;
}

std::string_view TlsLayer::injected() const {
  return plan_ && handshake_done_ ? std::string_view(plan_->injected) : std::string_view();
}

bool TlsLayer::halted() const {
  return worker_->shared().halted.load(std::memory_order_relaxed);
}

int TlsLayer::client_hello(int* alert) {
  if (!worker_) return SSL_CLIENT_HELLO_SUCCESS;
  if (!faults_decided_) {
    faults_decided_ = true;
    decide_faults();
    if (plan_ && plan_->handshake_delay.count() > 0) {
      // Hold: OpenSSL calls back again once handshake_step runs after the hold.
      holding_ = true;
      const uint64_t now = uv_now(transport_.loop());
      hold_started_ms_ = now;
      hold_until_ms_ = now + static_cast<uint64_t>(plan_->handshake_delay.count());
      uv_timer_start(&timer_, on_timer, std::min<uint64_t>(kHaltPollMs, hold_until_ms_ - now), 0);
    }
  }
  if (holding_) return SSL_CLIENT_HELLO_RETRY;
  if (plan_ && plan_->handshake_abort && !released_by_halt_ && !halted()) {
    aborting_ = true;
    if (plan_->handshake_alert == 0) {
      reset_pending_ = true;  // handshake_step resets the connection
      return SSL_CLIENT_HELLO_RETRY;
    }
    *alert = plan_->handshake_alert;  // OpenSSL sends it as a fatal alert
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

void TlsLayer::decide_faults() {
  if (halted()) return;
  const faults::ListenerExperiments* slot = nullptr;
  if (const faults::Snapshot* f = config_ ? config_->faults.get() : nullptr;
      f && listener_ < f->listeners.size())
    slot = &f->listeners[listener_];
  if (!slot || slot->per_handshake.empty()) return;  // the common case: nothing to decide
  sockaddr_storage peer{};
  int len = sizeof peer;
  uv_tcp_getpeername(transport_.tcp(), reinterpret_cast<sockaddr*>(&peer), &len);
  auto plan = std::make_unique<faults::Plan>();
  if (decide_handshake(*worker_, *config_, listener_, reinterpret_cast<sockaddr*>(&peer),
                       client_hello_sni(ssl_), *plan))
    plan_ = std::move(plan);
}

void TlsLayer::hold_tick() {
  const uint64_t now = uv_now(transport_.loop());
  const bool halt = halted();
  if (!halt && now < hold_until_ms_) {
    uv_timer_start(&timer_, on_timer, std::min(kHaltPollMs, hold_until_ms_ - now), 0);
    return;
  }
  holding_ = false;
  released_by_halt_ = halt;
  held_ms_ = now - hold_started_ms_;
  if (halt) {
    // The kill switch: the handshake goes on at once, and what follows the delay is dropped.
    std::erase_if(plan_->applied,
                  [](const faults::AppliedFault& f) { return f.kind == "tls_abort"; });
    if (const size_t abort = plan_->injected.find("tls_abort="); abort != std::string::npos)
      plan_->injected.erase(abort >= 2 ? abort - 2 : abort);  // with its ", "
  }
  // The client gets the whole handshake timeout again from here: the wait was ours.
  if (handshake_timeout_ms_ > 0) uv_timer_start(&timer_, on_timer, handshake_timeout_ms_, 0);
  handshake_step();
}

void TlsLayer::inject_reset() {
  // SO_LINGER 0: the session's close of this socket sends a RST instead of a FIN.
  uv_os_fd_t fd;
  if (uv_fileno(transport_.handle(), &fd) == 0) {
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  handshake_failed(UV_ECONNRESET, "tls_abort: reset injected");
}

void TlsLayer::record_faults(Ending ending) {
  if (!plan_ || recorded_ || !worker_) return;
  recorded_ = true;
  if (listener_ >= worker_->listener_count()) return;
  WorkerListener& listener = worker_->listener(listener_);
  sockaddr_storage peer{};
  int len = sizeof peer;
  uv_tcp_getpeername(transport_.tcp(), reinterpret_cast<sockaddr*>(&peer), &len);
  char client[64];
  format_address(reinterpret_cast<sockaddr*>(&peer), client, sizeof client);
  const uint64_t now = uv_now(transport_.loop());
  if (held_ms_ == 0 && hold_until_ms_ > 0) held_ms_ = now - hold_started_ms_;  // cut short
  RequestRecord r;
  r.listener = listener.name;
  r.client = client;
  r.id = next_request_id();
  r.worker = worker_->index();
  r.protocol = "tls";
  r.ending = ending;
  r.injected = aborting_;
  r.total_us = (now - accepted_ms_) * 1000;
  r.fault_us = held_ms_ * 1000;
  r.faults = plan_->applied;
  finish_record(listener.stats, r);
  release_plan(*worker_, *config_, *plan_);
}

}  // namespace faultline::proxy::tls
